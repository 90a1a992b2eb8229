// `container.secrets` at run time: the supervisor (a child process on the Runtime API, s3rver as S3) reads the
// values from loopback SSM and Secrets Manager endpoints that check the SDK's exact requests; the script sees
// them, the log never does. In Batch mode the values are already in the job's environment.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { SecretsByService, StorageBindingRuntime } from '../../src/runtime/contract';
import { SecretCache, type SecretReader } from '../../src/runtime/secrets';
import { startBatchEndpoint, type WireEndpoint } from './helpers/aws-wire';
import { startRuntimeApi, type FakeRuntimeApi, type InvocationOutcome } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { startSecretsManagerEndpoint, startSsmEndpoint, type SecretEndpoint } from './helpers/secrets-wire';
import {
  AWS_TEST_ENV,
  BUNDLE,
  startSupervisor,
  writeScript,
  type SupervisorProcess,
} from './helpers/supervisor';

const INPUT: StorageBindingRuntime = { storage: 's3', bucket: 'vault', prefix: 'in', suffix: [] };
const OUTPUT: StorageBindingRuntime = { storage: 's3', bucket: 'vault', prefix: 'out', suffix: [] };

const DB_PASSWORD = 'pa55-w0rd-from-ssm';
const TOKEN = 'tok-from-another-region';
const LICENSE = 'license-from-secrets-manager';
const LICENSE_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:render/license-XyZ123';
const TOKEN_ARN = 'arn:aws:ssm:eu-west-1:210987654321:parameter/shared/token';
const SECRETS: SecretsByService = {
  ssm: { DB_PASSWORD: '/lab/db/password', TOKEN: TOKEN_ARN },
  secretsmanager: { LICENSE: LICENSE_ARN },
};

// The script writes what it sees to its output and says nothing about it; the test reads the object.
const SHOW_SECRETS = `printf '%s|%s|%s' "$DB_PASSWORD" "$TOKEN" "$LICENSE" > "$TMP_OUTPUT_DIR/seen.txt"\necho done\n`;

let s3: LocalService;
let bucket: TestBucket;
let api: FakeRuntimeApi;
let ssm: SecretEndpoint;
let secretsManager: SecretEndpoint;
let batch: WireEndpoint;
let supervisor: SupervisorProcess | undefined;
let scratch: string | undefined;

before(async () => {
  s3 = await startS3rver({ buckets: ['vault'] });
  bucket = new TestBucket(s3.endpoint, 'vault');
  api = await startRuntimeApi();
  ssm = await startSsmEndpoint({ '/lab/db/password': DB_PASSWORD, [TOKEN_ARN]: TOKEN });
  secretsManager = await startSecretsManagerEndpoint({ [LICENSE_ARN]: LICENSE });
  batch = await startBatchEndpoint();
});

after(async () => {
  bucket.destroy();
  await Promise.all([s3.close(), api.close(), ssm.close(), secretsManager.close(), batch.close()]);
});

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  assert.deepEqual(api.violations, []);
  assert.deepEqual(ssm.violations, [], 'SSM got GetParameter calls as the SDK sends them');
  assert.deepEqual(secretsManager.violations, []);
  ssm.requests.length = 0;
  secretsManager.requests.length = 0;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Starts the supervisor from the sources, or (`bundle`) the shipped file alone, with no node_modules near it. */
function start(env: Record<string, string>, options: { bundle?: boolean } = {}): void {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-secrets-test-'));
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  const entry = join(scratch, 'supervisor.js');
  if (options.bundle) copyFileSync(BUNDLE, entry);
  supervisor = startSupervisor(
    {
      ...AWS_TEST_ENV,
      TMPDIR: tmp,
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_ENDPOINT_URL_BATCH: batch.endpoint,
      CONTINUUM_BATCH_JOB_QUEUE: 'reader-queue',
      CONTINUUM_BATCH_JOB_DEFINITION: 'reader-job',
      CONTINUUM_FUNCTION: 'reader',
      CONTINUUM_SCRIPT: writeScript(SHOW_SECRETS),
      CONTINUUM_INPUTS: JSON.stringify([INPUT]),
      CONTINUUM_OUTPUTS: JSON.stringify([OUTPUT]),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      CONTINUUM_SECRETS: JSON.stringify(SECRETS),
      ...env,
    },
    options.bundle ? { from: 'bundle', entry, cwd: scratch } : { cwd: scratch },
  );
}

function expectResponse(outcome: InvocationOutcome): unknown {
  assert.equal(outcome.kind, 'response', `expected a response, got ${JSON.stringify(outcome.body)}`);
  return outcome.body;
}

function assertNoValueIn(text: string): void {
  for (const value of [DB_PASSWORD, TOKEN, LICENSE]) {
    assert.ok(!text.includes(value), `the log shows a secret value:\n${text}`);
  }
}

