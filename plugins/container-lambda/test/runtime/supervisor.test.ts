// The supervisor as Lambda runs it: a child process speaking the Runtime API to a loopback server, with s3rver as
// S3 and loopback endpoints receiving the SDK's Batch and Lambda calls.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { BatchHandoff, StorageBindingRuntime } from '../../src/runtime/contract';
import { startBatchEndpoint, startLambdaEndpoint, type WireEndpoint } from './helpers/aws-wire';
import { startRuntimeApi, type FakeRuntimeApi, type InvocationOutcome } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, startSupervisor, writeScript, type SupervisorProcess } from './helpers/supervisor';

const INPUT: StorageBindingRuntime = { storage: 's3', bucket: 'data', prefix: 'in', suffix: ['.jpg'] };
const OUTPUT: StorageBindingRuntime = { storage: 's3', bucket: 'data', prefix: 'out', suffix: ['.png'] };

const COPY_TO_PNG = `
set -e
name=$(basename "$INPUT_FILE_PATH" .jpg)
mkdir -p "$TMP_OUTPUT_DIR/sub"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$name.png"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/sub/$name-copy.png"
echo "converted $name" > "$TMP_OUTPUT_DIR/run.log"
echo "converted $name"
`;

let s3: LocalService;
let bucket: TestBucket;
let api: FakeRuntimeApi;
let batch: WireEndpoint;
let lambda: WireEndpoint & { refuse: boolean };
let supervisor: SupervisorProcess | undefined;
let scratch: string;

before(async () => {
  s3 = await startS3rver({ buckets: ['data'] });
  bucket = new TestBucket(s3.endpoint, 'data');
  api = await startRuntimeApi();
  batch = await startBatchEndpoint();
  lambda = await startLambdaEndpoint();
});

after(async () => {
  bucket.destroy();
  await Promise.all([s3.close(), api.close(), batch.close(), lambda.close()]);
});

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  assert.deepEqual(api.violations, [], 'every request follows the documented Runtime API');
  assert.deepEqual(batch.violations, []);
  assert.deepEqual(lambda.violations, []);
  batch.requests.length = 0;
  lambda.requests.length = 0;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Starts a supervisor for one function; its /tmp is a fresh folder the test can inspect. */
function start(options: {
  script: string;
  inputs?: StorageBindingRuntime[];
  outputs?: StorageBindingRuntime[];
  env?: Record<string, string>;
  /** A scratch folder the test made already (for files it links to); a fresh one by default. */
  scratch?: string;
}): { tmp: string; cwd: string } {
  scratch = options.scratch ?? mkdtempSync(join(tmpdir(), 'continuum-supervisor-test-'));
  const tmp = join(scratch, 'tmp');
  const cwd = join(scratch, 'cwd');
  for (const dir of [tmp, cwd]) mkdirSync(dir);
  supervisor = startSupervisor(
    {
      ...AWS_TEST_ENV,
      TMPDIR: tmp,
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_ENDPOINT_URL_BATCH: batch.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      CONTINUUM_FUNCTION: 'grayify',
      CONTINUUM_SCRIPT: writeScript(options.script),
      CONTINUUM_INPUTS: JSON.stringify(options.inputs ?? [INPUT]),
      CONTINUUM_OUTPUTS: JSON.stringify(options.outputs ?? [OUTPUT]),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      CONTINUUM_BATCH_JOB_QUEUE: 'grayify-queue',
      CONTINUUM_BATCH_JOB_DEFINITION: 'grayify-job',
      ...options.env,
    },
    { cwd },
  );
  return { tmp, cwd };
}

/** What the supervisor left in its temp folder (tsx, when running from source, keeps its own cache there). */
function leftovers(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('continuum-'));
}

function expectResponse(outcome: InvocationOutcome): unknown {
  assert.equal(outcome.kind, 'response', `expected a response, got ${JSON.stringify(outcome.body)}`);
  return outcome.body;
}

