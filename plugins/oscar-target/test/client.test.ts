// The OSCAR client against the contract server (the fake OSCAR behind Prism and OSCAR's API document): every
// call, the failures a cluster gives, the refresh flow, and no secret in any message or log line.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOscarClient, OscarHttpError, type OscarClientOptions } from '../src/client';
import { startOscarContract, type OscarContract } from '../../../test/harness/oscar/contract';
import { startFakeOscar, type FakeOscar } from '../../../test/harness/oscar/fake-oscar';
import { startOidc, type LoopbackOidc } from '../../../test/harness/oscar/oidc';
import { hasOpenssl, selfSignedCertificate } from '../../../test/harness/self-signed';

const USER = 'oscar';
const PASSWORD = 'pw-Very-Secret-4711';
const MINIO_SECRET = 'minio-secret-key-4712';
const MINIO_ACCESS = 'minio-access-key-4713';

let contract: OscarContract;
let oidc: LoopbackOidc;
const messages: string[] = [];
const lines: string[] = [];

before(async () => {
  oidc = await startOidc({ clientId: 'oscar-cli' });
  contract = await startOscarContract({
    username: USER,
    password: PASSWORD,
    acceptToken: (token) => oidc.accepts(token),
    minio: {
      endpoint: 'https://minio.oscar.example.org',
      region: 'us-east-1',
      access_key: MINIO_ACCESS,
      secret_key: MINIO_SECRET,
      verify: true,
    },
  });
});
after(async () => {
  await contract?.close();
  await oidc?.close();
});
beforeEach(() => {
  contract.fake.reset();
  contract.fake.options.logsShape = 'paged';
  contract.fake.options.pageSize = 50;
  contract.fake.options.existsStatus = 400;
  contract.fake.options.legacyEnvironment = false;
  contract.clear();
});
afterEach(() => {
  assert.deepEqual(
    contract.violations(),
    [],
    'every request and response validates against the API document',
  );
});

function client(overrides: Partial<OscarClientOptions> = {}) {
  return createOscarClient({
    endpoint: contract.endpoint,
    auth: { kind: 'basic', username: USER, password: PASSWORD },
    timeoutMs: 2000,
    log: (line) => lines.push(line),
    ...overrides,
  });
}

/** The OscarHttpError `promise` rejects with (kept for the no-secret check). */
async function failure(promise: Promise<unknown>): Promise<OscarHttpError> {
  const error = await promise.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OscarHttpError, `an OscarHttpError, got ${String(error)}`);
  assert.equal(error.code, 'CONTINUUM_OSCAR_HTTP');
  messages.push(error.message);
  return error;
}

const plants = {
  name: 'plants',
  image: 'grycap/oscar-theano-plants',
  script: '#!/bin/sh\npython plants.py "$INPUT_FILE_PATH"\n',
  environment: { variables: { THRESHOLD: '0.8' } },
  input: [{ storage_provider: 'minio.default', path: 'plants/in', suffix: ['.jpg'] }],
  output: [{ storage_provider: 'minio.default', path: 'plants/out' }],
};

describe('services', () => {
  test('create answers 201 with an empty body; the client reads the service back for its token', async () => {
    const created = await client().createService(plants);
    assert.equal(created.name, 'plants');
    assert.match(String(created.token), /^[0-9a-f]{64}$/);
    assert.equal(created.token, contract.fake.services.get('plants')?.token);
    const calls = contract.fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.deepEqual(calls, ['POST /system/services 201', 'GET /system/services/plants 200']);
    assert.equal(contract.tolerated().length, 1, 'the empty 201 is the one gap of the document');
  });

  test('create of a name that exists is a clear error (400 "already exists" on v4, 409 on v3)', async () => {
    await client().createService(plants);
    for (const status of [400, 409] as const) {
      contract.fake.options.existsStatus = status;
      const error = await failure(client().createService(plants));
      assert.equal(error.reason, 'exists');
      assert.equal(error.status, status);
      assert.equal(error.service, 'plants');
      assert.match(error.message, /^create of service plants: 40[09] .* already exists on the cluster/);
    }
  });

  test('update replaces the whole definition (PUT, 204) and keeps the token', async () => {
    const { token } = await client().createService(plants);
    await client().updateService({ ...plants, image: 'grycap/oscar-theano-plants:v2', environment: {} });
    const stored = contract.fake.services.get('plants');
    assert.equal(stored?.image, 'grycap/oscar-theano-plants:v2');
    assert.deepEqual(stored?.environment, {});
    assert.equal(stored?.token, token);
  });

  test('update of a service the cluster does not have names it', async () => {
    const error = await failure(client().updateService(plants));
    assert.equal(error.reason, 'not-found');
    assert.match(
      error.message,
      /^update of service plants: 404 Not Found from http:\/\/127\.0\.0\.1:\d+ — no service plants/,
    );
  });

  test('lists services', async () => {
    await client().createService(plants);
    await client().createService({
      ...plants,
      name: 'cowsay',
      image: 'ghcr.io/grycap/cowsay',
      input: [],
      output: [],
    });
    const names = (await client().listServices()).map((s) => s.name).sort();
    assert.deepEqual(names, ['cowsay', 'plants']);
  });

  test('an unknown service: read answers undefined, delete answers false (404, empty body)', async () => {
    assert.equal(await client().getService('nothing'), undefined);
    assert.equal(await client().deleteService('nothing'), false);
  });

  test('delete removes the service, and OSCAR removes its MinIO buckets with it', async () => {
    await client().createService(plants);
    assert.equal(await client().deleteService('plants'), true);
    assert.equal(contract.fake.services.has('plants'), false);
    assert.deepEqual(contract.fake.deletedBuckets, ['plants']);
  });

  test('environment.Variables (OSCAR before v3.4) is read as environment.variables', async () => {
    await client().createService(plants);
    contract.fake.options.legacyEnvironment = true;
    const read = await client().getService('plants');
    assert.deepEqual(read?.environment, { variables: { THRESHOLD: '0.8' } });
    const [listed] = await client().listServices();
    assert.deepEqual(listed?.environment, { variables: { THRESHOLD: '0.8' } });
  });
});

