// The Lambda middleware under middy: a claimed partition reaches the handler, a duplicate delivery runs nothing,
// a handler near the deadline yields and its partition is put back on the queue, a failure goes up untouched.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import {
  NOTHING_TO_RUN,
  runPartition,
  tascaasWorker,
  type LbAnswer,
  type PartitionClaim,
  type PartitionLease,
  type PartitionRecordLike,
  type TascaasContext,
  type WorkerChannel,
} from '../src/worker';
import { fakeServer, idOf } from './worker-fake-server';

// @middy/core 6 is ESM-only; tsx loads it here as the handlers' bundles do.
const middy = (require('@middy/core') as { default: typeof middyCore }).default;

const lease: PartitionLease = {
  id: idOf('job-l', 1),
  jobId: 'job-l',
  partition: 0,
  iterations: 50,
  reportSeconds: 60,
  inputUrl: '',
  resumeFrom: 0,
};

const objects = fakeServer();
after(async () => (await objects).close());

async function claimed() {
  const { url } = await objects;
  const calls: string[] = [];
  const answer = (n: number): LbAnswer => ({ ok: true, assigned: n, eta: 0 });
  const channel: WorkerChannel = {
    start: async () => (calls.push('start'), answer(50)),
    report: async (_l, nIter, _dt, checkpoint) => (calls.push(`report ${nIter} ${checkpoint}`), answer(50)),
    finish: async (_l, nIter) => (calls.push(`finish ${nIter}`), answer(50)),
    uploadUrl: async (_l, kind) => (calls.push(`upload ${kind}`), `${url}/objects/${kind}`),
  };
  const claim: PartitionClaim = { lease, channel, requeue: async () => void calls.push('requeue') };
  return { claim, calls };
}

const event = (body = '{"job":"job-l","partition":0}') => ({ Records: [{ body, messageId: 'm-1' }] });
const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as TascaasContext;

function worker(claim: PartitionClaim | undefined, marginMs?: number) {
  const claimedRecords: PartitionRecordLike[] = [];
  const source = { claim: async (record: PartitionRecordLike) => (claimedRecords.push(record), claim) };
  const handler = middy(async (_event: unknown, ctx: TascaasContext) =>
    runPartition(ctx.tascaas, { initial: 0, step: (n: number, count: number) => n + count, batch: 10 }),
  ).use(tascaasWorker({ source, ...(marginMs === undefined ? {} : { marginMs }) }));
  return { handler, claimedRecords };
}

test('a claimed partition reaches the handler as context.tascaas and runs to its finish', async () => {
  const { claim, calls } = await claimed();
  const { handler, claimedRecords } = worker(claim);
  const result = await handler(event(), context(600_000));
  assert.deepEqual(result, { yielded: false, done: 50, state: 50 });
  assert.deepEqual(claimedRecords, [{ body: '{"job":"job-l","partition":0}', messageId: 'm-1' }]);
  assert.deepEqual(calls, ['start', 'upload result', 'finish 50']);
});

test('a record with nothing to claim (a duplicate delivery) answers success without running the handler', async () => {
  let ran = false;
  const source = { claim: async () => undefined };
  const handler = middy(async () => {
    ran = true;
  }).use(tascaasWorker({ source }));
  assert.deepEqual(await handler(event(), context(600_000)), NOTHING_TO_RUN);
  assert.equal(ran, false);
});

test('with less than the margin left, the handler yields with a checkpoint and the partition is requeued', async () => {
  const { claim, calls } = await claimed();
  const { handler } = worker(claim, 30_000);
  const result = await handler(event(), context(29_999));
  assert.deepEqual(result, { yielded: true });
  assert.deepEqual(calls, ['start', 'upload checkpoint', 'report 0 true', 'requeue']);
});

test("a handler's failure goes up to Lambda untouched, and nothing is requeued", async () => {
  const { claim, calls } = await claimed();
  const handler = middy(async () => {
    throw new Error('the program failed');
  }).use(tascaasWorker({ source: { claim: async () => claim } }));
  await assert.rejects(handler(event(), context(600_000)), /^Error: the program failed$/);
  assert.deepEqual(calls, []);
});

test('more than one record per invocation is refused (the queue must deliver one at a time)', async () => {
  const { claim } = await claimed();
  const { handler } = worker(claim);
  const two = { Records: [...event().Records, ...event().Records] };
  await assert.rejects(handler(two, context(600_000)), /batch size 1/);
});
