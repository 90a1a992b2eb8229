// A streaming job end to end on real stand-ins: the upload event -> coordinator -> the streaming mapper and reducer
// handlers (the code the image's entry point serves) running Python programs, S3 on s3rver, run state on dynalite,
// Lambda's async Invoke at the wire; and the image's entry point speaking the Runtime API to a loopback server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startDynalite, startS3rver, s3ClientConfig, type LocalService } from './harness/services';
import { startLambdaWire, type LambdaWire, type WireHandler } from './harness/lambda-wire';
import { listenLoopback, readBody } from './harness/loopback';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { referenceWordCount, testJob, tsvCounts } from '../plugins/mapreduce/test/reference';
import { sampleText } from '../plugins/mapreduce/test/cli';
import {
  createCoordinatorHandler,
  createMapperHandler,
  createReducerHandler,
} from '../plugins/mapreduce/src/runtime/handlers';
import { serveStreamingRole } from '../plugins/mapreduce/src/runtime/streaming/image-entry';
import { runLocal } from '../plugins/mapreduce/src/local/run';
import type { RunReport } from '../plugins/mapreduce/src/runtime/types';

const PROGRAMS = join(__dirname, '..', 'plugins', 'mapreduce', 'test', 'local', 'fixtures');
const streaming = {
  map: ['python3', 'streaming/fail_once_mapper.py'],
  combine: ['python3', 'streaming/wc_reducer.py'],
  reduce: ['python3', 'streaming/wc_reducer.py'],
  maxLineBytes: 1024 * 1024,
  mapperTimeout: 60,
  reducerTimeout: 60,
};
const job = testJob({
  name: 'wordcount-py',
  input: { bucket: 'corpus', prefix: 'texts/' },
  output: { bucket: 'results', prefix: 'wordcount-py/' },
  temp: { bucket: 'results', prefix: 'wordcount-py/_temporary/' },
  chunkSize: 16 * 1024,
  concurrency: 4,
  streaming,
});
const work = mkdtempSync(join(tmpdir(), 'mr-streaming-e2e-'));
const env = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  MAPREDUCE_JOB: JSON.stringify(job),
  MAPREDUCE_TABLE: 'wordcount-py-runs',
  MAPREDUCE_MAPPER_FUNCTION: 'svc-wordcount-py-mapper',
  MAPREDUCE_REDUCER_FUNCTION: 'svc-wordcount-py-reducer',
  // The job files' folder, as the image holds them under /opt/continuum/job.
  MAPREDUCE_STREAMING_DIR: PROGRAMS,
  FAIL_ONCE_FILE: join(work, 'failed-once'),
};
const COORDINATOR = 'svc-wordcount-py-coordinator';

let s3rver: LocalService;
let dynalite: LocalService;
let lambda: LambdaWire;
let s3: S3Client;

before(async () => {
  [s3rver, dynalite] = await Promise.all([startS3rver({ buckets: ['corpus', 'results'] }), startDynalite()]);
  s3 = new S3Client(s3ClientConfig(s3rver.endpoint));
  await createRunTable(dynalite.endpoint, env.MAPREDUCE_TABLE);
  const handlers: Record<string, WireHandler> = {
    [env.MAPREDUCE_MAPPER_FUNCTION]: createMapperHandler({ streaming: true }) as never,
    [env.MAPREDUCE_REDUCER_FUNCTION]: createReducerHandler({ streaming: true }) as never,
    [COORDINATOR]: createCoordinatorHandler() as never,
  };
  const tasks = { maximumRetryAttempts: 0, onFailure: COORDINATOR };
  lambda = await startLambdaWire(handlers, {
    [env.MAPREDUCE_MAPPER_FUNCTION]: tasks,
    [env.MAPREDUCE_REDUCER_FUNCTION]: tasks,
    [COORDINATOR]: { onFailure: env.MAPREDUCE_MAPPER_FUNCTION },
  });
  Object.assign(process.env, env, {
    MAPREDUCE_S3_ENDPOINT: s3rver.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
  });
});