describe('invocations', () => {
  test('run sends the input base64-encoded with the service token and decodes the answer', async () => {
    const { token } = await client().createService(plants);
    const output = await client().run('plants', String(token), Buffer.from('leaf.jpg'));
    // Without an output file OSCAR answers the logs, as text: they are returned as they are.
    contract.fake.fail({ status: 200, body: 'Executing script\nDone', asOscar: true });
    const logs = await client().run('plants', String(token), Buffer.from('x'));
    assert.equal(logs.toString(), 'Executing script\nDone');
    assert.equal(output.toString(), 'LEAF.JPG');
    const run = contract.fake.requests.find((r) => r.path === '/run/plants');
    assert.equal(run?.auth, 'bearer');
    await client().createService({
      ...plants,
      name: 'rev',
      script: 'rev "$INPUT_FILE_PATH"',
      input: [],
      output: [],
    });
    const rev = await client().getService('rev');
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await client().run('rev', String(rev?.token), bytes), Buffer.from([255, 2, 1, 0]));
  });

  test('/run takes only Bearer: Basic gets 401, and a wrong service token is a clear error', async () => {
    await client().createService(plants);
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const answer = await fetch(`${contract.endpoint}/run/plants`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/octet-stream' },
      body: Buffer.from('x').toString('base64'),
    });
    assert.equal(answer.status, 401);
    const error = await failure(client().run('plants', 'not-the-token', Buffer.from('x')));
    assert.equal(error.reason, 'unauthorized');
    assert.match(
      error.message,
      /^run of service plants: 401 Unauthorized .* the service's token was refused/,
    );
  });

  test('job answers 201 with no id; the job shows in jobs and its log in jobLog', async () => {
    const { token } = await client().createService(plants);
    await client().job('plants', String(token), Buffer.from('leaf.jpg'));
    const { jobs, nextPage } = await client().jobs('plants');
    const [name, info] = Object.entries(jobs)[0] ?? [];
    assert.match(String(name), /^plants-/);
    assert.equal(info?.status, 'Succeeded');
    assert.equal(nextPage, undefined);
    assert.equal(await client().jobLog('plants', String(name)), `job ${name}: 8 bytes in\nLEAF.JPG\n`);
  });

  test('jobs reads both shapes: {jobs, next_page} (v3.6.4 on, paged) and the bare map before', async () => {
    const { token } = await client().createService(plants);
    for (let i = 0; i < 3; i++) await client().job('plants', String(token), Buffer.from(`${i}`));
    contract.fake.options.pageSize = 2;
    const first = await client().jobs('plants');
    assert.equal(Object.keys(first.jobs).length, 2);
    assert.equal(first.nextPage, '2');
    const second = await client().jobs('plants', first.nextPage);
    assert.equal(Object.keys(second.jobs).length, 1);
    assert.equal(second.nextPage, undefined);
    contract.fake.options.logsShape = 'bare';
    const bare = await client().jobs('plants');
    assert.deepEqual(
      Object.keys(bare.jobs).sort(),
      [...Object.keys(first.jobs), ...Object.keys(second.jobs)].sort(),
    );
    assert.equal(bare.nextPage, undefined);
  });
});