describe('supervisor: S3 events', () => {
  test('uploads the outputs that pass the filters to <output prefix>/<relative path>, subfolders kept', async () => {
    const { tmp } = start({ script: COPY_TO_PNG });
    await bucket.put('in/photo.jpg', 'JPEG-BYTES');
    const outcome = await api.invoke(s3Event('data', 'in/photo.jpg', 10), { requestId: 'req-1' });
    assert.deepEqual(expectResponse(outcome), {
      records: [
        {
          bucket: 'data',
          key: 'in/photo.jpg',
          status: 'processed',
          uploaded: ['data/out/photo.png', 'data/out/sub/photo-copy.png'],
        },
      ],
    });
    assert.deepEqual(await bucket.keys('out/'), ['out/photo.png', 'out/sub/photo-copy.png']);
    assert.equal((await bucket.get('out/photo.png')).toString(), 'JPEG-BYTES');
    assert.deepEqual(leftovers(tmp), [], 'the per-invocation folders are removed');
    assert.match(supervisor!.output(), /converted photo/, "the script's output reaches the function log");
  });

  test('gives the script the faas-supervisor variables, its own variables, and no credentials', async () => {
    start({
      script: `
for v in INPUT_FILE_PATH TMP_INPUT_DIR TMP_OUTPUT_DIR STORAGE_OBJECT_KEY EVENT_TIME REQUEST_ID QUALITY; do
  eval "printf '%s=%s\\n' $v \\"\\$$v\\""
done > "$TMP_OUTPUT_DIR/env.png"
printf '%s' "$EVENT" > "$TMP_OUTPUT_DIR/event.png"
printf '%s' "\${AWS_SECRET_ACCESS_KEY:-none} \${NOT_LISTED:-none}" > "$TMP_OUTPUT_DIR/secret.png"
`,
      env: { CONTINUUM_USER_ENV: 'QUALITY', QUALITY: '90', NOT_LISTED: 'leak' },
    });
    await bucket.put('in/a b.jpg', 'x');
    const event = s3Event('data', 'in/a b.jpg');
    expectResponse(await api.invoke(event, { requestId: 'req-env' }));
    const vars = Object.fromEntries(
      (await bucket.get('out/env.png'))
        .toString()
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    assert.equal(vars.INPUT_FILE_PATH, `${vars.TMP_INPUT_DIR}/a b.jpg`);
    assert.match(vars.TMP_OUTPUT_DIR ?? '', /\/output$/);
    assert.equal(vars.STORAGE_OBJECT_KEY, 'in/a b.jpg');
    assert.equal(vars.EVENT_TIME, '2026-11-26T10:00:00.000Z');
    assert.equal(vars.REQUEST_ID, 'req-env');
    assert.equal(vars.QUALITY, '90');
    assert.deepEqual(JSON.parse((await bucket.get('out/event.png')).toString()), event);
    assert.equal((await bucket.get('out/secret.png')).toString(), 'none none');
  });

  test('never runs on its own outputs, nor on objects outside its inputs', async () => {
    start({ script: 'echo ran > "$TMP_OUTPUT_DIR/ran.png"\n' });
    const outcome = await api.invoke(
      { Records: [...s3Event('data', 'out/x.png').Records, ...s3Event('data', 'in/x.gif').Records] },
      { requestId: 'req-loop' },
    );
    assert.deepEqual(expectResponse(outcome), {
      records: [
        { bucket: 'data', key: 'out/x.png', status: 'skipped', reason: 'output-binding' },
        { bucket: 'data', key: 'in/x.gif', status: 'skipped', reason: 'no-input-binding' },
      ],
    });
    assert.deepEqual(await bucket.keys('out/ran'), []);
  });

  test('uploads nothing when the script fails, and the error names the object and carries the stderr tail', async () => {
    start({
      script: 'echo "half" > "$TMP_OUTPUT_DIR/half.png"\necho "convert: no decode delegate" >&2\nexit 3\n',
    });
    await bucket.put('in/broken.jpg', 'x');
    const outcome = await api.invoke(s3Event('data', 'in/broken.jpg'), { requestId: 'req-fail' });
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.body.errorType, 'CONTINUUM_SCRIPT_FAILED');
    assert.equal(
      outcome.body.errorMessage,
      's3://data/in/broken.jpg: the script failed with exit code 3; stderr (last lines):\nconvert: no decode delegate',
    );
    assert.equal(outcome.headers['lambda-runtime-function-error-type'], 'CONTINUUM_SCRIPT_FAILED');
    assert.deepEqual(await bucket.keys('out/half'), []);
    assert.equal(await bucket.get('in/broken.jpg').then((b) => b.toString()), 'x', 'the input is kept');
  });

  test('plain lambda: a script still running at the deadline is stopped and reported, nothing published', async () => {
    start({ script: 'echo partial > "$TMP_OUTPUT_DIR/late.png"\nsleep 30\n' });
    await bucket.put('in/late.jpg', 'x');
    const outcome = await api.invoke(s3Event('data', 'in/late.jpg'), {
      requestId: 'req-late',
      deadlineMs: Date.now() + 1500,
    });
    assert.equal(outcome.kind, 'error');
    assert.deepEqual(outcome.body, {
      errorMessage:
        's3://data/in/late.jpg: the script did not finish before the deadline and was stopped; nothing was published',
      errorType: 'CONTINUUM_DEADLINE',
      stackTrace: [],
    });
    assert.deepEqual(await bucket.keys('out/late'), []);
    assert.equal(batch.requests.length, 0);
  });

  test('publishes all outputs or none: when one upload fails, the ones already written are removed', async () => {
    start({
      script: 'echo a > "$TMP_OUTPUT_DIR/a.png"\n',
      outputs: [
        { storage: 's3', bucket: 'data', prefix: 'all-or-none', suffix: ['.png'] },
        { storage: 's3', bucket: 'no-such-bucket', prefix: 'out', suffix: ['.png'] },
      ],
    });
    await bucket.put('in/pair.jpg', 'x');
    const outcome = await api.invoke(s3Event('data', 'in/pair.jpg'), { requestId: 'req-pair' });
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.body.errorType, 'CONTINUUM_STORAGE');
    assert.match(
      outcome.body.errorMessage,
      /^s3:\/\/data\/in\/pair\.jpg: publishing the outputs failed, none were kept: /,
    );
    assert.deepEqual(await bucket.keys('all-or-none/'), []);
  });

  test('with several records, each is processed on its own and a failure names its object', async () => {
    start({
      script:
        'case "$INPUT_FILE_PATH" in *bad.jpg) echo "cannot read" >&2; exit 2;; esac\n' +
        'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH" .jpg).png"\n',
    });
    await bucket.put('in/good.jpg', 'G');
    await bucket.put('in/bad.jpg', 'B');
    const event = {
      Records: [...s3Event('data', 'in/good.jpg').Records, ...s3Event('data', 'in/bad.jpg').Records],
    };
    const outcome = await api.invoke(event, { requestId: 'req-two' });
    assert.equal(outcome.kind, 'error');
    assert.equal(
      outcome.body.errorMessage,
      's3://data/in/bad.jpg: the script failed with exit code 2; stderr (last lines):\ncannot read',
    );
    assert.equal((await bucket.get('out/good.png')).toString(), 'G');
    assert.deepEqual(await bucket.keys('out/bad'), []);
  });

  test('a record whose key is not valid URL encoding fails alone, naming its key; the others are published', async () => {
    start({ script: 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH" .jpg).png"\n' });
    await bucket.put('in/first.jpg', '1');
    await bucket.put('in/last.jpg', '3');
    const [bad] = s3Event('data', 'in/placeholder.jpg').Records as {
      s3: { object: { key: string } };
    }[];
    bad!.s3.object.key = 'in/%ZZ.jpg';
    const event = {
      Records: [...s3Event('data', 'in/first.jpg').Records, bad, ...s3Event('data', 'in/last.jpg').Records],
    };
    const outcome = await api.invoke(event, { requestId: 'req-bad-key' });
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.body.errorType, 'CONTINUUM_UNSAFE_KEY');
    assert.equal(
      outcome.body.errorMessage,
      's3://data/in/%ZZ.jpg: object key "in/%ZZ.jpg" is not valid URL encoding',
    );
    assert.equal((await bucket.get('out/first.png')).toString(), '1');
    assert.equal((await bucket.get('out/last.png')).toString(), '3');
  });

  test('the same event twice writes the same output keys again', async () => {
    start({ script: COPY_TO_PNG });
    await bucket.put('in/twice.jpg', 'v1');
    const event = s3Event('data', 'in/twice.jpg');
    const first = expectResponse(await api.invoke(event, { requestId: 'req-twice-1' }));
    const second = expectResponse(await api.invoke(event, { requestId: 'req-twice-2' }));
    assert.deepEqual(first, second);
    assert.deepEqual(await bucket.keys('out/twice'), ['out/twice.png']);
    assert.equal((await bucket.get('out/twice.png')).toString(), 'v1');
  });
});

