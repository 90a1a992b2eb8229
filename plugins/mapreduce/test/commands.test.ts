import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRuntimeConfig } from '../src/runtime/contract';
import { localChunking } from '../src/commands/run';
import { firstLines } from '../src/commands/results';
import { formatBytes } from '@serverless-continuum/core/serverless';
import { summarizeRun } from '../src/commands/report';

const MB = 1024 * 1024;
const job = { chunkSize: 64 * MB } as JobRuntimeConfig;

describe('local chunking', () => {
  test('a file smaller than one chunk per worker is cut into one split per worker', () => {
    assert.equal(localChunking(job, 32 * MB, 2).chunkSize, 16 * MB);
    assert.equal(localChunking(job, 100 * MB, 4).chunkSize, 25 * MB);
  });

  test('a large file, a single worker, or a fixed mapper count keeps the configured splits', () => {
    assert.equal(localChunking(job, 500 * MB, 2), job);
    assert.equal(localChunking(job, 32 * MB, 1), job);
    const byMappers = { mappers: 8 } as JobRuntimeConfig;
    assert.equal(localChunking(byMappers, 32 * MB, 2), byMappers);
  });

  test('splits never go below 1 MB', () => {
    assert.equal(localChunking(job, 10_000, 8).chunkSize, MB);
  });
});

describe('run report summary', () => {
  test('reads a _SUCCESS.json as a few labelled lines', () => {
    const lines = summarizeRun({
      runId: 'a.txt-1',
      job: 'wordcount',
      status: 'succeeded',
      input: { bucket: 'corpus', key: 'texts/a.txt', size: 3 * MB },
      splits: 3,
      mappers: 4,
      reducers: 2,
      records: { in: 1000, emitted: 5000, mapOutput: 800, reduceInput: 800, out: 300 },
      bytes: { read: 3 * MB, intermediate: 2048, output: 1024 },
      times: { startedAt: '', finishedAt: '', mapMs: 1500, reduceMs: 250, totalMs: 1800 },
      retries: { map: 1, reduce: 0 },
      backups: 0,
      spills: 0,
      cost: { region: 'us-east-1', estimatedUsd: 0.000123, basis: 'lambda' },
    });
    assert.deepEqual(lines, [
      '  input     s3://corpus/texts/a.txt (3.0 MB)',
      '  splits    3 (map tasks 4, retries 1, backups 0)',
      '  reducers  2 (retries 0, spills 0)',
      '  records   1,000 in, 5,000 emitted, 800 after combine, 300 out',
      '  bytes     3.0 MB read, 2.0 KB intermediate, 1.0 KB output',
      '  time      map 1.50 s, reduce 0.25 s, total 1.80 s',
      '  cost      ~$0.000123 on AWS (us-east-1)',
    ]);
  });

  test('the cost line names the prices it used: the region and their date, or the stand-in region', () => {
    const costLine = (cost: object) =>
      summarizeRun({
        status: 'succeeded',
        input: { bucket: 'corpus', key: 'a.txt', size: 1 },
        records: { in: 1, emitted: 1, mapOutput: 1, reduceInput: 1, out: 1 },
        bytes: { read: 1, intermediate: 1, output: 1 },
        times: { startedAt: '', finishedAt: '', mapMs: 1, reduceMs: 1, totalMs: 2 },
        cost,
      }).at(-1);
    assert.equal(
      costLine({
        region: 'eu-west-1',
        pricesRegion: 'eu-west-1',
        pricesDate: '2025-01',
        estimatedUsd: 0.5,
        basis: 'lambda',
      }),
      '  cost      ~$0.500000 on AWS (eu-west-1 prices of 2025-01)',
    );
    assert.equal(
      costLine({
        region: 'ap-south-1',
        pricesRegion: 'us-east-1',
        pricesDate: '2025-01',
        estimatedUsd: 0.5,
        basis: 'lambda',
      }),
      '  cost      ~$0.500000 on AWS (ap-south-1, estimated from us-east-1 prices of 2025-01)',
    );
  });

  test('a run with a straggler watcher says how long it watched', () => {
    const lines = summarizeRun({
      runId: 'a.txt-1',
      job: 'wordcount',
      status: 'succeeded',
      input: { bucket: 'corpus', key: 'texts/a.txt', size: MB },
      splits: 3,
      mappers: 4,
      reducers: 2,
      records: { in: 1, emitted: 1, mapOutput: 1, reduceInput: 1, out: 1 },
      bytes: { read: MB, intermediate: 1, output: 1 },
      times: { startedAt: '', finishedAt: '', mapMs: 1, reduceMs: 1, totalMs: 2 },
      retries: { map: 0, reduce: 0 },
      backups: 1,
      watcher: { invocations: 2, ms: 61_500 },
      spills: 0,
    });
    assert.equal(lines[1], '  splits    3 (map tasks 4, retries 0, backups 1, straggler watcher 61.50 s)');
  });

  test('a run the coordinator could not start says so', () => {
    const lines = summarizeRun({
      status: 'failed',
      phase: 'start',
      attempts: 3,
      error: { message: 'the coordinator invocation r-1 failed (RetriesExhausted): AccessDeniedException' },
      input: { bucket: 'corpus', key: 'texts/a.txt', size: 3 },
    });
    assert.equal(lines[0], '  failed    starting the run (the coordinator), after 3 attempts');
  });

  test('a _FAILED.json names the split and keeps the error', () => {
    const lines = summarizeRun({
      status: 'failed',
      phase: 'map',
      split: { index: 2, start: 100, end: 200 },
      attempts: 3,
      error: { message: 'boom' },
      input: { bucket: 'corpus', key: 'texts/a.txt', size: 300 },
    });
    assert.deepEqual(lines, [
      '  failed    in the map phase, split 2 (bytes 100-200), after 3 attempts',
      '  error     boom',
      '  input     s3://corpus/texts/a.txt',
    ]);
  });

  test('an unknown shape is listed field by field', () => {
    assert.deepEqual(summarizeRun({ a: 1, nested: { totalBytes: 2048 } }), [
      '  a: 1',
      '  nested:',
      '    totalBytes: 2.0 KB',
    ]);
  });

  test('formats sizes and first lines', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536 * MB), '1.5 GB');
    assert.deepEqual(firstLines('a\nb\nc\n', 2), ['a', 'b']);
    assert.deepEqual(firstLines('a\n', 5), ['a']);
  });
});