describe('cluster', () => {
  test('info, and config with every credential removed', async () => {
    assert.equal((await client().info()).version, 'v4.1.2');
    const config = await client().config();
    const text = JSON.stringify(config);
    assert.equal(text.includes(MINIO_SECRET), false);
    assert.equal(text.includes(MINIO_ACCESS), false);
    assert.deepEqual(config.minio_provider, {
      endpoint: 'https://minio.oscar.example.org',
      region: 'us-east-1',
      verify: true,
    });
    assert.equal((config.config as { name?: string }).name, 'oscar');
  });

  test('minio() returns the MinIO credentials, for put/get/ls only', async () => {
    assert.deepEqual(await client().minio(), {
      endpoint: 'https://minio.oscar.example.org',
      region: 'us-east-1',
      accessKey: MINIO_ACCESS,
      secretKey: MINIO_SECRET,
      verify: true,
    });
  });

  test('a wrong password is a 401 that says to check provider.auth', async () => {
    const error = await failure(
      client({ auth: { kind: 'basic', username: USER, password: 'wrong-password-9' } }).listServices(),
    );
    assert.equal(error.reason, 'unauthorized');
    assert.match(
      error.message,
      /^list of services: 401 Unauthorized from http:\/\/127\.0\.0\.1:\d+ — check provider\.auth/,
    );
  });
});

describe('OIDC tokens', () => {
  test('a fixed OIDC token works on /system/*', async () => {
    const token = (await fetch(oidc.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: oidc.refreshToken,
        client_id: 'oscar-cli',
      }),
    }).then((r) => r.json())) as { access_token: string };
    assert.equal(
      (await client({ auth: { kind: 'token', token: token.access_token } }).info()).version,
      'v4.1.2',
    );
    assert.equal(contract.fake.requests[0]?.auth, 'bearer');
  });

  test('refresh: an access token is got before the first call, and a 401 mid-sequence is fixed by one refresh', async () => {
    const before = oidc.refreshes;
    const refreshing = client({
      auth: {
        kind: 'refresh',
        refreshToken: oidc.refreshToken,
        tokenEndpoint: oidc.tokenEndpoint,
        clientId: 'oscar-cli',
      },
    });
    await refreshing.createService(plants);
    assert.equal(oidc.refreshes, before + 1);
    oidc.expire();
    await refreshing.updateService({ ...plants, image: 'grycap/oscar-theano-plants:v2' });
    assert.equal(oidc.refreshes, before + 2);
    assert.equal(contract.fake.services.get('plants')?.image, 'grycap/oscar-theano-plants:v2');
    const statuses = contract.fake.requests.map((r) => `${r.method} ${r.status}`);
    assert.deepEqual(statuses, ['POST 201', 'GET 200', 'PUT 401', 'PUT 204']);
    assert.ok(lines.some((l) => /refreshing the access token/.test(l)));
  });

  test('refresh with a stale access token given: the 401 it gets is fixed by one refresh', async () => {
    const before = oidc.refreshes;
    const refreshing = client({
      auth: {
        kind: 'refresh',
        refreshToken: oidc.refreshToken,
        tokenEndpoint: oidc.tokenEndpoint,
        clientId: 'oscar-cli',
        token: 'stale-access-token-1',
      },
    });
    assert.equal((await refreshing.info()).version, 'v4.1.2');
    assert.equal(oidc.refreshes, before + 1);
    assert.deepEqual(
      contract.fake.requests.map((r) => r.status),
      [401, 200],
    );
  });

  test('calls made together share one refresh', async () => {
    const before = oidc.refreshes;
    const refreshing = client({
      auth: {
        kind: 'refresh',
        refreshToken: oidc.refreshToken,
        tokenEndpoint: oidc.tokenEndpoint,
        clientId: 'oscar-cli',
      },
    });
    await Promise.all([refreshing.info(), refreshing.listServices(), refreshing.config()]);
    assert.equal(oidc.refreshes, before + 1);
  });

  test('a 401 after the one refresh is not retried again: the error says to check provider.auth', async () => {
    const refreshing = client({
      auth: {
        kind: 'refresh',
        refreshToken: oidc.refreshToken,
        tokenEndpoint: oidc.tokenEndpoint,
        clientId: 'oscar-cli',
      },
    });
    contract.fake.fail({ status: 401, times: 2 });
    const error = await failure(refreshing.info());
    assert.equal(error.reason, 'unauthorized');
    assert.equal(contract.fake.requests.length, 2);
  });

  test('a refresh token the endpoint refuses is a clear error without the token', async () => {
    const error = await failure(
      client({
        auth: {
          kind: 'refresh',
          refreshToken: 'revoked-refresh-token-1',
          tokenEndpoint: oidc.tokenEndpoint,
          clientId: 'oscar-cli',
        },
      }).info(),
    );
    assert.match(
      error.message,
      /^refresh of the OIDC access token: http:\/\/127\.0\.0\.1:\d+\/oidc\/token answered 400/,
    );
    assert.match(error.message, /check provider\.auth\.refreshToken/);
    assert.equal(error.message.includes('revoked-refresh-token-1'), false);
  });
});