describe('supervisor: hostile object keys', () => {
  const names = [
    'a b.jpg',
    "it's.jpg",
    '$(touch pwned).jpg',
    'ünïcödé ✓.jpg',
    'x;rm -rf y.jpg',
    '`touch pwned`.jpg',
  ];

  test('reach the script only as INPUT_FILE_PATH inside TMP_INPUT_DIR, with no shell expansion', async () => {
    const { cwd, tmp } = start({
      script: `
printf '%s' "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/path.png"
printf '%s' "$TMP_INPUT_DIR" > "$TMP_OUTPUT_DIR/dir.png"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/copy.png"
`,
      outputs: [{ storage: 's3', bucket: 'data', prefix: 'hostile', suffix: [] }],
    });
    writeFileSync(join(cwd, 'y.jpg'), 'must survive');
    for (const [i, name] of names.entries()) {
      await bucket.put(`in/${name}`, `content ${i}`);
      const outcome = await api.invoke(s3Event('data', `in/${name}`), { requestId: `req-hostile-${i}` });
      expectResponse(outcome);
      const dir = (await bucket.get('hostile/dir.png')).toString();
      assert.equal((await bucket.get('hostile/path.png')).toString(), `${dir}/${name}`);
      assert.ok(dir.startsWith(tmp), `${dir} is inside the supervisor's temp folder`);
      assert.equal((await bucket.get('hostile/copy.png')).toString(), `content ${i}`);
    }
    assert.equal(existsSync(join(cwd, 'pwned')), false);
    assert.equal(existsSync(join(tmp, 'pwned')), false);
    assert.equal(existsSync(join(cwd, 'y.jpg')), true);
  });

  test('a key with ../ is downloaded under its last segment, inside TMP_INPUT_DIR', async () => {
    const { tmp } = start({
      script: 'printf "%s" "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/path.png"\n',
      inputs: [{ storage: 's3', bucket: 'data', prefix: '', suffix: ['.jpg'] }],
      outputs: [{ storage: 's3', bucket: 'data', prefix: 'escape-out', suffix: [] }],
    });
    // s3rver stores keys as files, so the object is served under a safe key; the event names the hostile one.
    await bucket.put('safe/escape.jpg', 'x');
    const event = s3Event('data', '../../escape.jpg');
    const outcome = await api.invoke(event, { requestId: 'req-escape' });
    // Either the object is fetched and lands in TMP_INPUT_DIR/escape.jpg, or the fetch fails naming the key:
    // never a file outside the temp folder.
    if (outcome.kind === 'response') {
      const path = (await bucket.get('escape-out/path.png')).toString();
      assert.ok(path.startsWith(tmp) && path.endsWith('/input/escape.jpg'), path);
    } else {
      assert.match(outcome.body.errorMessage, /^s3:\/\/data\/\.\.\/\.\.\/escape\.jpg: /);
    }
    assert.equal(existsSync(join(tmp, '..', 'escape.jpg')), false);
    assert.deepEqual(leftovers(tmp), []);
  });
});

