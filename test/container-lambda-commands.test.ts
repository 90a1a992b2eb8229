// SCAR's `run -ib`, `invoke` and `log` as `sls container run --existing`, `invoke` and `logs`, through the real
// CLI on the container-lambda fixture, against loopback servers that check what the AWS SDK sends: S3 (s3rver),
// Lambda's Invoke, CloudWatch Logs, Batch's DescribeJobs, CloudFormation's DescribeStacks and the function's
// HTTP endpoint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT, runSls } from '../plugins/container-lambda/test/cli';
import { startEndpoint, type WireEndpoint } from '../plugins/container-lambda/test/runtime/helpers/aws-wire';
import { startBatchWire, type BatchWire } from './harness/batch-wire';
import { startCloudFormationWire, type CloudFormationWire } from './harness/cloudformation-wire';
import { listenLoopback, readBody, type Loopback } from './harness/loopback';
import { startLogsWire, type CannedGroup, type LogsWire } from './harness/logs-wire';
import { s3ClientConfig, startS3rver } from './harness/services';

const cwd = join(__dirname, 'fixtures', 'container-lambda');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `container-commands-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('sls container run --existing (S3 listing, Lambda Invoke at the wire)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let lambda: WireEndpoint;
  const env = () => ({
    CONTINUUM_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
  });
  const invoked = () =>
    lambda.requests.map((r) => ({
      path: r.path,
      type: r.headers['x-amz-invocation-type'],
      event: JSON.parse(r.body) as { Records: Array<Record<string, any>> }, // eslint-disable-line @typescript-eslint/no-explicit-any
    }));

  before(async () => {
    s3 = await startS3rver({ buckets: ['continuum-images'] });
    const client = new S3Client(s3ClientConfig(s3.endpoint));
    for (const [key, body] of [
      ['in/a.png', 'aaaa'],
      ['in/b b.jpg', 'bb'],
      ['in/notes.txt', 'not an image'],
      ['in/sub/c.png', 'c'],
      ['in/sub/', ''],
      ['out/done.png', 'an output'],
    ]) {
      await client.send(new PutObjectCommand({ Bucket: 'continuum-images', Key: key, Body: body }));
    }
    client.destroy();
    // Lambda's Invoke: 202 for an Event invocation; one object's call is refused, as a throttle or policy would.
    lambda = await startEndpoint(
      'lambda',
      { method: 'POST', path: /^\/2015-03-31\/functions\/continuum-containers-dev-grayify\/invocations$/ },
      (request) =>
        request.body.includes('b+b.jpg')
          ? {
              status: 400,
              body: JSON.stringify({ Type: 'User', message: 'the payload was refused' }),
              headers: { 'x-amzn-errortype': 'InvalidRequestContentException' },
            }
          : { status: 202, body: '' },
    );
  });
  after(async () => {
    await Promise.all([s3?.close(), lambda?.close()]);
  });

  test('sends each object the trigger would match as its S3 event, asynchronously; a refused one is named and stops none', async () => {
    const run = await runSls('osls', ['container', 'run', '-f', 'grayify', '--existing'], {
      cwd,
      env: env(),
    });
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.deepEqual(lambda.violations, []);
    const calls = invoked().sort((a, b) =>
      a.event.Records[0]!.s3.object.key.localeCompare(b.event.Records[0]!.s3.object.key),
    );
    assert.deepEqual(
      calls.map((c) => [c.type, c.event.Records[0]!.s3.object.key, c.event.Records[0]!.s3.object.size]),
      [
        ['Event', 'in/a.png', 4],
        ['Event', 'in/b+b.jpg', 2],
        ['Event', 'in/sub/c.png', 1],
      ],
    );
    const record = calls[0]!.event.Records[0]!;
    assert.equal(calls[0]!.event.Records.length, 1);
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.awsRegion, 'us-east-1');
    assert.deepEqual(record.s3.bucket, { name: 'continuum-images', arn: 'arn:aws:s3:::continuum-images' });
    assert.ok(Date.parse(record.eventTime) > 0, 'the event time is the object’s last-modified time');
    const said = run.stderr + run.stdout;
    assert.match(said, /grayify: 2 object\(s\) sent to the function/);
    assert.match(said, /2 object\(s\) skipped: the input's suffix or prefix filters do not match/);
    assert.match(
      said,
      /1 object\(s\) could not be sent:\n\s*s3:\/\/continuum-images\/in\/b b\.jpg: the payload was refused/,
    );
  });

  test('--prefix sends only the objects under that folder of the input', async () => {
    lambda.requests.length = 0;
    const run = await runSls(
      'osls',
      ['container', 'run', '-f', 'grayify', '--existing', '--prefix', 'sub/'],
      {
        cwd,
        env: env(),
      },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(
      invoked().map((c) => c.event.Records[0]!.s3.object.key),
      ['in/sub/c.png'],
    );
    assert.match(run.stderr + run.stdout, /grayify: 1 object\(s\) sent to the function/);
  });

  test('--existing with --local or --file is refused before anything is listed or sent', async () => {
    lambda.requests.length = 0;
    const run = await runSls('osls', ['container', 'run', '-f', 'grayify', '--existing', '--local'], {
      cwd,
      env: env(),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr + run.stdout, /--local: does not go with --existing/);
    assert.deepEqual(lambda.requests, []);
  });
});

describe('sls container logs (CloudWatch Logs and Batch DescribeJobs at the wire)', () => {
  const LAMBDA_GROUP = '/aws/lambda/continuum-containers-dev-render';
  const STREAM_A = '2024/05/01/[$LATEST]aaaaaaaaaaaaaaaa';
  const STREAM_B = '2024/05/01/[$LATEST]bbbbbbbbbbbbbbbb';
  const JOB = '4c0f9a2e-1b7d-4d4e-9f3a-0123456789ab';
  const JOB_STREAM = 'render-job/default/0f1e2d3c4b5a';
  const handoffLine = (jobName: string, jobId: string) =>
    `{"message":"handed to AWS Batch","reason":"input-size","jobName":"${jobName}","jobId":"${jobId}"}\n`;
  const HANDOFF = handoffLine('render-req-1', JOB);
  const lambdaEvents: Array<[number, string, string]> = [
    [0, STREAM_A, 'INIT_START Runtime Version: provided:al2023.v1\n'],
    [10, STREAM_A, 'START RequestId: req-1 Version: $LATEST\n'],
    [12, STREAM_B, 'START RequestId: req-2 Version: $LATEST\n'],
    [15, STREAM_B, 'the other request\n'],
    [20, STREAM_A, HANDOFF],
    [30, STREAM_A, 'END RequestId: req-1\n'],
    [30, STREAM_A, 'REPORT RequestId: req-1\tDuration: 20.00 ms\n'],
    [40, STREAM_B, 'END RequestId: req-2\n'],
    [41, STREAM_B, 'REPORT RequestId: req-2\tDuration: 29.00 ms\n'],
    [50, STREAM_A, 'START RequestId: req-3 Version: $LATEST\n'],
    [60, STREAM_A, 'REPORT RequestId: req-3\tDuration: 10.00 ms\n'],
    // Two records of one S3 event, each handed to its own job: one still queued, one multi-node (MPI).
    [70, STREAM_B, 'START RequestId: req-4 Version: $LATEST\n'],
    [71, STREAM_B, handoffLine('render-req-4', 'job-queued')],
    [72, STREAM_B, handoffLine('render-req-4', 'job-mpi')],
    [80, STREAM_B, 'REPORT RequestId: req-4\tDuration: 10.00 ms\n'],
  ];
  const groups: Record<string, CannedGroup> = {
    [LAMBDA_GROUP]: {
      events: lambdaEvents.map(([ms, stream, message], i) => ({
        eventId: `e${i}`,
        timestamp: T0 + ms,
        logStreamName: stream,
        message,
      })),
    },
    '/aws/batch/job': {
      pageSize: 1,
      events: [
        { eventId: 'j1', timestamp: T0 + 5000, logStreamName: JOB_STREAM, message: 'rendering in/big.mp4' },
        { eventId: 'j2', timestamp: T0 + 9000, logStreamName: JOB_STREAM, message: 'done' },
        {
          eventId: 'n1',
          timestamp: T0 + 9500,
          logStreamName: 'mpi-job/default/main',
          message: 'mpirun -np 4',
        },
      ],
    },
  };
  let logs: LogsWire;
  let batch: BatchWire;
  const env = () => ({
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
    AWS_ENDPOINT_URL_BATCH: batch.endpoint,
  });

  before(async () => {
    logs = await startLogsWire(groups);
    batch = await startBatchWire({
      [JOB]: {
        jobName: 'render-req-1',
        status: 'SUCCEEDED',
        container: { logStreamName: JOB_STREAM },
      },
      'job-queued': { jobName: 'render-req-4', status: 'RUNNABLE' },
      'job-mpi': { jobName: 'render-req-4', status: 'RUNNING', nodeProperties: { mainNode: 0, numNodes: 2 } },
      'job-mpi#0': { status: 'RUNNING', container: { logStreamName: 'mpi-job/default/main' } },
    });
  });
  after(async () => {
    await Promise.all([logs?.close(), batch?.close()]);
  });

  test("--request-id prints that request's lines from START to REPORT, then the log of the Batch job it handed to", async () => {
    logs.requests.length = 0;
    const run = await runSls('osls', ['container', 'logs', '-f', 'render', '--request-id', 'req-1'], {
      cwd,
      env: env(),
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(
      run.stdout.trim(),
      [
        `== request req-1 (${STREAM_A})`,
        `${at(10)}  START RequestId: req-1 Version: $LATEST`,
        `${at(20)}  ${HANDOFF.trim()}`,
        `${at(30)}  END RequestId: req-1`,
        `${at(30)}  REPORT RequestId: req-1\tDuration: 20.00 ms`,
        `== AWS Batch job render-req-1 (${JOB}): SUCCEEDED, /aws/batch/job ${JOB_STREAM}`,
        `${at(5000)}  rendering in/big.mp4`,
        `${at(9000)}  done`,
      ].join('\n'),
    );
    for (const request of logs.requests) {
      assert.equal(request.method, 'POST');
      assert.equal(request.contentType, 'application/x-amz-json-1.1');
      assert.match(request.authorization ?? '', /^AWS4-HMAC-SHA256 .*\/us-east-1\/logs\/aws4_request/);
    }
    assert.deepEqual(
      logs.requests.map((r) => [r.target, r.body]),
      [
        [
          'Logs_20140328.FilterLogEvents',
          { logGroupName: LAMBDA_GROUP, filterPattern: '"RequestId: req-1"' },
        ],
        [
          'Logs_20140328.FilterLogEvents',
          { logGroupName: LAMBDA_GROUP, logStreamNames: [STREAM_A], startTime: T0 + 10, endTime: T0 + 30 },
        ],
        [
          'Logs_20140328.GetLogEvents',
          { logGroupName: '/aws/batch/job', logStreamName: JOB_STREAM, startFromHead: true },
        ],
        [
          'Logs_20140328.GetLogEvents',
          {
            logGroupName: '/aws/batch/job',
            logStreamName: JOB_STREAM,
            startFromHead: true,
            nextToken: 'f/1',
          },
        ],
        [
          'Logs_20140328.GetLogEvents',
          {
            logGroupName: '/aws/batch/job',
            logStreamName: JOB_STREAM,
            startFromHead: true,
            nextToken: 'f/2',
          },
        ],
      ],
    );
    assert.deepEqual(
      batch.requests.map((r) => [r.method, r.path, r.contentType, r.body]),
      [['POST', '/v1/describejobs', 'application/json', { jobs: [JOB] }]],
    );
    assert.match(batch.requests[0]!.authorization ?? '', /\/us-east-1\/batch\/aws4_request/);
  });

  test('without --request-id it prints the latest requests of the latest streams, in the order they started', async () => {
    logs.requests.length = 0;
    const run = await runSls('serverless', ['container', 'logs', '-f', 'render'], { cwd, env: env() });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(
      run.stdout.split('\n').filter((line) => line.startsWith('== ')),
      [
        `== request req-1 (${STREAM_A})`,
        `== AWS Batch job render-req-1 (${JOB}): SUCCEEDED, /aws/batch/job ${JOB_STREAM}`,
        `== request req-2 (${STREAM_B})`,
        `== request req-3 (${STREAM_A})`,
        `== request req-4 (${STREAM_B})`,
        '== AWS Batch job render-req-4 (job-queued): RUNNABLE; no log yet (a job logs once its container starts)',
        '== AWS Batch job render-req-4 (job-mpi): RUNNING, multi-node: its main node 0',
        '== AWS Batch job job-mpi#0: RUNNING, /aws/batch/job mpi-job/default/main',
      ],
    );
    assert.match(run.stdout, /main\n\S+ {2}mpirun -np 4$/m);
    assert.doesNotMatch(run.stdout, /INIT_START/);
    assert.deepEqual(
      logs.requests.slice(0, 3).map((r) => [r.target, r.body]),
      [
        [
          'Logs_20140328.DescribeLogStreams',
          { logGroupName: LAMBDA_GROUP, orderBy: 'LastEventTime', descending: true, limit: 3 },
        ],
        [
          'Logs_20140328.GetLogEvents',
          { logGroupName: LAMBDA_GROUP, logStreamName: STREAM_B, startFromHead: false },
        ],
        [
          'Logs_20140328.GetLogEvents',
          { logGroupName: LAMBDA_GROUP, logStreamName: STREAM_A, startFromHead: false },
        ],
      ],
    );
  });

  test('a request that is not in the log is an error naming the log group; a function that never ran has no logs yet', async () => {
    const missing = await runSls(
      'serverless',
      ['container', 'logs', '-f', 'render', '--request-id', 'req-9'],
      {
        cwd,
        env: env(),
      },
    );
    assert.equal(missing.code, 1, missing.stderr + missing.stdout);
    assert.match(missing.stderr + missing.stdout, new RegExp(`${LAMBDA_GROUP} has no request req-9`));
    const never = await runSls('osls', ['container', 'logs', '-f', 'grayify'], { cwd, env: env() });
    assert.equal(never.code, 0, never.stderr + never.stdout);
    assert.match(
      never.stderr,
      /No logs of grayify yet: \/aws\/lambda\/continuum-containers-dev-grayify does not exist/,
    );
  });
});

describe('sls container invoke (CloudFormation DescribeStacks and the HTTP endpoint at the wire)', () => {
  interface Received {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
  }
  const received: Received[] = [];
  let answer: { status: number; type: string; body: Buffer } = {
    status: 200,
    type: 'application/octet-stream',
    body: Buffer.alloc(0),
  };
  let api: Loopback;
  let cloudformation: CloudFormationWire;
  const env = () => ({ AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint });
  // Every byte value, so a body that went through text anywhere would show it.
  const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  before(async () => {
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      });
    });
    api = await listenLoopback(server);
    cloudformation = await startCloudFormationWire({
      'continuum-containers-dev': { ServiceEndpoint: `${api.endpoint}/dev` },
    });
  });
  after(async () => {
    await Promise.all([api?.close(), cloudformation?.close()]);
  });

  test('--file sends the file byte for byte to the endpoint sls info shows; --out writes the answer unchanged', async () => {
    const file = join(work, 'photo 1.bin');
    writeFileSync(file, BYTES);
    const out = join(work, 'answer.bin');
    answer = { status: 200, type: 'application/octet-stream', body: Buffer.from(BYTES).reverse() };
    received.length = 0;
    const run = await runSls('osls', ['container', 'invoke', '-f', 'detect', '--file', file, '--out', out], {
      cwd,
      env: env(),
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(readFileSync(out), Buffer.from(BYTES).reverse());
    assert.equal(received.length, 1);
    const [call] = received;
    assert.equal(call!.method, 'POST');
    assert.equal(call!.url, '/dev/detect');
    assert.deepEqual(call!.body, BYTES);
    assert.equal(call!.headers['content-type'], 'application/octet-stream');
    assert.equal(call!.headers['x-continuum-filename'], 'photo 1.bin');
    assert.equal(call!.headers['x-amz-invocation-type'], undefined);
    assert.deepEqual(cloudformation.requests, [
      { Action: 'DescribeStacks', Version: '2010-05-15', StackName: 'continuum-containers-dev' },
    ]);
    assert.match(run.stderr + run.stdout, /detect answered 200: 256 byte\(s\) in/);
  });

  test('--async --data sends the JSON with X-Amz-Invocation-Type: Event and prints the 202 answer', async () => {
    answer = {
      status: 202,
      type: 'application/json',
      body: Buffer.from('{"status":"accepted","requestId":"req-7"}'),
    };
    received.length = 0;
    const run = await runSls(
      'serverless',
      ['container', 'invoke', '-f', 'detect', '--data', '{"image": "a.png"}', '--async'],
      { cwd, env: env() },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.stdout.trim(), '{"status":"accepted","requestId":"req-7"}');
    const [call] = received;
    assert.equal(call!.method, 'POST');
    assert.equal(call!.headers['x-amz-invocation-type'], 'Event');
    assert.equal(call!.headers['content-type'], 'application/json');
    assert.equal(call!.body.toString('utf8'), '{"image": "a.png"}');
  });

  test('an error answer fails the command with its status and text; a function without api is refused first', async () => {
    answer = { status: 500, type: 'text/plain', body: Buffer.from('The script failed (exit code 3).') };
    const failed = await runSls('osls', ['container', 'invoke', '-f', 'detect', '--data', '{}'], {
      cwd,
      env: env(),
    });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr + failed.stdout, /detect answered 500: The script failed \(exit code 3\)\./);
    received.length = 0;
    const refused = await runSls('osls', ['container', 'invoke', '-f', 'grayify', '--data', '{}'], {
      cwd,
      env: env(),
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr + refused.stdout, /functions\.grayify\.api: not set/);
    assert.equal(received.length, 0);
  });
});