describe('supervisor: secrets in Lambda', () => {
  test('reads each secret once per container (GetParameter WithDecryption, GetSecretValue) and gives the script the values, never the log', async () => {
    start({});
    await bucket.put('in/a.txt', 'a');
    await bucket.put('in/b.txt', 'b');
    expectResponse(await api.invoke(s3Event('vault', 'in/a.txt'), { requestId: 'req-1' }));
    assert.equal((await bucket.get('out/seen.txt')).toString(), `${DB_PASSWORD}|${TOKEN}|${LICENSE}`);
    expectResponse(await api.invoke(s3Event('vault', 'in/b.txt'), { requestId: 'req-2' }));

    assert.deepEqual(
      ssm
        .bodies()
        .map((b) => JSON.stringify(b))
        .sort(),
      [
        JSON.stringify({ Name: '/lab/db/password', WithDecryption: true }),
        JSON.stringify({ Name: TOKEN_ARN, WithDecryption: true }),
      ],
      'one GetParameter per parameter for both invocations',
    );
    assert.deepEqual(secretsManager.bodies(), [{ SecretId: LICENSE_ARN }]);
    // An SSM ARN of another region is asked of that region (the credential scope of the signature says so).
    const scopes = ssm.requests.map(
      (r) => /Credential=[^/]+\/\d+\/([^/]+)\/ssm\//.exec(String(r.headers.authorization))?.[1],
    );
    assert.deepEqual(scopes.sort(), ['eu-west-1', 'us-east-1']);

    const log = supervisor!.output();
    assert.match(log, /secrets read: DB_PASSWORD, TOKEN, LICENSE/);
    assertNoValueIn(log);
  });

  test('the bundled supervisor reads them with the SDK clients it carries', async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
    start({}, { bundle: true });
    await bucket.put('in/bundle.txt', 'x');
    expectResponse(await api.invoke(s3Event('vault', 'in/bundle.txt'), { requestId: 'req-bundle' }));
    assert.equal((await bucket.get('out/seen.txt')).toString(), `${DB_PASSWORD}|${TOKEN}|${LICENSE}`);
    assert.equal(ssm.requests.length, 2);
    assert.equal(secretsManager.requests.length, 1);
    assertNoValueIn(supervisor!.output());
  });

  test('a secret that cannot be read fails the invocation naming it and its reference; the script does not run', async () => {
    start({ CONTINUUM_SECRETS: JSON.stringify({ ssm: { DB_PASSWORD: '/lab/missing' } }) });
    await bucket.put('in/c.txt', 'c');
    const outcome = await api.invoke(s3Event('vault', 'in/c.txt'), { requestId: 'req-missing' });
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.body.errorType, 'CONTINUUM_SECRET');
    assert.match(
      outcome.body.errorMessage,
      /^s3:\/\/vault\/in\/c\.txt: secret DB_PASSWORD \(SSM parameter \/lab\/missing\) could not be read: ParameterNotFound: /,
    );
    assert.doesNotMatch(supervisor!.output(), /\ndone\n/, 'the script did not run');
  });
});

describe('supervisor: secrets in Lambda, events handed to Batch', () => {
  test('reads no secret for an event it hands to Batch: the job gets them itself', async () => {
    start({ CONTINUUM_EXECUTION: 'batch' });
    const outcome = await api.invoke(s3Event('vault', 'in/big.txt'), { requestId: 'req-handoff' });
    assert.equal((expectResponse(outcome) as { delegatedTo: string }).delegatedTo, 'batch');
    assert.equal(batch.requests.length, 1);
    assert.equal(ssm.requests.length + secretsManager.requests.length, 0);
    assert.deepEqual(batch.violations, []);
  });
});

describe('supervisor: secrets in Batch', () => {
  test('takes the values Batch put in the environment (the job definition’s Secrets) and reads nothing again', async () => {
    await bucket.put('in/job.txt', 'job');
    start({
      CONTINUUM_MODE: 'batch',
      CONTINUUM_EVENT: JSON.stringify(s3Event('vault', 'in/job.txt')),
      DB_PASSWORD: 'from-batch-1',
      TOKEN: 'from-batch-2',
      LICENSE: 'from-batch-3',
    });
    assert.equal(await supervisor!.exited, 0, supervisor!.output());
    assert.equal((await bucket.get('out/seen.txt')).toString(), 'from-batch-1|from-batch-2|from-batch-3');
    assert.equal(ssm.requests.length + secretsManager.requests.length, 0);
  });

  test('a secret missing from the job environment fails the job naming it', async () => {
    await bucket.put('in/job2.txt', 'job');
    start({
      CONTINUUM_MODE: 'batch',
      CONTINUUM_EVENT: JSON.stringify(s3Event('vault', 'in/job2.txt')),
      DB_PASSWORD: 'from-batch-1',
    });
    assert.equal(await supervisor!.exited, 1);
    assert.match(
      supervisor!.output(),
      /CONTINUUM_SECRET: s3:\/\/vault\/in\/job2\.txt: secret TOKEN \(SSM parameter arn:aws:ssm:eu-west-1:210987654321:parameter\/shared\/token\) is not in the job's environment/,
    );
    assert.equal(ssm.requests.length + secretsManager.requests.length, 0);
  });
});

describe('secret cache', () => {
  function counting(): SecretReader & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      parameter: async (name) => (calls.push(name), `value of ${name}`),
      secret: async (id) => (calls.push(id), `value of ${id}`),
    };
  }

  test('reads again once the values are older than the lifetime', async () => {
    let now = 0;
    const reader = counting();
    const cache = new SecretCache(
      { ssm: { A: '/a' } },
      reader,
      () => now,
      () => undefined,
      1000,
    );
    assert.deepEqual(await cache.environment(), { A: 'value of /a' });
    now = 999;
    await cache.environment();
    assert.deepEqual(reader.calls, ['/a']);
    now = 1000;
    await cache.environment();
    assert.deepEqual(reader.calls, ['/a', '/a']);
  });

  test('a failed read keeps nothing and is tried again on the next run', async () => {
    let fail = true;
    const reader: SecretReader = {
      parameter: async () => {
        if (fail) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return 'v';
      },
      secret: async () => 'unused',
    };
    const cache = new SecretCache(
      { ssm: { A: '/a' } },
      reader,
      () => 0,
      () => undefined,
    );
    await assert.rejects(cache.environment(), {
      code: 'CONTINUUM_SECRET',
      message: 'secret A (SSM parameter /a) could not be read: ThrottlingException: Rate exceeded',
    });
    fail = false;
    assert.deepEqual(await cache.environment(), { A: 'v' });
  });
});
