// A mapreduce run of 1,000 splits at the wire, every request counted (counting proxies in front of s3rver and
// dynalite): exactly once under duplicated events, a retried mapper and throttling; no hot partition key; one read
// of the split stats; clean-up by DeleteObjects; and a `_SUCCESS.json` cost estimate that matches the counts.
// `npm run bench` (BENCH_ONLY=scale) runs the same at 10,000 splits and prints the numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceWordCount, tsvCounts } from '../plugins/mapreduce/test/reference';
import { countedBesideEstimate, perSplit, runAtScale } from './harness/mapreduce-scale';

const SPLITS = 1_000;

test('a run of 1,000 splits with a duplicated event and a retried mapper completes each split once, spreads its writes, reads the split stats once, and its estimate matches the counted requests and units within 10%', async () => {
  // One reducer keeps the run within a minute on this 2-vCPU host; the benchmark runs two.
  const run = await runAtScale({
    splits: SPLITS,
    reducers: 1,
    concurrency: 100,
    duplicateEvent: true,
    failOnce: true,
  });
  try {
    assert.equal(run.failed, false);
    const report = run.report!;
    assert.ok(report, 'the run published _SUCCESS.json');
    assert.equal(report.splits, SPLITS);
    assert.deepEqual(tsvCounts(run.parts), referenceWordCount(run.text));
    // The duplicated event started nothing; the failed split ran twice, every other split once.
    assert.equal(report.retries.map, 1);
    assert.equal(report.mappers, SPLITS + 1);
    assert.equal(run.lambda.invocations.filter((i) => i.fn === 'scale-mapper').length, SPLITS + 1);
    assert.equal(run.logs.filter((l) => l.message === 'map phase done').length, 1);
    assert.equal(run.logs.filter((l) => l.message === 'run succeeded').length, 1);
    // Clean-up: nothing temporary is left, removed 1,000 keys a request: the intermediates and the totals.
    // (s3rver answers some DeleteObjects with InternalError once, and the SDK sends them again.)
    assert.deepEqual(run.temporary, []);
    const batches = Math.ceil((SPLITS + 1) / 1000);
    const deletes = run.s3.requests.get('DeleteObjects') ?? 0;
    assert.ok(deletes >= batches && deletes <= 2 * batches, `${deletes} DeleteObjects`);
    assert.ok(run.s3.deletedKeys >= SPLITS + 1);
    assert.equal(run.s3.requests.get('DeleteObject') ?? 0, 0);
    assert.equal(run.s3.requests.get('ListObjects') ?? 0, 0);

    const counted = perSplit(run, SPLITS);
    // No hot key: the busiest partition key takes at most 1 write unit per 2 splits, no item a write per split.
    assert.ok(counted.busiestPartition.writeUnitsPerSplit <= 0.5, JSON.stringify(counted.busiestPartition));
    assert.ok(counted.busiestItem.writes <= SPLITS / 3, JSON.stringify(counted.busiestItem));
    // The split stats are read once, by the map phase's end (a Query per shard); the reducers read none.
    assert.equal(run.dynamodb.requests.get('Query'), counted.layout.shards + 1);

    for (const [what, { counted: c, estimated: e }] of Object.entries(countedBesideEstimate(run))) {
      assert.ok(Math.abs(e - c) <= Math.max(0.1 * c, 2), `${what}: counted ${c}, estimated ${e}`);
    }
  } finally {
    await run.close();
  }
});

test('with 1% of DynamoDB and S3 requests throttled, the SDK retries them and every split still counts once', async () => {
  const splits = 100;
  const run = await runAtScale({ splits, reducers: 1, throttle: { dynamodb: 0.01, s3: 0.01 } });
  try {
    assert.ok(run.dynamodb.throttled > 0 && run.s3.throttled > 0);
    assert.equal(run.failed, false);
    assert.equal(run.report?.splits, splits);
    assert.equal(run.report?.mappers, splits);
    assert.deepEqual(tsvCounts(run.parts), referenceWordCount(run.text));
    assert.deepEqual(run.temporary, []);
  } finally {
    await run.close();
  }
});

test('a run whose clean-up fails keeps _SUCCESS.json, gets no _FAILED.json, says so in the log and leaves only temporary objects', async () => {
  const run = await runAtScale({
    splits: 20,
    reducers: 2,
    s3Fail: (operation) =>
      operation === 'DeleteObjects' ? { status: 403, code: 'AccessDenied' } : undefined,
  });
  try {
    assert.ok(run.report);
    assert.equal(run.failed, false);
    assert.deepEqual(run.output, [
      `out/${run.runId}/_SUCCESS.json`,
      ...Array.from({ length: 2 }, (_, r) => `out/${run.runId}/part-0000${r}`),
    ]);
    assert.ok(run.temporary.length > 0);
    assert.ok(run.temporary.every((k) => k.startsWith(`out/_temporary/${run.runId}/map/`)));
    const incomplete = run.logs.find((l) => l.message === 'clean-up incomplete: temporary objects left');
    assert.equal(incomplete?.left, run.temporary.length);
    assert.match(String(incomplete?.error), /AccessDenied/);
  } finally {
    await run.close();
  }
});
