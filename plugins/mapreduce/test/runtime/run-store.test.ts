import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createRunTable } from '../run-table';
import { startDynalite, dynamoClientConfig, type LocalService } from '../../../../test/harness/services';
import { DynamoRunStore, runLayout } from '../../src/runtime/dynamo-run-store';
import { MemoryRunStore, type NewRun, type RunStore } from '../../src/runtime/run-store';

const newRun = (runId: string): NewRun => ({
  runId,
  job: 'wordcount',
  input: { bucket: 'in', key: 'a.txt', size: 100 },
  splits: 3,
  reducers: 2,
  launched: 2,
  createdAt: '2026-11-27T00:00:00.000Z',
  phase: 'map',
  owner: 'request-1',
});

/** The same specification for both adapters: what the handlers and the local engine rely on. */
function runStoreSpec(name: string, store: () => RunStore): void {
  describe(`${name} run store`, () => {
    test('creates a run once; the same run again is refused', async () => {
      assert.equal(await store().createRun(newRun('r1')), true);
      assert.equal(await store().createRun(newRun('r1')), false);
      const run = await store().getRun('r1');
      assert.equal(run?.phase, 'map');
      assert.equal(run?.owner, 'request-1');
      assert.equal(run?.splits, 3);
    });

    test('a split finished twice is counted once', async () => {
      await store().createRun(newRun('r2'));
      assert.deepEqual(await store().markSplitDone('r2', 0), { first: true, done: 1 });
      assert.deepEqual(await store().markSplitDone('r2', 0), { first: false, done: 1 });
      const results = await Promise.all([1, 1, 2, 2].map((s) => store().markSplitDone('r2', s)));
      assert.equal(results.filter((r) => r.first).length, 2);
      assert.equal((await store().getRun('r2'))?.doneSplits, 3);
    });

    test('concurrent completions claim every later split exactly once, lowest first, then none is left', async () => {
      await store().createRun({ ...newRun('r9'), splits: 8, launched: 3 });
      const owners = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      const claims = await Promise.all(owners.map((o) => store().claimNextSplit('r9', o)));
      assert.deepEqual(
        claims.filter((c) => c !== undefined).sort((x, y) => x! - y!),
        [3, 4, 5, 6, 7],
      );
      assert.equal(claims.filter((c) => c === undefined).length, 2);
      assert.equal(await store().claimNextSplit('r9', 'h'), undefined);
    });

    test('a retry reclaims the splits its owner claimed; another owner reclaims nothing of them', async () => {
      await store().createRun({ ...newRun('r10'), splits: 6, launched: 2 });
      assert.equal(await store().claimNextSplit('r10', 'a'), 2);
      assert.equal(await store().claimNextSplit('r10', 'b'), 3);
      assert.deepEqual(await store().reclaimLaunches('r10', 'a'), [2]);
      assert.deepEqual(await store().reclaimLaunches('r10', 'b'), [3]);
      assert.deepEqual(await store().reclaimLaunches('r10', 'c'), []);
      assert.equal(await store().claimNextSplit('r10', 'c'), 4);
    });

    test('of many concurrent transitions exactly one wins; a retry of the winner (same owner) wins again', async () => {
      await store().createRun(newRun('r3'));
      const owners = ['a', 'b', 'c', 'd', 'e'];
      const won = await Promise.all(owners.map((o) => store().transition('r3', 'map', 'reduce', o)));
      assert.equal(won.filter(Boolean).length, 1);
      const winner = owners[won.indexOf(true)]!;
      const reduceStartedAt = (await store().getRun('r3'))?.reduceStartedAt;
      assert.equal(await store().transition('r3', 'map', 'reduce', winner, '2099-01-01T00:00:00.000Z'), true);
      // The retry does not move the reduce phase's start.
      assert.equal((await store().getRun('r3'))?.reduceStartedAt, reduceStartedAt);
      assert.equal(await store().transition('r3', 'map', 'reduce', 'z'), false);
      assert.equal((await store().getRun('r3'))?.phase, 'reduce');
    });

    test('failures are counted per split', async () => {
      await store().createRun(newRun('r4'));
      assert.equal(await store().recordFailure('r4', 'map', 1), 1);
      assert.equal(await store().recordFailure('r4', 'map', 1), 2);
      assert.equal(await store().recordFailure('r4', 'map', 2), 1);
      assert.deepEqual((await store().getRun('r4'))?.retries, { map: 3, reduce: 0 });
    });

    test('split and partition stats are overwritten, never duplicated, and listed in order', async () => {
      await store().createRun(newRun('r5'));
      const stats = (split: number, recordsIn: number) => ({
        split,
        recordsIn,
        recordsOut: 1,
        bytesRead: 10,
        bytesOut: 5,
        partitions: [0],
        durationMs: 3,
      });
      await store().putSplitStats('r5', stats(1, 7));
      await store().putSplitStats('r5', stats(0, 4));
      await store().putSplitStats('r5', stats(1, 7));
      assert.deepEqual(
        (await store().listSplitStats('r5')).map((s) => [s.split, s.recordsIn]),
        [
          [0, 4],
          [1, 7],
        ],
      );
    });

    test('only the first start of a split is kept; running splits are the started ones not done', async () => {
      await store().createRun(newRun('r6'));
      await Promise.all([store().markSplitStarted('r6', 2, 2000), store().markSplitStarted('r6', 0, 1000)]);
      await store().markSplitStarted('r6', 1, 1500);
      // A retry or a backup of split 0 starts later; its first start stays.
      await store().markSplitStarted('r6', 0, 9000);
      await store().markSplitDone('r6', 1);
      assert.deepEqual(await store().listRunningSplits('r6'), [
        { split: 0, startedAt: 1000, backup: false },
        { split: 2, startedAt: 2000, backup: false },
      ]);
    });

    test('of many concurrent backup claims for a split exactly one wins and is counted; a done split gets none', async () => {
      await store().createRun(newRun('r7'));
      await store().markSplitStarted('r7', 0, 1000);
      await store().markSplitStarted('r7', 1, 1000);
      const claims = await Promise.all([0, 0, 0, 0, 1].map((s) => store().claimBackup('r7', s)));
      assert.equal(claims.filter(Boolean).length, 2);
      assert.equal(claims.slice(0, 4).filter(Boolean).length, 1);
      assert.equal(await store().claimBackup('r7', 0), false);
      await store().markSplitDone('r7', 2);
      assert.equal(await store().claimBackup('r7', 2), false);
      assert.equal((await store().getRun('r7'))?.backups, 2);
      assert.deepEqual(await store().listRunningSplits('r7'), [
        { split: 0, startedAt: 1000, backup: true },
        { split: 1, startedAt: 1000, backup: true },
      ]);
    });

    test('straggler-watcher time is counted per invocation; a run that no longer exists counts nothing', async () => {
      await store().createRun(newRun('w2'));
      await store().countWatcher('w2', 1500);
      await store().countWatcher('w2', 500);
      assert.deepEqual((await store().getRun('w2'))?.watcher, { invocations: 2, ms: 2000 });
      await store().countWatcher('gone', 100);
      assert.equal(await store().getRun('gone'), undefined);
    });

    test('a run says whether the coordinator launched all its first tasks', async () => {
      await store().createRun(newRun('l1'));
      assert.equal((await store().getRun('l1'))?.launchedAll, undefined);
      await store().markLaunchedAll('l1');
      assert.equal((await store().getRun('l1'))?.launchedAll, true);
    });

    test('a run has one straggler watcher, whoever asks first', async () => {
      await store().createRun(newRun('r8'));
      const claims = await Promise.all([1, 2, 3].map(() => store().claimWatcher('r8')));
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await store().claimWatcher('r8'), false);
    });
  });
}

