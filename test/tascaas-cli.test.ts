// `sls tascaas ...` through the real CLI (osls) on the fixture service, against a tiny fake of the API: what
// each command sends, what it prints, and that the framework leaves a worker's program arguments alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSls } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'tascaas-montecarlo');
const SECRET = 's3cret';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

const STATUS = {
  id: 'j-1',
  job: 'montecarlo',
  state: 'RUNNING',
  iterations: 1000,
  done: 300,
  eta: 42,
  partitions: [
    { index: 0, state: 'running', done: 200, assigned: 500, attempts: 1 },
    { index: 1, state: 'queued', done: 100, assigned: 500, attempts: 2 },
  ],
};

function read(request: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => done(body));
  });
}

/** The API's job routes as the spec words them, refusing what the real server refuses with its plain text. */
function fakeApi(seen: Seen[]): Server {
  return createServer(async (request, response) => {
    const body = await read(request);
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      body,
    });
    const text = (status: number, message: string) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
    };
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (request.url?.startsWith('/node/register')) return text(401, 'Unauthorized');
    if (request.headers.authorization !== `Bearer ${SECRET}`) return text(401, 'Unauthorized');
    if (request.method === 'PUT' && request.url?.startsWith('/jobs/inputs/'))
      return json(201, { stored: true });
    if (request.method === 'POST' && request.url === '/jobs') {
      const job = JSON.parse(body) as { time: number };
      if (job.time > 86400) return text(400, 'job.time: must be at most 86400');
      return json(201, { id: 'j-1' });
    }
    if (request.method === 'GET' && request.url === '/jobs/j-1') return json(200, STATUS);
    if (request.method === 'GET' && request.url?.startsWith('/jobs/')) return text(404, 'Unknown job');
    return text(404, 'Not Found');
  });
}

