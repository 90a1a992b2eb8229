// The service at its API: TaScaaS's node calls, RUPER-LB's /lb answers, tokens, deliveries, completion, failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runMonitor } from '../src/service';
import {
  lb,
  pull,
  registerNode,
  SECRET,
  status,
  submit,
  testService,
  uploadResult,
  definition,
} from './service-harness';

describe('the node API', () => {
  it('registers an infrastructure with the secret only', async () => {
    const t = testService({ scaleTime: 300 });
    const wrong = await t.get('/node/register', { secret: 'nope', slots: '1', maxSlots: '2' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body, 'Unauthorized');
    assert.equal((await t.get('/node/register', { slots: '1', maxSlots: '2' })).status, 401);
    const missing = await t.get('/node/register', { secret: SECRET, maxSlots: '2' });
    assert.equal(missing.status, 400);
    assert.match(missing.body, /slots/);
    const ok = await t.get('/node/register', { secret: SECRET, slots: '1', maxSlots: '2' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'application/json');
    const body = JSON.parse(ok.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['id', 'scaleTime']);
    assert.equal(body.scaleTime, 300);
  });

  it('answers a heartbeat with requiredCap as a string, scaleTime and epoch, and refuses an unknown id', async () => {
    const t = testService();
    const node = await registerNode(t, 1, 4);
    const beat = await t.get(`/node/${node}/update`);
    assert.equal(beat.status, 200);
    const body = JSON.parse(beat.body) as Record<string, unknown>;
    assert.equal(typeof body.requiredCap, 'string');
    assert.equal(body.scaleTime, 30);
    assert.equal(body.epoch, Math.floor(t.clock.now() / 1000));
    const unknown = await t.get('/node/not-a-node/update');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body, 'Unknown worker ID');
  });

  it('leaves configs out when nothing is queued, and hands out string fields when something is', async () => {
    const t = testService();
    const node = await registerNode(t);
    const idle = JSON.parse((await t.get(`/node/${node}/jobs`, { slots: '2' })).body) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(idle), ['requiredCap']);
    const id = await submit(t, { iterations: 1001, time: 100 });
    const configs = await pull(t, node, 5);
    assert.equal(configs.length, 2);
    for (const config of configs) {
      for (const field of ['ID', 'reportTime', 'worker', 'data-url', 'nIter'] as const) {
        assert.equal(typeof config[field], 'string', field);
      }
      assert.ok(config.ID.startsWith(`${id}.1.`), 'the ID carries the job, the attempt and the token');
      assert.equal(config.reportTime, '10');
      assert.equal(config['data-url'], '');
    }
    assert.deepEqual(configs.map((c) => [c.worker, c.nIter]).sort(), [
      ['0', '501'],
      ['1', '500'],
    ]);
  });

  it('counts a job with time <= 0 as unbalanced: reportTime -1', async () => {
    const t = testService();
    const node = await registerNode(t);
    await submit(t, { iterations: 10, time: -1, partitions: 1 });
    const [config] = await pull(t, node, 1);
    assert.equal(config?.reportTime, '-1');
    assert.equal(config?.nIter, '10');
  });
});