describe('failures', () => {
  test('a 5xx on a read is retried, then named with what to do', async () => {
    contract.fake.fail({ status: 503, times: 3, body: 'knative is down' });
    const error = await failure(client().getService('plants'));
    assert.equal(error.reason, 'server');
    assert.match(
      error.message,
      /^read of service plants: 503 Service Unavailable from .* \("knative is down"\) after 3 attempts — the cluster failed/,
    );
    contract.fake.fail({ status: 502, times: 1 });
    assert.equal(await client().getService('plants'), undefined, 'one 502 then the answer');
  });

  test('a 5xx on create is not retried (POST is not safe to repeat)', async () => {
    contract.fake.fail({ status: 500, body: 'boom' });
    const error = await failure(client().createService(plants));
    assert.equal(error.reason, 'server');
    assert.match(error.message, /after 1 attempt —/);
    assert.equal(contract.fake.requests.length, 1);
  });

  test('a 403 says the user may not do this', async () => {
    contract.fake.fail({ status: 403, body: 'User oidc-user@egi.eu is not the owner of the service' });
    const error = await failure(client().updateService(plants));
    assert.equal(error.reason, 'forbidden');
    assert.match(
      error.message,
      /^update of service plants: 403 Forbidden from .* \("User oidc-user@egi.eu is not the owner of the service"\) — your user may not do this/,
    );
  });

  test('a slow cluster is a timeout naming the call', async () => {
    contract.fake.fail({ delayMs: 600, times: 1, match: (method) => method === 'POST' });
    const error = await failure(client({ timeoutMs: 150 }).createService(plants));
    assert.equal(error.reason, 'timeout');
    assert.match(
      error.message,
      /^create of service plants: http:\/\/127\.0\.0\.1:\d+ did not answer within 150 ms/,
    );
  });

  test('an unreachable cluster says to check provider.endpoint', async () => {
    const gone = await startFakeOscar();
    await gone.close();
    const error = await failure(client({ endpoint: gone.endpoint }).info());
    assert.equal(error.reason, 'unreachable');
    assert.match(
      error.message,
      /^cluster info: could not reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check provider\.endpoint/,
    );
  });
});

describe('TLS', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  let cert: string;
  let secure: FakeOscar;
  before(async () => {
    const pair = selfSignedCertificate();
    cert = pair.cert;
    secure = await startFakeOscar({
      username: USER,
      password: PASSWORD,
      tls: { key: pair.key, cert },
    });
  });
  after(async () => {
    await secure?.close();
  });

  test('a self-signed certificate with verifyTls on (the default) fails, saying verifyTls and ca', async () => {
    const error = await failure(client({ endpoint: secure.endpoint }).info());
    assert.equal(error.reason, 'tls');
    assert.match(
      error.message,
      /^cluster info: the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/,
    );
    assert.match(error.message, /provider\.ca/);
    assert.match(error.message, /provider\.verifyTls: false/);
  });

  test('verifyTls: false accepts it; ca trusts it with verification on', async () => {
    assert.equal((await client({ endpoint: secure.endpoint, verifyTls: false }).info()).version, 'v4.1.2');
    assert.equal((await client({ endpoint: secure.endpoint, ca: cert }).info()).version, 'v4.1.2');
  });
});

describe('secrets', () => {
  test('no password, token, refresh token or MinIO key appears in any error message or log line', async () => {
    // Calls that log or fail, on top of every message and line the tests above collected.
    const one = client();
    const { token } = await one.createService(plants);
    await one.run('plants', String(token), Buffer.from('x'));
    await one.minio();
    // A cluster that echoes what the client knows is secret: the message keeps the rest and masks those.
    contract.fake.fail({ status: 500, times: 3, body: `echo ${PASSWORD} ${MINIO_SECRET} ${String(token)}` });
    assert.match((await failure(one.listServices())).message, /\("echo \*\*\* \*\*\* \*\*\*"\)/);
    const secrets = [PASSWORD, MINIO_SECRET, MINIO_ACCESS, String(token), oidc.refreshToken, ...oidc.issued];
    secrets.push(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    assert.ok(
      messages.length >= 10 && lines.length >= 10,
      'the tests above collected messages and log lines',
    );
    for (const text of [...messages, ...lines]) {
      for (const secret of secrets) assert.equal(text.includes(secret), false, `a secret in: ${text}`);
    }
  });
});