describe('supervisor: HTTP calls', () => {
  test("the body becomes the input file and the response carries the script's stdout, base64", async () => {
    start({ script: 'cat "$INPUT_FILE_PATH"\n' });
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const outcome = await api.invoke(
      { httpMethod: 'POST', headers: {}, body: bytes.toString('base64'), isBase64Encoded: true },
      { requestId: 'req-http' },
    );
    const response = expectResponse(outcome) as { statusCode: number; headers: unknown; body: string };
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.headers, { 'Content-Type': 'application/octet-stream' });
    assert.deepEqual(response, { ...response, isBase64Encoded: true });
    assert.deepEqual(Buffer.from(response.body, 'base64'), bytes);
  });

  test("query parameters reach the script as SCAR's CONT_VAR_<name>, never as shell text", async () => {
    start({ script: 'printf "%s|%s|%s" "$CONT_VAR_size" "$CONT_VAR_mode" "${CONT_VAR_bad:-unset}"\n' });
    const outcome = await api.invoke(
      {
        httpMethod: 'POST',
        body: 'x',
        queryStringParameters: { size: '$(touch pwned)', mode: 'gray scale', 'bad-name': 'x' },
      },
      { requestId: 'req-query' },
    );
    const response = expectResponse(outcome) as { body: string };
    assert.equal(Buffer.from(response.body, 'base64').toString(), '$(touch pwned)|gray scale|unset');
  });

  test('a failing script answers 500 with a short message and no stderr', async () => {
    start({ script: 'echo "secret detail" >&2\nexit 3\n' });
    const outcome = await api.invoke({ httpMethod: 'POST', body: 'x' }, { requestId: 'req-http-fail' });
    assert.deepEqual(expectResponse(outcome), {
      statusCode: 500,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'The script failed (exit code 3).',
      isBase64Encoded: false,
    });
  });

  test('an asynchronous call is answered 202 and handed to a new Event invocation of the function', async () => {
    start({ script: 'exit 9\n' });
    const event = {
      httpMethod: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'Event', Accept: '*/*' },
      body: 'x',
    };
    const outcome = await api.invoke(event, {
      requestId: 'req-async',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-grayify',
    });
    assert.deepEqual(expectResponse(outcome), {
      statusCode: 202,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'accepted', requestId: 'req-async' }),
      isBase64Encoded: false,
    });
    assert.equal(lambda.requests.length, 1);
    const call = lambda.requests[0]!;
    assert.equal(
      decodeURIComponent(call.path),
      '/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:svc-dev-grayify/invocations',
    );
    assert.equal(call.headers['x-amz-invocation-type'], 'Event');
    assert.deepEqual(JSON.parse(call.body), { httpMethod: 'POST', headers: { Accept: '*/*' }, body: 'x' });
  });
});