describe('sls tascaas commands (osls)', () => {
  const seen: Seen[] = [];
  const server = fakeApi(seen);
  let endpoint = '';
  const work = mkdtempSync(join(tmpdir(), 'tascaas-cli-'));
  const sls = (args: string[], env: Record<string, string> = {}) =>
    runSls('osls', ['tascaas', ...args], { cwd: FIXTURE, env });

  before(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a bare `sls tascaas` lists the subcommands', async () => {
    const run = await sls([]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    for (const sub of ['serve', 'worker', 'submit', 'status'])
      assert.match(run.stdout, new RegExp(`sls tascaas ${sub} `));
  });

  test('serve --help lists its options', async () => {
    const run = await sls(['serve', '--help']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    for (const option of ['--local', '--port', '--secret', '--data'])
      assert.ok((run.stdout + run.stderr).includes(option), option);
  });

  test('serve without --local says the deployed API serves on AWS', async () => {
    const run = await sls(['serve']);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /--local: required/);
  });

  test('submit posts the job with the bearer secret and prints the job id last', async () => {
    seen.length = 0;
    const run = await sls(
      [
        'submit',
        '--endpoint',
        endpoint,
        '--job',
        'montecarlo',
        '--iterations',
        '1000',
        '--time',
        '60',
        '--partitions',
        '4',
      ],
      {
        TASCAAS_SECRET: SECRET,
      },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.stdout.trim().split('\n').at(-1), 'j-1');
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      ['POST /jobs'],
    );
    assert.equal(seen[0]!.authorization, `Bearer ${SECRET}`);
    assert.deepEqual(JSON.parse(seen[0]!.body), {
      job: 'montecarlo',
      iterations: 1000,
      time: 60,
      partitions: 4,
    });
  });

  test('submit --local --input FILE uploads the file first and submits it by its name', async () => {
    seen.length = 0;
    const file = join(work, 'seeds.txt');
    writeFileSync(file, '1\n2\n3\n');
    const run = await sls([
      'submit',
      '--local',
      '--endpoint',
      endpoint,
      '--secret',
      SECRET,
      '--job',
      'montecarlo',
      '--iterations',
      '10',
      '--time',
      '0',
      '--input',
      file,
    ]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      ['PUT /jobs/inputs/montecarlo/seeds.txt', 'POST /jobs'],
    );
    assert.equal(seen[0]!.body, '1\n2\n3\n');
    assert.deepEqual(JSON.parse(seen[1]!.body), {
      job: 'montecarlo',
      iterations: 10,
      time: 0,
      input: 'seeds.txt',
    });
    assert.equal(run.stdout.trim().split('\n').at(-1), 'j-1');
  });

  test('submit prints the server’s refusal as it comes, naming the field', async () => {
    const run = await sls([
      'submit',
      '--endpoint',
      endpoint,
      '--secret',
      SECRET,
      '--job',
      'montecarlo',
      '--iterations',
      '5',
      '--time',
      '100000',
    ]);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /400 job\.time: must be at most 86400/);
  });

  test('submit refuses what it can tell is wrong before sending anything', async () => {
    seen.length = 0;
    const unknown = await sls([
      'submit',
      '--endpoint',
      endpoint,
      '--secret',
      SECRET,
      '--job',
      'nope',
      '--iterations',
      '5',
      '--time',
      '1',
    ]);
    assert.match(
      unknown.stdout + unknown.stderr,
      /--job: no job "nope" under custom\.tascaas \(jobs: montecarlo, pi, sweep\)/,
    );
    const bad = await sls([
      'submit',
      '--endpoint',
      endpoint,
      '--secret',
      SECRET,
      '--job',
      'pi',
      '--iterations',
      'many',
      '--time',
      '1',
    ]);
    assert.match(bad.stdout + bad.stderr, /--iterations: must be a whole number >= 1, got "many"/);
    const noSecret = await sls([
      'submit',
      '--local',
      '--endpoint',
      endpoint,
      '--job',
      'pi',
      '--iterations',
      '5',
      '--time',
      '1',
    ]);
    assert.match(noSecret.stdout + noSecret.stderr, /--secret: required with --local/);
    assert.deepEqual(seen, []);
  });

  test('status prints a row per partition with its progress, state and attempts, and the job’s ETA', async () => {
    const run = await sls(['status', '--endpoint', endpoint, '--secret', SECRET, '--id', 'j-1']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /Job j-1 \(montecarlo\): RUNNING, 300\/1,000 iterations, ETA 42s/);
    assert.match(run.stdout, /^0 +\[########-+\] +40% +200\/500 +running +1$/m);
    assert.match(run.stdout, /^1 +\[####-+\] +20% +100\/500 +queued +2$/m);
  });

  test('status --json prints the server’s JSON as it is', async () => {
    const run = await sls(['status', '--endpoint', endpoint, '--secret', SECRET, '--id', 'j-1', '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const line = run.stdout
      .trim()
      .split('\n')
      .find((l) => l.startsWith('{'));
    assert.deepEqual(JSON.parse(line!), STATUS);
  });

  test('status of an unknown job says what the server said', async () => {
    const run = await sls(['status', '--endpoint', endpoint, '--secret', SECRET, '--id', 'j-404']);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /job j-404: the server answered 404 Unknown job/);
  });

  test('worker takes the program and its own options from after --, the framework keeping none of them', async () => {
    const run = await sls([
      'worker',
      '--local',
      '--endpoint',
      endpoint,
      '--secret',
      'wrong',
      '--slots',
      '2',
      '--',
      'python3',
      'simulate.py',
      '--slots',
      '9',
      '-v',
    ]);
    assert.match(run.stdout + run.stderr, /2 slots \(at most 2\), running python3 simulate\.py --slots 9 -v/);
    assert.doesNotMatch(run.stdout + run.stderr, /Unrecognized|Unexpected|multiple "--slots"/i);
  });

  test('worker without a program says to write it after --', async () => {
    const run = await sls(['worker', '--local', '--endpoint', endpoint, '--secret', SECRET, '--slots', '2']);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /worker: no program to run \(write it after --/);
  });
});
