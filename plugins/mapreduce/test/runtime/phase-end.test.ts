// The hand-overs between phases on their own: the map phase's totals, the run's layout at scale, the clean-up's
// keys, and a publisher that fails after `_SUCCESS.json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLocalStorage } from '@serverless-continuum/core/storage';
import { retryOrFail } from '../../src/runtime/failures';
import type { Runtime } from '../../src/runtime/handler-runtime';
import { inputsOf, mapTotals } from '../../src/runtime/map-totals';
import { temporaryKeys } from '../../src/runtime/phase-end';
import { keys } from '../../src/runtime/report';
import { MemoryRunStore } from '../../src/runtime/run-store';
import { runLayout } from '../../src/runtime/state-run-store';
import type { SplitStats } from '../../src/runtime/types';
import { testJob } from '../reference';

const stats = (split: number, partitions: number[]): SplitStats => ({
  split,
  recordsIn: 10,
  recordsOut: 4,
  bytesRead: 300,
  bytesOut: 40,
  partitions,
  durationMs: 5,
});

test('the totals name, per partition, the splits that wrote it, as ranges, and sum what the report needs', () => {
  const totals = mapTotals([stats(3, [0]), stats(0, [0, 1]), stats(1, [0]), stats(2, [1])], {
    reducers: 3,
    fetchSize: 256,
    runId: 'r',
  });
  assert.deepEqual(totals.inputs, [
    [
      [0, 1],
      [3, 3],
    ],
    [
      [0, 0],
      [2, 2],
    ],
    [],
  ]);
  assert.deepEqual(inputsOf(totals, 0), [0, 1, 3]);
  assert.deepEqual(inputsOf(totals, 2), []);
  assert.equal(totals.recordsIn, 40);
  assert.equal(totals.intermediates, 5);
  // 300 bytes in fetches of 256: two ranged GETs a split.
  assert.equal(totals.rangedGets, 8);
});

test('a run of 100,000 splits spreads over 32 shard keys, 1,000 leaves of 100 and 16 claim counters; a small run has one of each', () => {
  assert.deepEqual(runLayout(100_000, 100), { shards: 32, leafSize: 100, leaves: 1_000, claimCounters: 16 });
  assert.deepEqual(runLayout(8, 2), { shards: 1, leafSize: 1, leaves: 8, claimCounters: 1 });
  assert.deepEqual(runLayout(0), { shards: 1, leafSize: 1, leaves: 0, claimCounters: 1 });
});

test('the clean-up removes every intermediate the totals name, and the totals themselves', () => {
  const job = testJob({ reducers: 2 });
  const rt = { job } as Runtime;
  const totals = mapTotals([stats(0, [0, 1]), stats(1, [1])], { reducers: 2, fetchSize: 256, runId: 'r' });
  assert.deepEqual(temporaryKeys(rt, 'r', totals), [
    keys.intermediate(job, 'r', 0, 0),
    keys.intermediate(job, 'r', 0, 1),
    keys.intermediate(job, 'r', 1, 1),
    keys.mapTotals(job, 'r'),
  ]);
});

test('a publisher whose last attempt fails after _SUCCESS.json marks the run done and writes no _FAILED.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-phase-end-'));
  try {
    const job = testJob({ retries: 0 });
    const store = new MemoryRunStore();
    const storage = createLocalStorage(dir);
    const rt: Runtime = {
      job,
      store,
      storage,
      lambda: {} as LambdaClient,
      mapperFunction: 'mapper',
      reducerFunction: 'reducer',
    };
    const runId = 'published';
    await store.createRun({
      runId,
      job: job.name,
      input: { bucket: 'in', key: 'a.txt', size: 10 },
      splits: 1,
      reducers: 1,
      launched: 1,
      createdAt: new Date().toISOString(),
      phase: 'reduce',
    });
    // The last reducer ended the reduce phase, wrote _SUCCESS.json and died before marking the run done.
    assert.equal(await store.transition(runId, 'reduce', 'finalizing', 'publisher'), true);
    await storage.put(job.output.bucket, keys.success(job, runId), '{}');
    const outcome = await retryOrFail(
      rt,
      'publisher',
      { kind: 'reduce', runId, partition: 0, attempt: 1 },
      new Error('timed out'),
    );
    assert.deepEqual(outcome, { failed: true });
    assert.equal((await store.getRun(runId))?.phase, 'done');
    assert.equal(await storage.head(job.output.bucket, keys.failed(job, runId)), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
