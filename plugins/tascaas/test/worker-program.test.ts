// The program SDK: reading RUPER-LB's answers, a partition over HTTP as a program builds it, and runPartition under
// the balancer's Assigned (lowered, raised), with checkpoints, resumption and yielding.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpChannel,
  parseLbAnswer,
  partitionFromEnv,
  partitionOf,
  runPartition,
  type LbAnswer,
  type PartitionLease,
  type PartitionRecord,
  type WorkerChannel,
} from '../src/worker';
import { fakeServer, idOf, TOKEN, type FakeServer } from './worker-fake-server';

const servers: FakeServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function server(...args: Parameters<typeof fakeServer>): Promise<FakeServer> {
  const s = await fakeServer(...args);
  servers.push(s);
  return s;
}

test('lb answers: Assigned and ETA, a refusal as flag and code, anything else a clear error', () => {
  assert.deepEqual(parseLbAnswer('0\nAssigned: 12\nETA: 3'), { ok: true, assigned: 12, eta: 3 });
  assert.deepEqual(parseLbAnswer('0\r\nAssigned: 0\r\nETA: 0\r\n'), { ok: true, assigned: 0, eta: 0 });
  assert.deepEqual(parseLbAnswer('1 5\n'), { ok: false, flag: 1, code: 5 });
  assert.deepEqual(parseLbAnswer('2 27\n'), { ok: false, flag: 2, code: 27 });
  assert.throws(() => parseLbAnswer('<html>Bad Gateway</html>', 'lb report'), {
    message: /^tascaas lb report: unreadable load-balancer answer "<html>Bad Gateway<\/html>"/,
  });
  assert.throws(() => parseLbAnswer('0\nAssigned: many\nETA: 3'), /unreadable load-balancer answer/);
  assert.throws(() => parseLbAnswer(''), /unreadable load-balancer answer/);
});

const lease = (extra: Partial<PartitionLease> = {}): PartitionLease => ({
  id: idOf('job-p', 1),
  jobId: 'job-p',
  partition: 2,
  iterations: 100,
  reportSeconds: 0,
  inputUrl: '',
  resumeFrom: 0,
  ...extra,
});

test('over HTTP, a refusal in a 4xx is an answer; a 4xx without one is an error naming the call, not the token', async () => {
  const fake = await server({
    lb: (action) =>
      action === 'report' ? { status: 400, body: '1 5\n' } : { status: 401, body: 'Unauthorized' },
  });
  const id = idOf('job-p', 1);
  const channel = new HttpChannel({
    lbUrl: `${fake.url}/lb/${id}`,
    uploadRequestUrl: `${fake.url}/results/upload/${id}/2?wID=node-1`,
  });
  assert.deepEqual(await channel.report(lease(), 3, 1.5), { ok: false, flag: 1, code: 5 });
  await assert.rejects(channel.start(lease(), 0), (error: Error) => {
    assert.match(error.message, /^tascaas lb start \(job job-p partition 2\) answered 401 Unauthorized/);
    assert.ok(!error.message.includes(TOKEN));
    return true;
  });
  assert.deepEqual(fake.calls('/lb')[0], {
    method: 'GET',
    path: `/lb/${id}/report`,
    query: { worker: '2', nIter: '3', dt: '1.5' },
    at: fake.calls('/lb')[0]!.at,
  });
});

/** A balancer as a script: start answers `start`, each report the next of `reports` (the last one repeats). */
function scriptedChannel(fake: FakeServer, start: number, reports: number[]) {
  const calls: Array<{ call: string; nIter?: number; checkpoint?: boolean }> = [];
  let next = 0;
  const assigned = (n: number): LbAnswer => ({ ok: true, assigned: n, eta: 1 });
  const channel: WorkerChannel = {
    async start() {
      calls.push({ call: 'start' });
      return assigned(start);
    },
    async report(_lease, nIter, _dt, checkpoint) {
      calls.push({ call: 'report', nIter, checkpoint: checkpoint ?? false });
      return assigned(reports[Math.min(next++, reports.length - 1)] ?? start);
    },
    async finish(_lease, nIter) {
      calls.push({ call: 'finish', nIter });
      return assigned(nIter);
    },
    async uploadUrl(l, kind) {
      calls.push({ call: `upload ${kind}` });
      return `${fake.url}/objects/${l.id}/${l.partition}/${kind}`;
    },
  };
  return { channel, calls };
}

const summing = {
  initial: { sum: 0 },
  step: (s: { sum: number }, count: number) => ({ sum: s.sum + count }),
};