runStoreSpec(
  'memory',
  (() => {
    const store = new MemoryRunStore();
    return () => store;
  })(),
);

let dynalite: LocalService;
let client: DynamoDBClient;
let dynamoStore: DynamoRunStore;
before(async () => {
  dynalite = await startDynalite();
  client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
  await createRunTable(dynalite.endpoint, 'runs');
  dynamoStore = new DynamoRunStore(client, 'runs');
});
after(async () => {
  client?.destroy();
  await dynalite?.close();
});
runStoreSpec('DynamoDB (dynalite)', () => dynamoStore);

test('DynamoDB (dynalite): a run of 100,000 splits keeps its run item within one read unit; a completion writes its leaf, and the run item only when that fills the leaf', async () => {
  const splits = 100_000;
  const viaStore = 20;
  const runId = 'big';
  const layout = runLayout(splits, 1_000);
  assert.deepEqual(layout, { shards: 32, leafSize: 100, leaves: 1_000, claimCounters: 16 });
  const key = { pk: { S: `run#${runId}` }, sk: { S: 'run' } };
  await dynamoStore.createRun({ ...newRun(runId), splits, launched: 1_000 });
  // All splits but the last 20 done, as the store writes them: 999 full leaves, the last one short.
  await client.send(
    new PutItemCommand({
      TableName: 'runs',
      Item: {
        pk: { S: `run#${runId}#${999 % 32}` },
        sk: { S: 'done#000999' },
        done: { NS: Array.from({ length: 100 - viaStore }, (_, i) => String(99_900 + i)) },
      },
    }),
  );
  await client.send(
    new UpdateItemCommand({
      TableName: 'runs',
      Key: key,
      UpdateExpression: 'SET doneLeaves = :s',
      ExpressionAttributeValues: { ':s': { NS: Array.from({ length: 999 }, (_, i) => String(i)) } },
    }),
  );
  assert.equal((await dynamoStore.getRun(runId))?.doneSplits, splits - 100);
  // The last splits as mappers complete them: done mark and successor claim, each with a 36-character request
  // id, and two failed attempts each. Only the last completion fills its leaf and learns that all are done.
  for (let i = splits - viaStore; i < splits; i++) {
    const owner = randomUUID();
    const { first, done } = await dynamoStore.markSplitDone(runId, i, splits);
    assert.equal(first, true);
    assert.equal(done === splits, i === splits - 1);
    assert.equal(
      typeof (await dynamoStore.claimNextSplit(runId, owner, { splits, launched: 1_000 })),
      'number',
    );
    assert.equal(await dynamoStore.recordFailure(runId, 'map', i), 1);
    assert.equal(await dynamoStore.recordFailure(runId, 'map', i), 2);
  }
  const read = await client.send(
    new GetItemCommand({
      TableName: 'runs',
      Key: key,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  // DynamoDB bills a consistent read per 4 KB of the item: every mapper's read of the run item is one unit.
  assert.equal(read.ConsumedCapacity?.CapacityUnits, 1);
  assert.equal(read.Item!.doneLeaves?.NS?.length, 1_000);
  assert.equal(read.Item!.claimCount, undefined);
  const state = (await dynamoStore.getRun(runId))!;
  assert.equal(state.doneSplits, splits);
  assert.equal(state.retries.map, 2 * viaStore);
});

test('DynamoDB (dynalite): a split the counter handed out to a claimer that died before claiming it is reclaimed by a retry; a live claimer that finds its split reclaimed takes the next', async () => {
  const runId = 'lost-claim';
  await dynamoStore.createRun({ ...newRun(runId), splits: 8, launched: 2 });
  assert.equal(await dynamoStore.claimNextSplit(runId, 'a'), 2);
  // A run this small has one shard and one claim counter.
  const shard = { S: `run#${runId}#0` };
  // Two claimers took splits 3 and 4 from the counter and have not claimed them yet (one of them died).
  await client.send(
    new UpdateItemCommand({
      TableName: 'runs',
      Key: { pk: shard, sk: { S: 'claim#0000' } },
      UpdateExpression: 'ADD claims :two',
      ExpressionAttributeValues: { ':two': { N: '2' } },
    }),
  );
  assert.deepEqual(await dynamoStore.reclaimLaunches(runId, 'retry'), [3, 4]);
  assert.deepEqual(await dynamoStore.reclaimLaunches(runId, 'retry'), [3, 4]);
  // The next claim gets split 5. Had split 5 been reclaimed before its claimer got to claim it, that claimer
  // would take split 6 instead (the reclaiming retry launches 5).
  await client.send(
    new PutItemCommand({
      TableName: 'runs',
      Item: { pk: shard, sk: { S: 'launch#000005' }, split: { N: '5' }, owner: { S: 'retry' } },
    }),
  );
  assert.equal(await dynamoStore.claimNextSplit(runId, 'b'), 6);
  assert.equal(await dynamoStore.claimNextSplit(runId, 'c'), 7);
  assert.equal(await dynamoStore.claimNextSplit(runId, 'd'), undefined);
});

test('DynamoDB (dynalite): a completion retried after a crash that followed its leaf write still completes the run', async () => {
  const runId = 'crashed-between';
  await dynamoStore.createRun({ ...newRun(runId), splits: 3 });
  assert.deepEqual(await dynamoStore.markSplitDone(runId, 0), { first: true, done: 1 });
  assert.deepEqual(await dynamoStore.markSplitDone(runId, 1), { first: true, done: 2 });
  // Split 2's mapper added it to its leaf (of one split, in a run this small) and died before its write to the
  // run item.
  await client.send(
    new UpdateItemCommand({
      TableName: 'runs',
      Key: { pk: { S: `run#${runId}#0` }, sk: { S: 'done#000002' } },
      UpdateExpression: 'ADD done :s',
      ExpressionAttributeValues: { ':s': { NS: ['2'] } },
    }),
  );
  assert.equal((await dynamoStore.getRun(runId))?.doneSplits, 2);
  // Its retry is not the first completion, but it finds the leaf full and records it: every split is done.
  assert.deepEqual(await dynamoStore.markSplitDone(runId, 2), { first: false, done: 3 });
  assert.equal((await dynamoStore.getRun(runId))?.doneSplits, 3);
  assert.deepEqual(await dynamoStore.listRunningSplits(runId), []);
});
