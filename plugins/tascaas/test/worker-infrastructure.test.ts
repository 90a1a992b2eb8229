// An infrastructure against a fake API, running real programs: what each program is given, what happens when it
// fails, heartbeats and capacity, shutdown, and what the log may say.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runInfrastructure, slotsForCap, type InfrastructureOptions } from '../src/worker';
import { config, fakeServer, idOf, SECRET, TOKEN, type FakeServer } from './worker-fake-server';

// The program: records its argv and TASCAAS_* environment, then exits with EXIT_<partition> (0 when unset), or
// with MODE=wait runs until SIGTERM and notes that it got it.
const dir = mkdtempSync(join(tmpdir(), 'tascaas worker $(x) '));
const program = join(dir, 'a program.js');
writeFileSync(
  program,
  `#!${process.execPath}
const fs = require('node:fs');
const out = process.env.RECORD_DIR + '/' + process.env.TASCAAS_PARTITION + '.json';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('TASCAAS_') || k === 'EXTRA'));
fs.writeFileSync(out + '.tmp', JSON.stringify({ argv: process.argv.slice(2), env }));
fs.renameSync(out + '.tmp', out);
if (process.env.MODE === 'wait') {
  process.on('SIGTERM', () => { fs.writeFileSync(out + '.sigterm', 'yes'); process.exit(0); });
  setInterval(() => {}, 1000);
} else process.exit(Number(process.env['EXIT_' + process.env.TASCAAS_PARTITION] || 0));
`,
);
chmodSync(program, 0o755);

const logs: string[] = [];
const servers: FakeServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
  // Nothing any test logged carries a partition token, an upload URL's signature or the deployment secret.
  for (const line of logs) {
    assert.ok(!line.includes(TOKEN), `a log line carries a token: ${line}`);
    assert.ok(!line.includes(SECRET), `a log line carries the secret: ${line}`);
  }
});

async function server(...args: Parameters<typeof fakeServer>): Promise<FakeServer> {
  const s = await fakeServer(...args);
  servers.push(s);
  return s;
}