describe('supervisor: HTTP calls its API made asynchronous (CONTINUUM_API_ASYNC=gateway)', () => {
  test('a call marked Event is an Event invocation already: the script runs and nothing is invoked again', async () => {
    start({
      script: 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/gateway.png"\n',
      env: { CONTINUUM_API_ASYNC: 'gateway' },
    });
    const event = { httpMethod: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: 'GATEWAY' };
    const outcome = await api.invoke(event, { requestId: 'req-gateway-async' });
    // API Gateway discards this answer (it answered the caller when it invoked); it is the supervisor's all the same.
    assert.deepEqual(expectResponse(outcome), {
      statusCode: 202,
      headers: {},
      body: '',
      isBase64Encoded: false,
    });
    assert.equal(lambda.requests.length, 0);
    assert.equal((await bucket.get('out/gateway.png')).toString(), 'GATEWAY');
  });
});

describe('supervisor: HTTP edge cases', () => {
  test('when the Event invocation is refused, an asynchronous call is processed in place, then answered 202', async () => {
    start({ script: 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/async.png"\n' });
    lambda.refuse = true;
    try {
      const event = { httpMethod: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: 'ASYNC' };
      const outcome = await api.invoke(event, { requestId: 'req-async-refused' });
      assert.deepEqual(expectResponse(outcome), {
        statusCode: 202,
        headers: {},
        body: '',
        isBase64Encoded: false,
      });
      assert.ok(lambda.requests.length >= 1);
      assert.equal((await bucket.get('out/async.png')).toString(), 'ASYNC');
    } finally {
      lambda.refuse = false;
    }
  });

  test('a body too large for an environment variable still reaches the script whole, as INPUT_FILE_PATH', async () => {
    start({ script: 'wc -c < "$INPUT_FILE_PATH" | tr -d " "\n' });
    const body = Buffer.alloc(300_000, 7);
    const outcome = await api.invoke(
      { httpMethod: 'POST', body: body.toString('base64'), isBase64Encoded: true },
      { requestId: 'req-big-body' },
    );
    const response = expectResponse(outcome) as { statusCode: number; body: string };
    assert.equal(response.statusCode, 200);
    assert.equal(Buffer.from(response.body, 'base64').toString(), '300000\n');
  });
});

describe('supervisor: AWS Batch', () => {
  function submitted(): {
    jobName: string;
    jobQueue: string;
    jobDefinition: string;
    containerOverrides: unknown;
  } {
    assert.equal(batch.requests.length, 1, 'exactly one SubmitJob');
    return JSON.parse(batch.requests[0]!.body);
  }

  function expectedJob(event: unknown, requestId: string) {
    return {
      jobName: `grayify-${requestId}`,
      jobQueue: 'grayify-queue',
      jobDefinition: 'grayify-job',
      containerOverrides: {
        environment: [
          { name: 'CONTINUUM_MODE', value: 'batch' },
          { name: 'CONTINUUM_EVENT', value: JSON.stringify(event) },
          { name: 'CONTINUUM_REQUEST_ID', value: requestId },
        ],
      },
    };
  }

  test('lambda-batch: near the deadline the script is killed, nothing is published, the event goes to Batch', async () => {
    start({
      script: 'echo partial > "$TMP_OUTPUT_DIR/partial.png"\nsleep 30\n',
      env: { CONTINUUM_EXECUTION: 'lambda-batch', CONTINUUM_DEADLINE_MARGIN_MS: '5000' },
    });
    await bucket.put('in/slow.jpg', 'x');
    const event = s3Event('data', 'in/slow.jpg');
    const outcome = await api.invoke(event, { requestId: 'req-deadline', deadlineMs: Date.now() + 6000 });
    const handoff: BatchHandoff = {
      delegatedTo: 'batch',
      jobId: 'job-20',
      jobName: 'grayify-req-deadline',
      reason: 'deadline',
    };
    assert.deepEqual(expectResponse(outcome), {
      records: [{ bucket: 'data', key: 'in/slow.jpg', status: 'delegated', handoff }],
    });
    assert.deepEqual(submitted(), expectedJob(event, 'req-deadline'));
    assert.deepEqual(await bucket.keys('out/partial'), []);
  });

  test('lambda-batch: an input larger than the threshold goes to Batch before the script runs', async () => {
    start({
      script: 'echo ran > "$TMP_OUTPUT_DIR/ran.png"\n',
      env: { CONTINUUM_EXECUTION: 'lambda-batch', CONTINUUM_FALLBACK_INPUT_BYTES: '10' },
    });
    await bucket.put('in/big.jpg', 'x'.repeat(11));
    await bucket.put('in/small.jpg', 'x'.repeat(10));
    const big = s3Event('data', 'in/big.jpg');
    const outcome = await api.invoke(big, { requestId: 'req-big' });
    assert.deepEqual(expectResponse(outcome), {
      records: [
        {
          bucket: 'data',
          key: 'in/big.jpg',
          status: 'delegated',
          handoff: {
            delegatedTo: 'batch',
            jobId: 'job-15',
            jobName: 'grayify-req-big',
            reason: 'input-size',
          },
        },
      ],
    });
    assert.deepEqual(submitted(), expectedJob(big, 'req-big'));
    assert.deepEqual(await bucket.keys('out/ran'), []);
    const small = expectResponse(
      await api.invoke(s3Event('data', 'in/small.jpg'), { requestId: 'req-small' }),
    );
    assert.deepEqual(small, {
      records: [{ bucket: 'data', key: 'in/small.jpg', status: 'processed', uploaded: ['data/out/ran.png'] }],
    });
  });

  test('lambda-batch with a GPU: every event goes to Batch before running', async () => {
    start({ script: 'exit 1\n', env: { CONTINUUM_EXECUTION: 'lambda-batch', CONTINUUM_GPU: '1' } });
    await bucket.put('in/gpu.jpg', 'x');
    const event = s3Event('data', 'in/gpu.jpg');
    const body = expectResponse(await api.invoke(event, { requestId: 'req-gpu' })) as {
      records: { handoff: BatchHandoff }[];
    };
    assert.equal(body.records[0]?.handoff.reason, 'gpu');
    assert.deepEqual(submitted(), expectedJob(event, 'req-gpu'));
    // The line `sls container logs` finds the job by, in the function's log.
    assert.match(
      supervisor!.output(),
      /^\{"message":"handed to AWS Batch","reason":"gpu","jobName":"grayify-req-gpu","jobId":"job-15"\}$/m,
    );
  });

  test('lambda-batch with a GPU: an HTTP call is answered 202 with the Batch job', async () => {
    start({ script: 'exit 1\n', env: { CONTINUUM_EXECUTION: 'lambda-batch', CONTINUUM_GPU: '1' } });
    const event = { httpMethod: 'POST', body: 'small input', isBase64Encoded: false };
    const outcome = await api.invoke(event, { requestId: 'req-http-gpu' });
    assert.deepEqual(expectResponse(outcome), {
      statusCode: 202,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        delegatedTo: 'batch',
        jobId: 'job-20',
        jobName: 'grayify-req-http-gpu',
        reason: 'gpu',
      }),
      isBase64Encoded: false,
    });
    assert.deepEqual(submitted(), expectedJob(event, 'req-http-gpu'));
  });

  test('batch execution: the whole event goes to Batch and the answer says where', async () => {
    start({ script: 'exit 1\n', env: { CONTINUUM_EXECUTION: 'batch' } });
    const event = s3Event('data', 'in/any.jpg');
    const outcome = await api.invoke(event, { requestId: 'req-batch' });
    assert.deepEqual(expectResponse(outcome), {
      delegatedTo: 'batch',
      jobId: 'job-17',
      jobName: 'grayify-req-batch',
      reason: 'execution-batch',
    });
    assert.deepEqual(submitted(), expectedJob(event, 'req-batch'));
  });

  test('as the Batch job entry point it processes CONTINUUM_EVENT once and exits 0', async () => {
    await bucket.put('in/job.jpg', 'JOB');
    const event = s3Event('data', 'in/job.jpg');
    start({
      script: COPY_TO_PNG,
      env: {
        CONTINUUM_MODE: 'batch',
        CONTINUUM_EXECUTION: 'lambda-batch',
        CONTINUUM_GPU: '1',
        CONTINUUM_EVENT: JSON.stringify(event),
        CONTINUUM_REQUEST_ID: 'req-from-lambda',
      },
    });
    assert.equal(await supervisor!.exited, 0, supervisor!.output());
    assert.equal((await bucket.get('out/job.png')).toString(), 'JOB');
    assert.equal(batch.requests.length, 0, 'a Batch job never hands the work on again');
  });

  test('as the Batch job entry point a failing script exits 1 naming the object', async () => {
    await bucket.put('in/job-fail.jpg', 'x');
    start({
      script: 'echo boom >&2\nexit 4\n',
      env: { CONTINUUM_MODE: 'batch', CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/job-fail.jpg')) },
    });
    assert.equal(await supervisor!.exited, 1);
    assert.match(
      supervisor!.output(),
      /CONTINUUM_SCRIPT_FAILED: s3:\/\/data\/in\/job-fail\.jpg: the script failed with exit code 4; stderr \(last lines\):\nboom/,
    );
  });
});

describe('supervisor: outputs', () => {
  test('as the Batch job entry point a hard link to a file outside TMP_OUTPUT_DIR is refused and nothing is published', async () => {
    await bucket.put('in/link.jpg', 'x');
    scratch = mkdtempSync(join(tmpdir(), 'continuum-supervisor-test-'));
    const secret = join(scratch, 'secret.txt');
    writeFileSync(secret, 'private');
    const { tmp } = start({
      script: 'echo ok > "$TMP_OUTPUT_DIR/linked-ok.png"\nln "$SECRET" "$TMP_OUTPUT_DIR/linked-secret.png"\n',
      env: {
        CONTINUUM_MODE: 'batch',
        CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/link.jpg')),
        CONTINUUM_USER_ENV: 'SECRET',
        SECRET: secret,
      },
      scratch,
    });
    assert.equal(await supervisor!.exited, 1, supervisor!.output());
    assert.match(
      supervisor!.output(),
      /CONTINUUM_UNSAFE_OUTPUT: s3:\/\/data\/in\/link\.jpg: TMP_OUTPUT_DIR\/linked-secret\.png has 2 hard links: only files created in TMP_OUTPUT_DIR are uploaded/,
    );
    assert.deepEqual(await bucket.keys('out/linked-'), []);
    assert.deepEqual(leftovers(tmp), []);
  });
});

describe('supervisor: stopping', () => {
  test('on SIGTERM (Batch job timeout) the script goes too and nothing is published', async () => {
    await bucket.put('in/term.jpg', 'x');
    const { cwd } = start({
      script: `
echo partial > "$TMP_OUTPUT_DIR/term.png"
(sleep 1; touch "$MARKER") &
touch "$STARTED"
sleep 30
`,
      env: {
        CONTINUUM_MODE: 'batch',
        CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/term.jpg')),
        CONTINUUM_USER_ENV: 'MARKER,STARTED',
        MARKER: 'survivor',
        STARTED: 'started',
      },
    });
    while (!existsSync(join(cwd, 'started'))) await new Promise((resolve) => setTimeout(resolve, 50));
    supervisor!.child.kill('SIGTERM');
    assert.equal(await supervisor!.exited, 143);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(existsSync(join(cwd, 'survivor')), false, 'the background child was killed with the script');
    assert.deepEqual(await bucket.keys('out/term'), []);
  });
});

describe('supervisor: start-up', () => {
  test('a broken configuration is reported as an init error and the process exits', async () => {
    start({ script: 'true\n', env: { CONTINUUM_OUTPUTS: '{broken' } });
    assert.equal(await supervisor!.exited, 1);
    assert.deepEqual(api.initErrors, [
      {
        errorMessage: 'environment variable CONTINUUM_OUTPUTS: must be a JSON array of storage bindings',
        errorType: 'CONTINUUM_INVALID_CONFIG',
        stackTrace: [],
      },
    ]);
    api.initErrors.length = 0;
  });
});