test('runPartition stops early when Assigned is lowered, and never does more than Assigned', async () => {
  const fake = await server();
  const { channel, calls } = scriptedChannel(fake, 100, [25]);
  const steps: number[] = [];
  const run = await runPartition(partitionOf(lease(), channel), {
    ...summing,
    batch: 10,
    step: (s, count) => (steps.push(count), summing.step(s, count)),
  });

  assert.deepEqual(run, { yielded: false, done: 25, state: { sum: 25 } });
  assert.deepEqual(steps, [10, 10, 5]);
  assert.deepEqual(calls, [
    { call: 'start' },
    { call: 'upload checkpoint' },
    { call: 'report', nIter: 10, checkpoint: true },
    { call: 'upload checkpoint' },
    { call: 'report', nIter: 20, checkpoint: true },
    { call: 'upload checkpoint' },
    { call: 'report', nIter: 25, checkpoint: true },
    { call: 'upload result' },
    { call: 'finish', nIter: 25 },
  ]);
  const result = JSON.parse(fake.objects.get(`${idOf('job-p', 1)}/2/result`)!.toString()) as PartitionRecord;
  assert.deepEqual(result, { job: 'job-p', partition: 2, attempt: 1, iterations: 25, state: '{"sum":25}' });
  const checkpoint = JSON.parse(
    fake.objects.get(`${idOf('job-p', 1)}/2/checkpoint`)!.toString(),
  ) as PartitionRecord;
  assert.equal(checkpoint.iterations, 25);
});

test('runPartition goes on when Assigned is raised', async () => {
  const fake = await server();
  const { channel, calls } = scriptedChannel(fake, 20, [40]);
  const run = await runPartition(partitionOf(lease(), channel), { ...summing, batch: 10 });
  assert.deepEqual(run, { yielded: false, done: 40, state: { sum: 40 } });
  assert.deepEqual(
    calls.filter((c) => c.call === 'report' || c.call === 'finish').map((c) => `${c.call} ${c.nIter}`),
    ['report 10', 'report 20', 'report 30', 'report 40', 'finish 40'],
  );
});

test('an unbalanced partition (reportSeconds -1) does its Assigned without reporting', async () => {
  const fake = await server();
  const { channel, calls } = scriptedChannel(fake, 30, []);
  const run = await runPartition(partitionOf(lease({ reportSeconds: -1 }), channel), summing);
  assert.deepEqual(run, { yielded: false, done: 30, state: { sum: 30 } });
  assert.deepEqual(
    calls.map((c) => c.call),
    ['start', 'upload result', 'finish'],
  );
});

test('a resumed attempt starts from the previous checkpoint, counting its reports from the resume point', async () => {
  const fake = await server();
  const previous: PartitionRecord = {
    job: 'job-p',
    partition: 2,
    attempt: 1,
    iterations: 40,
    state: '{"sum":40}',
  };
  fake.objects.set('checkpoints/job-p/2', Buffer.from(JSON.stringify(previous)));
  const resumed = lease({
    id: idOf('job-p', 2),
    resumeFrom: 40,
    iterations: 60,
    checkpointUrl: `${fake.url}/objects/checkpoints/job-p/2`,
  });
  const { channel, calls } = scriptedChannel(fake, 60, [60]);
  const run = await runPartition(partitionOf(resumed, channel), { ...summing, batch: 30 });

  assert.deepEqual(run, { yielded: false, done: 100, state: { sum: 100 } });
  assert.deepEqual(
    calls.filter((c) => c.nIter !== undefined).map((c) => `${c.call} ${c.nIter}`),
    ['report 30', 'report 60', 'finish 60'],
  );
  const result = JSON.parse(fake.objects.get(`${idOf('job-p', 2)}/2/result`)!.toString()) as PartitionRecord;
  assert.deepEqual(result, { job: 'job-p', partition: 2, attempt: 2, iterations: 100, state: '{"sum":100}' });
});

test('a checkpoint that covers more than the resume point (its report was lost) counts what it covers', async () => {
  const fake = await server();
  const previous: PartitionRecord = {
    job: 'job-p',
    partition: 2,
    attempt: 1,
    iterations: 50,
    state: '{"sum":50}',
  };
  fake.objects.set('checkpoints/job-p/2', Buffer.from(JSON.stringify(previous)));
  const resumed = lease({
    id: idOf('job-p', 2),
    resumeFrom: 40,
    checkpointUrl: `${fake.url}/objects/checkpoints/job-p/2`,
  });
  const { channel, calls } = scriptedChannel(fake, 60, [60]);
  const run = await runPartition(partitionOf(resumed, channel), { ...summing, batch: 50 });
  assert.deepEqual(run, { yielded: false, done: 100, state: { sum: 100 } });
  assert.deepEqual(
    calls.filter((c) => c.nIter !== undefined).map((c) => `${c.call} ${c.nIter}`),
    ['report 60', 'finish 60'],
  );
});

test('a resumed attempt whose checkpoint is gone fails instead of starting over under a wrong count', async () => {
  const fake = await server();
  const resumed = lease({
    id: idOf('job-p', 2),
    resumeFrom: 40,
    checkpointUrl: `${fake.url}/objects/nothing`,
  });
  const { channel } = scriptedChannel(fake, 60, [60]);
  await assert.rejects(
    runPartition(partitionOf(resumed, channel), summing),
    /resumes from 40 but has no checkpoint/,
  );
});