describe('the /lb answers', () => {
  async function started() {
    const t = testService();
    const node = await registerNode(t);
    const id = await submit(t, { iterations: 1000, time: 600, partitions: 2 });
    const configs = await pull(t, node, 2);
    const [zero, one] = [...configs].sort((a, b) => Number(a.worker) - Number(b.worker));
    assert.ok(zero && one);
    return { t, node, id, zero, one };
  }

  it('answers start with the flag, the cumulative assignment and the ETA, byte for byte', async () => {
    const { t, zero } = await started();
    const answer = await lb(t, zero, 'start', { dt: '0' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(answer.body, /^0\nAssigned: 500\nETA: \d+$/);
  });

  it('answers a report before any start with `1 5`, so the RUPER-LB client re-sends start', async () => {
    const { t, zero } = await started();
    const answer = await lb(t, zero, 'report', { nIter: '10', dt: '5' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body, '1 5\n');
  });

  it('refuses a token for another partition, and a malformed query, with RUPER-LB error lines', async () => {
    const { t, zero, one } = await started();
    const swapped = await t.get(`/lb/${zero.ID}/start`, { worker: one.worker, dt: '0' });
    assert.equal(swapped.status, 401);
    assert.equal(swapped.body, '2 27\n');
    const forged = await t.get(`/lb/${zero.ID.slice(0, -2)}xx/report`, {
      worker: zero.worker,
      nIter: '1',
      dt: '1',
    });
    assert.equal(forged.body, '1 27\n');
    const bad = await lb(t, zero, 'report', { nIter: 'many', dt: '1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body, '1 29\n');
  });

  it('accepts dt as an integer or a decimal', async () => {
    const { t, zero } = await started();
    assert.equal((await lb(t, zero, 'start', { dt: '0.25' })).status, 200);
    await t.clock.advance(2000);
    assert.equal((await lb(t, zero, 'report', { nIter: '20', dt: '2.5' })).status, 200);
    await t.clock.advance(2000);
    assert.equal((await lb(t, zero, 'report', { nIter: '40', dt: '4' })).status, 200);
  });

  it('refuses a zombie: the earlier attempt of a partition delivered again', async () => {
    const t = testService();
    const node = await registerNode(t);
    await submit(t, { iterations: 100, time: 600, partitions: 1 });
    const [first] = await pull(t, node, 1);
    assert.ok(first);
    await lb(t, first, 'start', { dt: '0' });
    // Silence: the lease (2 x scaleTime = 60 s) runs out and the partition comes back as attempt 2.
    await t.clock.advance(61_000);
    const [second] = await pull(t, node, 1);
    assert.ok(second);
    assert.ok(second.ID.includes('.2.'));
    const zombie = await lb(t, first, 'report', { nIter: '50', dt: '61' });
    assert.equal(zombie.status, 401);
    assert.equal(zombie.body, '1 27\n');
    assert.match((await lb(t, second, 'start', { dt: '0' })).body, /^0\nAssigned: 100\n/);
  });
});

describe('completion', () => {
  it('completes a partition only when both its finish and its result are in, in either order', async () => {
    const t = testService();
    const node = await registerNode(t);
    const id = await submit(t, { iterations: 20, time: -1, partitions: 2 });
    const [a, b] = await pull(t, node, 2);
    assert.ok(a && b);
    await lb(t, a, 'start', { dt: '0' });
    await lb(t, b, 'start', { dt: '0' });
    // a: finish first (TaScaaS's example programs upload after their finish), then upload.
    assert.match((await lb(t, a, 'finish', { nIter: '10', dt: '3' })).body, /^0\n/);
    assert.equal((await status(t, id)).partitions[Number(a.worker)]?.state, 'running');
    await uploadResult(t, node, a);
    assert.equal((await status(t, id)).partitions[Number(a.worker)]?.state, 'finished');
    // b: upload first, then finish.
    await uploadResult(t, node, b);
    assert.equal((await status(t, id)).state, 'RUNNING');
    await lb(t, b, 'finish', { nIter: '10', dt: '3' });
    const done = await status(t, id);
    assert.equal(done.state, 'COMPLETED');
    assert.equal(done.done, 20);
    const manifest = JSON.parse(
      (await t.services.storage.getBytes('results', `mc/${id}/_SUCCESS.json`)).toString(),
    ) as { partitions: { index: number; result: string }[] };
    assert.deepEqual(
      manifest.partitions.map((p) => p.result),
      [0, 1].map((i) => `mc/${id}/partition-0000${i}/attempt-1.result`),
    );
  });

  it('changes nothing on a second finish or a duplicated delivery', async () => {
    const t = testService();
    const node = await registerNode(t);
    const id = await submit(t, { iterations: 10, time: -1, partitions: 1 });
    const [config] = await pull(t, node, 1);
    assert.ok(config);
    await lb(t, config, 'start', { dt: '0' });
    await uploadResult(t, node, config);
    await lb(t, config, 'finish', { nIter: '10', dt: '1' });
    const once = await status(t, id);
    const twice = await lb(t, config, 'finish', { nIter: '10', dt: '1' });
    assert.equal(twice.body, '3 26\n', 'the job is over');
    assert.deepEqual(await status(t, id), once);
    // A duplicate of the partition's message (SQS delivers at least once) is dropped, not run.
    await t.services.queues.montecarlo?.partitions.send([JSON.stringify({ job: id, partition: 0 })]);
    assert.deepEqual(await pull(t, node, 1), []);
  });

  it('fails the job naming the partition after maxAttempts deliveries, and keeps the input', async () => {
    const t = testService({ definitions: [definition({ maxAttempts: 2 })] });
    await t.services.storage.put('inputs', 'mc/data.bin', 'input');
    const node = await registerNode(t);
    const id = await submit(t, { iterations: 10, time: -1, partitions: 1, input: 'data.bin' });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [config] = await pull(t, node, 1);
      assert.ok(config?.ID.includes(`.${attempt}.`));
      assert.equal(config?.['data-url'], 'link:GET:inputs/mc/data.bin');
      await t.clock.advance(61_000);
    }
    // The third receive moves the message to the dead-letter queue; the monitor fails the job.
    assert.deepEqual(await pull(t, node, 1), []);
    await runMonitor(t.services);
    const failed = await status(t, id);
    assert.equal(failed.state, 'FAILED');
    assert.match(failed.failed ?? '', /partition 0 was delivered 2 times/);
    assert.equal(failed.partitions[0]?.state, 'failed');
    assert.ok(await t.services.storage.head('inputs', 'mc/data.bin'));
    assert.ok(await t.services.storage.head('results', `mc/${id}/_FAILED.json`));
  });

  it('gives a released partition to the next infrastructure at once', async () => {
    const t = testService();
    const a = await registerNode(t);
    const b = await registerNode(t);
    await submit(t, { iterations: 10, time: -1, partitions: 1 });
    const [config] = await pull(t, a, 1);
    assert.ok(config);
    const released = await t.get(`/node/${a}/release`, { ID: config.ID, worker: config.worker });
    assert.equal(released.status, 200);
    const [again] = await pull(t, b, 1);
    assert.ok(again?.ID.includes('.2.'));
  });
});

describe('the job API', () => {
  it('needs the secret', async () => {
    const t = testService();
    assert.equal((await t.post('/jobs', { iterations: 1, time: 1 }, 'wrong')).status, 401);
    assert.equal((await t.get('/jobs/x')).status, 401);
  });

  it('names the field of an invalid job', async () => {
    const t = testService();
    const cases: [unknown, RegExp][] = [
      [{ time: 10 }, /^job\.iterations: required/],
      [{ iterations: 1.5, time: 10 }, /^job\.iterations: must be a whole number/],
      [{ iterations: 10 }, /^job\.time: required/],
      [{ iterations: 10, time: 1, partitions: 9 }, /^job\.partitions: must be a whole number from 1 to 4/],
      [{ iterations: 10, time: 1, initWorkers: 0 }, /^job\.initWorkers: must be a whole number from 1 to 4/],
      [{ iterations: 10, time: 1, inputFile: '../etc/passwd' }, /^job\.inputFile: a key under/],
      [{ iterations: 10, time: 1, input: 'missing.bin' }, /^job\.input: no object inputs\/mc\/missing\.bin/],
      [{ iterations: 10, time: 1, job: 'other' }, /^job\.job: "other" is not a job of this service/],
      [{ iterations: 10, time: 1, speed: 3 }, /^job\.speed: unknown field/],
    ];
    for (const [job, message] of cases) {
      const answer = await t.post('/jobs', job);
      assert.equal(answer.status, 400, JSON.stringify(job));
      assert.match(answer.body, message);
    }
  });

  it('accepts TaScaaS`s job as is', async () => {
    const t = testService();
    await t.services.storage.put('inputs', 'mc/piTest.config', '{}');
    const id = await submit(t, { iterations: 500, time: 500, initWorkers: 2, inputFile: 'piTest.config' });
    const job = await status(t, id);
    assert.equal(job.partitions.length, 2);
    assert.equal(job.iterations, 500);
  });
});
