// The `_SUCCESS.json` report's accounting: what the cost estimate counts, and when the watcher appears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, estimateCost, PRICES_DATE, REGION_PRICES } from '../../src/runtime/report';
import type { RunState } from '../../src/runtime/run-store';
import type { PartitionStats, SplitStats } from '../../src/runtime/types';
import { testJob } from '../reference';

const job = testJob({ mapperMemoryMb: 1024, reducerMemoryMb: 2048 });
const split = (i: number): SplitStats => ({
  split: i,
  recordsIn: 10,
  recordsOut: 5,
  bytesRead: 100,
  bytesOut: 50,
  partitions: [0],
  durationMs: 2000,
});
const part: PartitionStats = {
  partition: 0,
  recordsIn: 10,
  keysOut: 5,
  bytesIn: 100,
  bytesOut: 50,
  spills: 0,
  durationMs: 1000,
};
const costOf = (watcher?: { invocations: number; ms: number }, region?: string) =>
  estimateCost({
    job,
    splits: [split(0), split(1)],
    parts: [part],
    mapTasks: 2,
    ...(watcher ? { watcher } : {}),
    fetchSize: 1 << 20,
    basis: 'lambda',
    ...(region ? { region } : {}),
  });

test("the cost is priced with the run's region's prices, and says their date", () => {
  const frankfurt = costOf(undefined, 'eu-central-1');
  assert.equal(frankfurt.region, 'eu-central-1');
  assert.equal(frankfurt.pricesRegion, 'eu-central-1');
  assert.equal(frankfurt.pricesDate, PRICES_DATE);
  assert.deepEqual(frankfurt.prices, REGION_PRICES['eu-central-1']);
  // Same requests, dearer S3 and DynamoDB requests than us-east-1.
  assert.ok(frankfurt.estimatedUsd > costOf().estimatedUsd, `${frankfurt.estimatedUsd}`);
  assert.equal(costOf().region, 'us-east-1');
});

test('a region the table does not know is estimated from us-east-1, and the estimate says so', () => {
  const mumbai = costOf(undefined, 'ap-south-1');
  assert.equal(mumbai.region, 'ap-south-1');
  assert.equal(mumbai.pricesRegion, 'us-east-1');
  assert.deepEqual(mumbai.prices, REGION_PRICES['us-east-1']);
  assert.equal(mumbai.estimatedUsd, costOf().estimatedUsd);
});

test('the cost estimate bills each task for its time at its role’s memory, one request each', () => {
  const cost = costOf();
  // 2 splits x 2 s x 1 GB + 1 partition x 1 s x 2 GB.
  assert.equal(cost.lambdaGbSeconds, 6);
  assert.equal(cost.lambdaRequests, 1 + 2 + 1);
});

test('the straggler watcher is billed as the mapper function: its time at mapper memory, its invocations', () => {
  const cost = costOf({ invocations: 3, ms: 4000 });
  assert.equal(cost.lambdaGbSeconds, 6 + 4);
  assert.equal(cost.lambdaRequests, 1 + 2 + 3 + 1);
  assert.ok(cost.estimatedUsd > costOf().estimatedUsd);
});

test('the report shows the watcher only when one ran', () => {
  const run: RunState = {
    runId: 'r',
    job: job.name,
    input: { bucket: 'in', key: 'a.txt', size: 200 },
    splits: 2,
    reducers: 1,
    launched: 2,
    createdAt: '2026-11-27T00:00:00.000Z',
    phase: 'done',
    doneSplits: 2,
    doneParts: 1,
    retries: { map: 0, reduce: 0 },
    backups: 0,
    watcher: { invocations: 0, ms: 0 },
  };
  const report = (watcher: RunState['watcher']) =>
    buildReport({
      job,
      run: { ...run, watcher },
      splits: [split(0), split(1)],
      parts: [part],
      finishedAt: new Date('2026-11-27T00:00:10.000Z'),
      fetchSize: 1 << 20,
      basis: 'lambda',
    });
  assert.equal(report({ invocations: 0, ms: 0 }).watcher, undefined);
  const watched = report({ invocations: 2, ms: 1500 });
  assert.deepEqual(watched.watcher, { invocations: 2, ms: 1500 });
  assert.equal(watched.cost.lambdaRequests, 1 + 2 + 2 + 1);
});
