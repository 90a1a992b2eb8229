import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceWordCount, testJob as job, tsvCounts } from '../reference';
import { runLocal } from '../../src/local/run';
import { partitionOf } from '../../src/runtime/keys';
import { makeRunId } from '../../src/runtime/report';
import type { FailureReport, RunReport } from '../../src/runtime/types';

const fixtures = join(__dirname, 'fixtures');
const wordcount = join(fixtures, 'wordcount.ts');
const jobs = join(fixtures, 'jobs.js');

function readTsvParts(parts: string[]): Map<string, number> {
  return tsvCounts(parts.map((part) => readFileSync(part, 'utf8')));
}

export function sampleText(lines: number): string {
  const words = ['alpha', 'Beta', 'gamma', 'delta', 'épsilon', 'ZETA', 'eta', 'theta', '😀', 'iota'];
  return Array.from({ length: lines }, (_, i) =>
    Array.from({ length: 1 + (i % 9) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(
      i % 2 ? ' ' : ', ',
    ),
  ).join('\n');
}

describe('runLocal', () => {
  let dir: string;
  let input: string;
  let text: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-local-test-'));
    input = join(dir, 'corpus.txt');
    text = sampleText(3000);
    writeFileSync(input, text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('counts words like a plain loop, with parts, a report and progress', async () => {
    const progress: string[] = [];
    const result = await runLocal({
      job: job(),
      modules: {
        map: { file: wordcount, export: 'map' },
        reduce: { file: wordcount, export: 'reduce' },
        combine: { file: wordcount, export: 'reduce' },
      },
      input,
      outputDir: join(dir, 'out'),
      workers: 2,
      onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`),
    });
    assert.deepEqual(readTsvParts(result.parts), referenceWordCount(text));
    assert.deepEqual(
      result.parts.map((p) => p.slice(p.lastIndexOf('/') + 1)),
      ['part-00000', 'part-00001', 'part-00002'],
    );
    const runDir = join(dir, 'out', result.runId);
    assert.deepEqual(readdirSync(runDir).sort(), ['_SUCCESS.json', 'part-00000', 'part-00001', 'part-00002']);
    const report = JSON.parse(readFileSync(join(runDir, '_SUCCESS.json'), 'utf8')) as RunReport;
    assert.equal(report.status, 'succeeded');
    assert.equal(report.input.size, Buffer.byteLength(text));
    assert.equal(report.records.in, 3000);
    assert.equal(report.records.out, referenceWordCount(text).size);
    assert.equal(report.splits, Math.ceil(Buffer.byteLength(text) / 4096));
    assert.equal(report.cost.region, 'us-east-1');
    assert.ok(report.cost.estimatedUsd > 0);
    assert.ok(progress.includes(`map ${report.splits}/${report.splits}`));
    assert.ok(progress.includes('reduce 3/3'));
  });

  test('a reducer partition larger than its memory budget still reduces correctly', async () => {
    const result = await runLocal({
      job: job({ reducerMemoryBudget: 512, reducers: 1 }),
      modules: { map: { file: wordcount, export: 'map' }, reduce: { file: wordcount, export: 'reduce' } },
      input,
      outputDir: join(dir, 'out-budget'),
      workers: 2,
    });
    assert.ok(result.report.spills > 1, `spills: ${result.report.spills}`);
    assert.deepEqual(readTsvParts(result.parts), referenceWordCount(text));
  });

  test('a mapper that fails once is retried and its split counted once', async () => {
    const failing = join(dir, 'failing.txt');
    writeFileSync(failing, `${text}\nfail-here\n${text}`);
    process.env.FAIL_ONCE_FILE = join(dir, 'failed-once.flag');
    try {
      const result = await runLocal({
        job: job(),
        modules: { map: { file: jobs, export: 'failOnce' }, reduce: { file: jobs, export: 'sum' } },
        input: failing,
        outputDir: join(dir, 'out-retry'),
        workers: 2,
      });
      assert.ok(existsSync(process.env.FAIL_ONCE_FILE));
      assert.equal(result.report.retries.map, 1);
      assert.equal(result.report.mappers, result.report.splits + 1);
      assert.equal(result.report.records.in, 6001);
      assert.deepEqual(readTsvParts(result.parts), referenceWordCount(`${text}\nfail-here\n${text}`));
    } finally {
      delete process.env.FAIL_ONCE_FILE;
    }
  });

  test('a worker thread that dies is replaced and its split retried', async () => {
    const crashing = join(dir, 'crashing.txt');
    writeFileSync(crashing, `${text}\ncrash-here\n${text}`);
    process.env.CRASH_ONCE_FILE = join(dir, 'crashed-once.flag');
    try {
      const result = await runLocal({
        job: job(),
        modules: { map: { file: jobs, export: 'crashOnce' }, reduce: { file: jobs, export: 'sum' } },
        input: crashing,
        outputDir: join(dir, 'out-crash'),
        workers: 2,
      });
      assert.ok(existsSync(process.env.CRASH_ONCE_FILE));
      assert.equal(result.report.retries.map, 1);
      assert.deepEqual(readTsvParts(result.parts), referenceWordCount(`${text}\ncrash-here\n${text}`));
    } finally {
      delete process.env.CRASH_ONCE_FILE;
    }
  });

  test('with stragglers on, a split running past twice the median gets a backup and the first to finish wins', async () => {
    const slow = join(dir, 'slow.txt');
    // Many quick splits give a median; the one holding `slow-here` stalls on its first attempt.
    writeFileSync(slow, `${text}\nslow-here\n${text}`);
    const result = await runLocal({
      job: job({ stragglers: true, chunkSize: 16_384 }),
      modules: { map: { file: jobs, export: 'slowOnce' }, reduce: { file: jobs, export: 'sum' } },
      input: slow,
      outputDir: join(dir, 'out-straggler'),
      workers: 2,
    });
    assert.equal(result.report.backups, 1);
    assert.equal(result.report.mappers, result.report.splits + 1);
    assert.deepEqual(readTsvParts(result.parts), referenceWordCount(`${text}\nslow-here\n${text}`));
  });

  test('a split that keeps failing fails the run visibly with _FAILED.json and no _SUCCESS.json', async () => {
    const poisoned = join(dir, 'poisoned.txt');
    writeFileSync(poisoned, `${text}\nfail-here\n`);
    const out = join(dir, 'out-failed');
    const error = await runLocal({
      job: job({ retries: 1 }),
      modules: { map: { file: jobs, export: 'alwaysFails' }, reduce: { file: jobs, export: 'sum' } },
      input: poisoned,
      outputDir: out,
      workers: 2,
    }).then(
      () => assert.fail('the run should fail'),
      (e: Error & { code?: string }) => e,
    );
    assert.equal(error.code, 'CONTINUUM_RUN_FAILED');
    assert.match(
      error.message,
      /split \d+ \(bytes \d+-\d+\) of .*poisoned\.txt failed after 2 attempts: .*this record is poison/,
    );
    const [runId] = readdirSync(out);
    assert.deepEqual(readdirSync(join(out, runId!)), ['_FAILED.json']);
    const failed = JSON.parse(readFileSync(join(out, runId!, '_FAILED.json'), 'utf8')) as FailureReport;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.phase, 'map');
    assert.equal(failed.attempts, 2);
    assert.equal(failed.input.key, poisoned);
    assert.match(failed.error.message, /this record is poison/);
    const kept = /intermediates kept in (\S+);/.exec(error.message)![1]!;
    assert.ok(existsSync(kept));
    rmSync(kept, { recursive: true, force: true });
  });

  /** Runs `modules` on `file` expecting the run to fail; returns the error and `_FAILED.json`. */
  async function failedRun(
    file: string,
    modules: Parameters<typeof runLocal>[0]['modules'],
    out: string,
  ): Promise<{ error: Error & { code?: string }; failed: FailureReport }> {
    const error = await runLocal({
      job: job({ retries: 0 }),
      modules,
      input: file,
      outputDir: out,
      workers: 2,
    }).then(
      () => assert.fail('the run should fail'),
      (e: Error & { code?: string }) => e,
    );
    const [runId] = readdirSync(out);
    assert.deepEqual(readdirSync(join(out, runId!)), ['_FAILED.json']);
    const kept = /intermediates kept in (\S+);/.exec(error.message)?.[1];
    if (kept) rmSync(kept, { recursive: true, force: true });
    return {
      error,
      failed: JSON.parse(readFileSync(join(out, runId!, '_FAILED.json'), 'utf8')) as FailureReport,
    };
  }

  test('a key that is not plain data (a Date) fails its split with _FAILED.json naming the type and the record', async () => {
    const dated = join(dir, 'dated.txt');
    writeFileSync(dated, `alpha beta\ngamma\ndate-here\ndelta\n`);
    const { error, failed } = await failedRun(
      dated,
      { map: { file: jobs, export: 'dateKey' }, reduce: { file: jobs, export: 'sum' } },
      join(dir, 'out-date-key'),
    );
    assert.equal(error.code, 'CONTINUUM_RUN_FAILED');
    assert.equal(failed.phase, 'map');
    assert.equal(failed.split?.index, 0);
    assert.match(
      failed.error.message,
      /^map failed on record 3 of split 0 \(bytes 0-\d+\): a key must be JSON-serializable plain data .*got a Date/,
    );
  });

  test('a reduce that returns undefined fails its partition with _FAILED.json naming the key', async () => {
    const file = join(dir, 'forgetful.txt');
    writeFileSync(file, `alpha beta\ngamma\ndelta\n`);
    const { failed } = await failedRun(
      file,
      { map: { file: wordcount, export: 'map' }, reduce: { file: jobs, export: 'forgetsGamma' } },
      join(dir, 'out-forgetful'),
    );
    assert.equal(failed.phase, 'reduce');
    assert.equal(failed.partition, partitionOf('gamma', 3));
    assert.match(failed.error.message, /^reduce returned undefined for key "gamma" in partition \d+/);
  });

  test('an empty input completes with empty parts and a _SUCCESS.json', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const result = await runLocal({
      job: job({ reducers: 2 }),
      modules: { map: { file: wordcount, export: 'map' }, reduce: { file: wordcount, export: 'reduce' } },
      input: empty,
      outputDir: join(dir, 'out-empty'),
    });
    assert.equal(result.report.splits, 0);
    assert.deepEqual(
      result.parts.map((p) => readFileSync(p, 'utf8')),
      ['', ''],
    );
    assert.ok(existsSync(join(dir, 'out-empty', result.runId, '_SUCCESS.json')));
  });

  test('run ids differ for a.txt and a.csv and for a changed file, and repeat for the same file version', () => {
    const a = makeRunId({ bucket: 'b', key: 'in/a.txt', etag: 'e1', sequencer: '01' });
    assert.notEqual(a, makeRunId({ bucket: 'b', key: 'in/a.csv', etag: 'e1', sequencer: '01' }));
    assert.notEqual(a, makeRunId({ bucket: 'b', key: 'in/a.txt', etag: 'e1', sequencer: '02' }));
    assert.notEqual(a, makeRunId({ bucket: 'b', key: 'in/a.txt', versionId: 'v2' }));
    assert.equal(a, makeRunId({ bucket: 'b', key: 'in/a.txt', etag: 'e1', sequencer: '01' }));
    assert.match(a, /^in_a\.txt-[0-9a-f]{16}$/);
  });

  test('a missing export fails before any work, naming the module and export, and leaves no files behind', async () => {
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch);
    await assert.rejects(
      runLocal({
        job: job(),
        modules: { map: { file: wordcount, export: 'mapp' }, reduce: { file: wordcount, export: 'reduce' } },
        input,
        outputDir: join(dir, 'out-missing'),
        workers: 2,
        workDir: scratch,
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTINUUM_BUNDLE');
        assert.match(
          error.message,
          /could not load its map\/reduce modules: custom\.mapreduce\.\S+\.map: .*wordcount\.ts has no exported function "mapp"/,
        );
        return true;
      },
    );
    assert.deepEqual(readdirSync(scratch), []);
    assert.equal(existsSync(join(dir, 'out-missing')), false);
  });
});