function recordDir(): string {
  return mkdtempSync(join(tmpdir(), 'tascaas-records-'));
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

function infrastructure(
  fake: FakeServer,
  records: string,
  extra: Partial<InfrastructureOptions> = {},
): { done: ReturnType<typeof runInfrastructure>; stop: AbortController; lines: string[] } {
  const stop = new AbortController();
  const lines: string[] = [];
  const done = runInfrastructure({
    endpoint: fake.url,
    secret: SECRET,
    slots: 2,
    maxSlots: 2,
    program,
    env: { RECORD_DIR: records },
    log: (line) => {
      lines.push(line);
      logs.push(line);
    },
    signal: stop.signal,
    pollMs: 30,
    output: 'ignore',
    handleSignals: false,
    ...extra,
  });
  return { done, stop, lines };
}

const recorded = (records: string, partition: number) =>
  JSON.parse(readFileSync(join(records, `${partition}.json`), 'utf8')) as {
    argv: string[];
    env: Record<string, string>;
  };

test('a program gets the six positional arguments after its own, and the TASCAAS_* environment, without a shell', async () => {
  const fake = await server();
  fake.script.configs = [config(fake.url, 'job-a', 3, { nIter: '40', reportTime: '7' })];
  const records = recordDir();
  const touched = join(dir, 'touched');
  const { done, stop, lines } = infrastructure(fake, records, {
    args: [`$(touch '${touched}')`, 'two words'],
    env: { RECORD_DIR: records, EXTRA: 'from the env option', TASCAAS_RESUME_FROM: '99' },
  });
  await until('the program', () => existsSync(join(records, '3.json')));
  await until('its exit', () => lines.some((l) => l.startsWith('finished')));
  stop.abort();
  await done;

  const id = idOf('job-a', 1);
  const lbUrl = `${fake.url}/lb/${id}`;
  const uploadRequestUrl = `${fake.url}/results/upload/${id}/3?wID=node-1`;
  const inputUrl = `${fake.url}/objects/inputs/job-a`;
  const { argv, env } = recorded(records, 3);
  assert.deepEqual(argv, [
    `$(touch '${touched}')`,
    'two words',
    inputUrl,
    lbUrl,
    id,
    '3',
    '7',
    uploadRequestUrl,
  ]);
  assert.equal(existsSync(touched), false);
  assert.deepEqual(env, {
    EXTRA: 'from the env option',
    TASCAAS_INPUT_URL: inputUrl,
    TASCAAS_LB_URL: lbUrl,
    TASCAAS_JOB_ID: id,
    TASCAAS_PARTITION: '3',
    TASCAAS_REPORT_SECONDS: '7',
    TASCAAS_UPLOAD_URL: `${fake.url}/objects/${id}/3/result?X-Signature=${TOKEN}sig`,
    TASCAAS_ITERATIONS: '40',
    TASCAAS_UPLOAD_REQUEST_URL: uploadRequestUrl,
    TASCAAS_CHECKPOINT_REQUEST_URL: `${uploadRequestUrl}&kind=checkpoint`,
  });
  assert.deepEqual(fake.calls('/results/upload'), [
    {
      method: 'GET',
      path: `/results/upload/${id}/3`,
      query: { wID: 'node-1' },
      at: fake.calls('/results')[0]!.at,
    },
  ]);
});

test('a resumed attempt also gets where it resumes from and the checkpoint to read', async () => {
  const fake = await server();
  const checkpointUrl = `${fake.url}/objects/${idOf('job-r', 1)}/0/checkpoint`;
  fake.script.configs = [
    config(fake.url, 'job-r', 0, { ID: idOf('job-r', 2), resumeFrom: '25', 'checkpoint-url': checkpointUrl }),
  ];
  const records = recordDir();
  const { done, stop } = infrastructure(fake, records);
  await until('the program', () => existsSync(join(records, '0.json')));
  stop.abort();
  await done;
  const { env } = recorded(records, 0);
  assert.equal(env.TASCAAS_RESUME_FROM, '25');
  assert.equal(env.TASCAAS_CHECKPOINT_URL, checkpointUrl);
  assert.equal(env.TASCAAS_JOB_ID, idOf('job-r', 2));
});

test('a program that exits 1 gives its partition back; one that exits 0 frees its slot', async () => {
  const fake = await server();
  fake.script.configs = [config(fake.url, 'job-b', 0), config(fake.url, 'job-b', 1)];
  const records = recordDir();
  const { done, stop, lines } = infrastructure(fake, records, {
    env: { RECORD_DIR: records, EXIT_1: '1' },
  });
  await until('the release', () => fake.calls('/node/node-1/release').length === 1);
  // Both slots are free again: it pulls for both.
  const pullsForBoth = () => fake.calls('/node/node-1/jobs').filter((r) => r.query.slots === '2').length;
  await until('a pull for both slots', () => pullsForBoth() >= 2);
  stop.abort();
  const summary = await done;

  assert.deepEqual(
    fake.calls('/node/node-1/release').map((r) => r.query),
    [{ ID: idOf('job-b', 1), worker: '1' }],
  );
  assert.deepEqual(summary, { id: 'node-1', started: 2, succeeded: 1 });
  assert.ok(lines.includes('registered node-1 (2/2 slots, scaleTime 30 s)'), lines.join('\n'));
  assert.ok(lines.includes('started job job-b partition 0 (attempt 1, 10 iterations)'));
  assert.ok(lines.includes('finished job job-b partition 0 (exit code 0)'));
  assert.ok(lines.includes('finished job job-b partition 1 (exit code 1)'));
  assert.ok(lines.includes('released job job-b partition 1'));
});

test('a partition whose upload request fails is given back without running the program', async () => {
  const fake = await server({ uploadStatus: 403 });
  fake.script.configs = [config(fake.url, 'job-u', 0)];
  const records = recordDir();
  const { done, stop, lines } = infrastructure(fake, records);
  await until('the release', () => fake.calls('/node/node-1/release').length === 1);
  stop.abort();
  assert.deepEqual(await done, { id: 'node-1', started: 0, succeeded: 0 });
  assert.ok(
    lines.some((l) =>
      l.startsWith('job job-u partition 0: upload request failed, giving the partition back'),
    ),
    lines.join('\n'),
  );
});

test('heartbeats go out every scaleTime/3 seconds; requiredCap 0.5 of 4 maxSlots sets 2 slots', async () => {
  const fake = await server({ scaleTime: 3, requiredCap: '0.5' });
  const { done, stop, lines } = infrastructure(fake, recordDir(), { slots: 1, maxSlots: 4 });
  await until(
    'two heartbeats',
    () => fake.calls('/node/node-1/update').filter((r) => !r.query.slots).length >= 2,
  );
  stop.abort();
  await done;

  const updates = fake.calls('/node/node-1/update');
  assert.deepEqual(updates[0]?.query, { slots: '2' });
  const beats = updates.filter((r) => !r.query.slots).map((r) => r.at);
  const register = fake.calls('/node/register')[0]!.at;
  for (const [i, at] of beats.entries()) {
    const since = at - (beats[i - 1] ?? register);
    assert.ok(since >= 950 && since < 1900, `heartbeat ${i} came ${since} ms after the previous`);
  }
  assert.ok(lines.includes('slots 1 -> 2 (requiredCap 0.5)'));
  // Pulls then ask for the 2 slots.
  assert.equal(fake.calls('/node/node-1/jobs').at(-1)?.query.slots, '2');
});

test('requiredCap follows TaScaaS: between 1 and maxSlots, ignored when -1', () => {
  assert.equal(slotsForCap(0.5, 4), 2);
  assert.equal(slotsForCap(0.3, 10), 3);
  assert.equal(slotsForCap(0.01, 4), 1);
  assert.equal(slotsForCap(0, 4), 1);
  assert.equal(slotsForCap(1, 4), 4);
  assert.equal(slotsForCap(-1, 4), undefined);
  assert.equal(slotsForCap(NaN, 4), undefined);
});

test('on abort, running programs get SIGTERM and the infrastructure disconnects, releasing nothing itself', async () => {
  const fake = await server();
  fake.script.configs = [config(fake.url, 'job-s', 0), config(fake.url, 'job-s', 1)];
  const records = recordDir();
  const { done, stop, lines } = infrastructure(fake, records, { env: { RECORD_DIR: records, MODE: 'wait' } });
  await until(
    'both programs',
    () => existsSync(join(records, '0.json')) && existsSync(join(records, '1.json')),
  );
  stop.abort();
  await done;

  assert.equal(readFileSync(join(records, '0.json.sigterm'), 'utf8'), 'yes');
  assert.equal(readFileSync(join(records, '1.json.sigterm'), 'utf8'), 'yes');
  assert.equal(fake.calls('/node/node-1/disconnect').length, 1);
  assert.equal(fake.calls('/node/node-1/release').length, 0);
  assert.equal(lines.at(-1), 'disconnected node-1');
});

test("this process's SIGTERM stops it the same way", async () => {
  const fake = await server();
  fake.script.configs = [config(fake.url, 'job-t', 0)];
  const records = recordDir();
  const { done } = infrastructure(fake, records, {
    env: { RECORD_DIR: records, MODE: 'wait' },
    handleSignals: true,
  });
  await until('the program', () => existsSync(join(records, '0.json')));
  process.emit('SIGTERM');
  await done;
  assert.equal(readFileSync(join(records, '0.json.sigterm'), 'utf8'), 'yes');
  assert.equal(fake.calls('/node/node-1/disconnect').length, 1);
  assert.equal(process.listenerCount('SIGTERM'), 0);
});

test('a program that ignores SIGTERM is killed after the grace period', async () => {
  const fake = await server();
  fake.script.configs = [config(fake.url, 'job-k', 0)];
  const records = recordDir();
  const stubborn = join(dir, 'stubborn.js');
  writeFileSync(
    stubborn,
    `require('node:fs').writeFileSync(process.env.RECORD_DIR + '/0.json', '{}');
process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`,
  );
  const { done, stop, lines } = infrastructure(fake, records, {
    program: process.execPath,
    args: [stubborn],
    graceMs: 200,
  });
  await until('the program', () => existsSync(join(records, '0.json')));
  stop.abort();
  await done;
  assert.ok(lines.includes('finished job job-k partition 0 (signal SIGKILL)'), lines.join('\n'));
});

test('a wrong secret fails the start with a message that does not carry it', async () => {
  const fake = await server({ secret: 'another' });
  const { done } = infrastructure(fake, recordDir());
  await assert.rejects(done, (error: Error) => {
    assert.match(error.message, /^tascaas register answered 401 Unauthorized/);
    assert.ok(!error.message.includes(SECRET));
    return true;
  });
});

test('a program written with the SDK runs its partition through the balancer and uploads its result', async () => {
  const fake = await server({ lb: () => ({ status: 200, body: '0\nAssigned: 12\nETA: 0\n' }) });
  fake.script.configs = [config(fake.url, 'job-e', 1, { nIter: '12', reportTime: '0' })];
  const { done, stop, lines } = infrastructure(fake, recordDir(), {
    program: process.execPath,
    args: ['--import', 'tsx', join(__dirname, 'worker-sdk-program.ts')],
    output: 'inherit',
  });
  await until('the program', () => lines.some((l) => l.startsWith('finished')), 20_000);
  stop.abort();
  await done;

  assert.ok(lines.includes('finished job job-e partition 1 (exit code 0)'), lines.join('\n'));
  const id = idOf('job-e', 1);
  assert.deepEqual(JSON.parse(fake.objects.get(`${id}/1/result`)!.toString()), {
    job: 'job-e',
    partition: 1,
    attempt: 1,
    iterations: 12,
    state: '12',
  });
  // Batches grow from 1 while steps are quick, each followed by a report (reportTime 0).
  const lb = fake.calls('/lb').map((r) => `${r.path.split('/').pop()} ${r.query.nIter ?? ''}`.trim());
  assert.deepEqual(lb, ['start', 'report 1', 'report 3', 'report 7', 'report 12', 'finish 12']);
});