test('when it should yield, runPartition reports with a checkpoint and stops', async () => {
  const fake = await server();
  const { channel, calls } = scriptedChannel(fake, 100, [100]);
  const partition = partitionOf(lease({ reportSeconds: 30 }), channel);
  let steps = 0;
  partition.yieldWhen(() => steps >= 2);
  const run = await runPartition(partition, {
    ...summing,
    batch: 10,
    step: (s, count) => (steps++, summing.step(s, count)),
  });

  assert.deepEqual(run, { yielded: true });
  assert.deepEqual(calls, [
    { call: 'start' },
    { call: 'upload checkpoint' },
    { call: 'report', nIter: 20, checkpoint: true },
  ]);
  const checkpoint = JSON.parse(
    fake.objects.get(`${idOf('job-p', 1)}/2/checkpoint`)!.toString(),
  ) as PartitionRecord;
  assert.deepEqual(checkpoint, {
    job: 'job-p',
    partition: 2,
    attempt: 1,
    iterations: 20,
    state: '{"sum":20}',
  });
});

test('a program built from its TASCAAS_* environment runs over HTTP: lb calls, upload requests, PUTs', async () => {
  const id = idOf('job-h', 1);
  const fake = await server({
    lb: (action) => ({ status: 200, body: `0\nAssigned: ${action === 'start' ? 6 : 4}\nETA: 1\n` }),
  });
  fake.objects.set('inputs/job-h', Buffer.from([0, 1, 2, 255]));
  const uploadRequestUrl = `${fake.url}/results/upload/${id}/0?wID=node-1`;
  const partition = partitionFromEnv(
    {
      TASCAAS_INPUT_URL: `${fake.url}/objects/inputs/job-h`,
      TASCAAS_LB_URL: `${fake.url}/lb/${id}`,
      TASCAAS_JOB_ID: id,
      TASCAAS_PARTITION: '0',
      TASCAAS_REPORT_SECONDS: '0',
      TASCAAS_UPLOAD_REQUEST_URL: uploadRequestUrl,
      TASCAAS_ITERATIONS: '6',
    },
    [],
  );
  assert.deepEqual(
    [partition.jobId, partition.index, partition.attempt, partition.iterations],
    ['job-h', 0, 1, 6],
  );
  assert.deepEqual(await partition.input(), Buffer.from([0, 1, 2, 255]));
  assert.equal(await partition.previousCheckpoint(), undefined);

  const run = await runPartition(partition, { ...summing, batch: 3 });
  assert.deepEqual(run, { yielded: false, done: 4, state: { sum: 4 } });
  const lb = fake
    .calls('/lb')
    .map((r) => `${r.path.split('/').pop()} ${JSON.stringify({ ...r.query, dt: undefined })}`);
  assert.deepEqual(lb, [
    'start {"worker":"0"}',
    'report {"worker":"0","nIter":"3","checkpoint":"1"}',
    'report {"worker":"0","nIter":"4","checkpoint":"1"}',
    'finish {"worker":"0","nIter":"4"}',
  ]);
  assert.ok(fake.calls('/lb').every((r) => /^\d+(\.\d+)?$/.test(r.query.dt ?? '')));
  assert.deepEqual(
    fake.calls('/results/upload').map((r) => r.query),
    [{ wID: 'node-1', kind: 'checkpoint' }, { wID: 'node-1', kind: 'checkpoint' }, { wID: 'node-1' }],
  );
  assert.ok(fake.objects.has(`${id}/0/result`));
});

test('a program started with the six positional arguments only (as worker.py passes them) reads them', () => {
  const id = idOf('job-v', 3);
  const partition = partitionFromEnv({}, [
    'own-arg',
    'http://api/objects/in',
    `http://api/lb/${id}`,
    id,
    '4',
    '-1',
    `http://api/results/upload/${id}/4?wID=n`,
  ]);
  assert.deepEqual(
    [partition.jobId, partition.index, partition.attempt, partition.reportSeconds, partition.lease.inputUrl],
    ['job-v', 4, 3, -1, 'http://api/objects/in'],
  );
  assert.throws(() => partitionFromEnv({}, []), /not started as a tascaas program/);
});

test('a report answered "worker not started" starts again, then reports again', async () => {
  let started = 0;
  const answers: LbAnswer[] = [
    { ok: false, flag: 1, code: 5 },
    { ok: true, assigned: 9, eta: 0 },
  ];
  const channel: WorkerChannel = {
    start: async () => (started++, { ok: true, assigned: 9, eta: 0 }),
    report: async () => answers.shift()!,
    finish: async () => ({ ok: true, assigned: 9, eta: 0 }),
    uploadUrl: async () => 'http://unused',
  };
  const partition = partitionOf(lease(), channel);
  assert.deepEqual(await partition.report(3), { ok: true, assigned: 9, eta: 0 });
  assert.equal(started, 1);
});
