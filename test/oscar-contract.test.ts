// The OSCAR contract server itself: Prism really validates (a request the document forbids is a violation),
// the document's known gaps are tolerated and nothing else, and the fake behaves as OSCAR does.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOscarContract, type OscarContract } from './harness/oscar/contract';

const USER = 'oscar';
const PASSWORD = 'contract-password';
const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let contract: OscarContract;
before(async () => {
  contract = await startOscarContract({ username: USER, password: PASSWORD });
});
after(() => contract?.close());
beforeEach(() => {
  contract.fake.reset();
  contract.clear();
});

function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  return fetch(`${contract.endpoint}${path}`, {
    method,
    headers: init.headers ?? {},
    body: init.body ?? null,
  });
}

const service = {
  name: 'cowsay',
  image: 'ghcr.io/grycap/cowsay',
  script: 'cowsay "$(cat $INPUT_FILE_PATH)"',
};

describe('the contract server', () => {
  test('starts Prism in about a second (one instance per test file)', (t) => {
    t.diagnostic(`Prism loaded the document and listened in ${contract.startupMs} ms`);
    assert.ok(contract.startupMs < 20_000);
  });

  test('a request the document forbids is a violation, and the request still reaches the fake', async () => {
    const json = { authorization: basic, 'content-type': 'application/json' };
    const answer = await call('POST', '/system/services', {
      headers: json,
      body: JSON.stringify({ name: 'cowsay', image: 42 }),
    });
    assert.equal(answer.status, 400, 'the fake answered (Prism runs without --errors)');
    assert.equal(answer.headers.get('sl-violations'), null, 'the violation header is not passed on');
    const found = contract.violations().map((v) => `${v.location}: ${v.message}`);
    assert.ok(
      found.includes("request.body: Request body must have required property 'script'"),
      found.join('\n'),
    );
    assert.ok(
      found.includes('request.body.image: Request body property image must be string'),
      found.join('\n'),
    );
  });

  test('a missing Authorization header, a content type /run does not take and an unknown path are violations', async () => {
    await call('GET', '/system/services');
    await call('POST', '/run/cowsay', {
      headers: { authorization: 'Bearer x', 'content-type': 'text/plain' },
      body: 'eA==',
    });
    await call('GET', '/system/nothing-here', { headers: { authorization: basic } });
    const found = contract.violations().map((v) => `${v.method} ${v.path} ${v.location}: ${v.message}`);
    assert.ok(found.includes('GET /system/services request: Invalid security scheme used'), found.join('\n'));
    assert.ok(
      found.includes(
        'POST /run/cowsay request: Supported content types: application/json,application/octet-stream',
      ),
      found.join('\n'),
    );
    assert.ok(
      found.some((f) => f.startsWith('GET /system/nothing-here')),
      found.join('\n'),
    );
  });

  test("a response the document forbids is a violation: the fake's answers are checked too", async () => {
    const answer = await call('GET', '/system/info', { headers: { authorization: basic } });
    assert.equal(answer.status, 200);
    assert.deepEqual(contract.violations(), []);
    // An answer OSCAR could give that types.Info forbids: `version` a number.
    const bad = JSON.stringify({ version: 4, architecture: 'amd64' });
    contract.fake.fail({ status: 200, body: bad, contentType: 'application/json', asOscar: true });
    await call('GET', '/system/info', { headers: { authorization: basic } });
    const found = contract.violations().map((v) => `${v.location}: ${v.message}`);
    assert.deepEqual(found, ['response.body.version: Response body property version must be string']);
    contract.clear();
    // The same answer asked for as a fault (fake.fail without asOscar) is tolerated, and listed.
    contract.fake.fail({ status: 200, body: bad, contentType: 'application/json' });
    await call('GET', '/system/info', { headers: { authorization: basic } });
    assert.deepEqual(contract.violations(), []);
    assert.equal(contract.tolerated().length, 1);
  });

  test("OSCAR's own answers pass: empty 201/204/404 and plain-text errors are the document's gaps, tolerated", async () => {
    const json = { authorization: basic, 'content-type': 'application/json' };
    assert.equal(
      (await call('POST', '/system/services', { headers: json, body: JSON.stringify(service) })).status,
      201,
    );
    const again = await call('POST', '/system/services', { headers: json, body: JSON.stringify(service) });
    assert.equal(again.status, 400);
    assert.match(await again.text(), /already exists/);
    assert.equal(
      (await call('GET', '/system/services/none', { headers: { authorization: basic } })).status,
      404,
    );
    assert.equal(
      (await call('DELETE', '/system/services/cowsay', { headers: { authorization: basic } })).status,
      204,
    );
    assert.deepEqual(contract.violations(), []);
    const gaps = contract.tolerated().map((v) => `${v.method} ${v.status}`);
    assert.deepEqual(gaps, ['POST 201', 'POST 400', 'GET 404', 'DELETE 204']);
  });
});

describe('the fake OSCAR', () => {
  const json = { authorization: basic, 'content-type': 'application/json' };

  test('/run and /job take only Bearer: Basic gets 401, the service token opens them', async () => {
    await call('POST', '/system/services', { headers: json, body: JSON.stringify(service) });
    const token = contract.fake.services.get('cowsay')?.token ?? '';
    const body = Buffer.from('moo').toString('base64');
    const octets = { 'content-type': 'application/octet-stream' };
    assert.equal(
      (await call('POST', '/run/cowsay', { headers: { ...octets, authorization: basic }, body })).status,
      401,
    );
    const run = await call('POST', '/run/cowsay', {
      headers: { ...octets, authorization: `Bearer ${token}` },
      body,
    });
    assert.equal(run.status, 200);
    assert.equal(Buffer.from(await run.text(), 'base64').toString(), 'MOO');
    const job = await call('POST', '/job/cowsay', {
      headers: { ...octets, authorization: `Bearer ${token}` },
      body,
    });
    assert.equal(job.status, 201);
    assert.equal(await job.text(), '');
    assert.equal(contract.fake.jobs.get('cowsay')?.size, 1);
    assert.deepEqual(contract.violations(), []);
  });

  test('DELETE of a service deletes its MinIO buckets, even ones another service uses', async () => {
    const withBuckets = {
      ...service,
      input: [{ storage_provider: 'minio.default', path: 'shared/in' }],
      output: [
        { storage_provider: 'minio.default', path: 'cowsay-out/results' },
        { storage_provider: 's3.aws', path: 'b/x' },
      ],
    };
    await call('POST', '/system/services', { headers: json, body: JSON.stringify(withBuckets) });
    await call('DELETE', '/system/services/cowsay', { headers: { authorization: basic } });
    assert.deepEqual(contract.fake.deletedBuckets, ['shared', 'cowsay-out']);
  });
});