after(async () => {
  s3?.destroy();
  await lambda?.close();
  await Promise.all([s3rver?.close(), dynalite?.close()]);
  rmSync(work, { recursive: true, force: true });
});

async function getText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'results', Key: key }));
  return out.Body!.transformToString('utf8');
}

test('an upload runs the Python programs in the mapper and reducer functions, retries the failed split, and writes the local run’s parts', async () => {
  const text = `${sampleText(1500)}\nfail-here\n${sampleText(1500, 11)}`;
  const key = 'texts/corpus.txt';
  await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
  const size = Buffer.byteLength(text);
  const event = {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'corpus' }, object: { key, size, eTag: '"feed"', sequencer: '01' } },
      },
    ],
  };
  const started = (await createCoordinatorHandler()(event, { awsRequestId: randomUUID() } as never)) as {
    started: string[];
  };
  await lambda.quiescent();
  const runId = started.started[0]!;
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: 'results', Prefix: `wordcount-py/${runId}/` }),
  );
  const names = (listed.Contents ?? []).map((o) => o.Key!.slice(`wordcount-py/${runId}/`.length)).sort();
  assert.deepEqual(names, ['_SUCCESS.json', 'part-00000', 'part-00001', 'part-00002']);
  const parts = await Promise.all([0, 1, 2].map((p) => getText(`wordcount-py/${runId}/part-0000${p}`)));
  assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
  const report = JSON.parse(await getText(`wordcount-py/${runId}/_SUCCESS.json`)) as RunReport;
  assert.equal(report.retries.map, 1);
  assert.equal(report.records.in, 3001);

  // The same job on this machine writes the same parts.
  rmSync(env.FAIL_ONCE_FILE, { force: true });
  const input = join(work, 'corpus.txt');
  writeFileSync(input, text);
  const local = await runLocal({
    job: { ...job, retries: 2 },
    input,
    outputDir: join(work, 'out'),
    serviceDir: PROGRAMS,
  });
  assert.deepEqual(
    local.parts.map((p) => readFileSync(p, 'utf8')),
    parts,
  );
});

/** A Runtime API on loopback that hands out `events` one by one and records what the runtime answers. */
async function runtimeApi(events: unknown[]) {
  const answers: Array<{ path: string; body: unknown }> = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url === '/2018-06-01/runtime/invocation/next') {
      const id = `request-${answers.length + 1}`;
      res.writeHead(200, {
        'Lambda-Runtime-Aws-Request-Id': id,
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
        'Lambda-Runtime-Invoked-Function-Arn':
          'arn:aws:lambda:us-east-1:123456789012:function:svc-wordcount-py-reducer',
      });
      res.end(JSON.stringify(events.shift() ?? {}));
      return;
    }
    answers.push({ path: req.url ?? '', body: JSON.parse(body.toString('utf8') || 'null') });
    res.writeHead(202).end();
  });
  const loopback = await listenLoopback(server);
  return { address: `127.0.0.1:${loopback.port}`, answers, close: () => loopback.close() };
}

test("the image's entry point serves the role its command names through the Runtime API", async () => {
  const api = await runtimeApi([{ kind: 'reduce', runId: 'no-such-run', partition: 0, attempt: 1 }]);
  try {
    await serveStreamingRole('reducer', { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address }, 1);
    assert.deepEqual(api.answers, [
      { path: '/2018-06-01/runtime/invocation/request-1/response', body: { skipped: true } },
    ]);
  } finally {
    await api.close();
  }
});

test("an image command that names no role is the function's init error", async () => {
  const api = await runtimeApi([]);
  try {
    await assert.rejects(
      serveStreamingRole('coordinator', { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address }, 1),
      /the image's command must be mapper or reducer, got "coordinator"/,
    );
    assert.equal(api.answers[0]?.path, '/2018-06-01/runtime/init/error');
    assert.match(JSON.stringify(api.answers[0]?.body), /must be mapper or reducer/);
  } finally {
    await api.close();
  }
});
