// End to end on real stand-ins: an upload event -> coordinator -> mappers -> reducers -> result, with the real
// handlers, S3 on s3rver, run state on dynalite, and Lambda's async Invoke answered at the wire by a loopback server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  dynamoClientConfig,
  startDynalite,
  startS3rver,
  s3ClientConfig,
  type LocalService,
} from './harness/services';
import {
  startLambdaWire,
  type LambdaWire,
  type WireHandler,
  type WireInvocation,
} from './harness/lambda-wire';
import { s3ErrorFault, startFaultProxy } from './harness/fault-proxy';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { referenceWordCount, testJob, tsvCounts } from '../plugins/mapreduce/test/reference';
import {
  createCoordinatorHandler,
  createMapperHandler,
  createReducerHandler,
} from '../plugins/mapreduce/src/runtime/handlers';
import { runLocal } from '../plugins/mapreduce/src/local/run';
import { makeRunId } from '../plugins/mapreduce/src/runtime/report';
import type {
  MapTaskEvent,
  ReduceTaskEvent,
  StragglerWatchEvent,
} from '../plugins/mapreduce/src/runtime/contract';
import { DynamoRunStore } from '../plugins/mapreduce/src/runtime/dynamo-run-store';
import type { FailureReport, Mapper, Reducer, RunReport } from '../plugins/mapreduce/src/runtime/types';

const job = testJob({
  input: { bucket: 'corpus', prefix: 'texts/' },
  output: { bucket: 'results', prefix: 'wordcount/' },
  temp: { bucket: 'results', prefix: 'wordcount/_temporary/' },
  chunkSize: 2000,
  concurrency: 4,
  reducerMemoryBudget: 1024 * 1024,
});

function corpus(): string {
  const words = ['Alpha', 'beta', 'gamma', 'delta', 'naïve', 'ZETA', 'eta', 'theta'];
  const lines = Array.from({ length: 600 }, (_, i) =>
    Array.from({ length: 1 + (i % 6) }, (_, j) => words[(i * 5 + j) % words.length]).join(' '),
  );
  lines.splice(300, 0, 'fail-here');
  return `${lines.join('\r\n')}\r\n`;
}

let s3rver: LocalService;
let dynalite: LocalService;
let lambda: LambdaWire;
let s3: S3Client;
let mapFailures = 0;
/** Function name -> handler, as deployed; a test may deploy other versions. */
const handlers: Record<string, WireHandler> = {};

const count: Reducer<string, number> = (_key, values) => values.reduce((a, b) => a + b, 0);
/** The word count map, failing once on the marker record: a transient fault the run must absorb. */
const map: Mapper<string, number> = (record, emit) => {
  if (record === 'fail-here' && mapFailures++ === 0) throw new Error('injected transient failure');
  for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
};

const env = {
  AWS_REGION: 'us-east-1',
  // s3rver accepts only its own dummy key pair; dynalite accepts any.
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  MAPREDUCE_JOB: JSON.stringify(job),
  MAPREDUCE_TABLE: 'wordcount-runs',
  MAPREDUCE_MAPPER_FUNCTION: 'svc-wordcount-mapper',
  MAPREDUCE_REDUCER_FUNCTION: 'svc-wordcount-reducer',
};
const COORDINATOR_FUNCTION = 'svc-wordcount-coordinator';
/** As the plugin deploys them (`failureHandling`): no Lambda retries, uncaught failures to the coordinator. */
const taskInvokeConfig = { maximumRetryAttempts: 0, onFailure: COORDINATOR_FUNCTION };

before(async () => {
  [s3rver, dynalite] = await Promise.all([startS3rver({ buckets: ['corpus', 'results'] }), startDynalite()]);
  s3 = new S3Client(s3ClientConfig(s3rver.endpoint));
  await createRunTable(dynalite.endpoint, env.MAPREDUCE_TABLE);

  const mapper = createMapperHandler({ map, combine: count });
  const reducer = createReducerHandler({ reduce: count });
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = mapper as never;
  handlers[env.MAPREDUCE_REDUCER_FUNCTION] = reducer as never;
  handlers[COORDINATOR_FUNCTION] = createCoordinatorHandler() as never;
  lambda = await startLambdaWire(handlers, {
    [env.MAPREDUCE_MAPPER_FUNCTION]: taskInvokeConfig,
    [env.MAPREDUCE_REDUCER_FUNCTION]: taskInvokeConfig,
    // Lambda's two retries, then the S3 event goes to the mapper function.
    [COORDINATOR_FUNCTION]: { onFailure: env.MAPREDUCE_MAPPER_FUNCTION },
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
});

async function getText(bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString('utf8');
}

async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

function uploadEvent(key: string, size: number, eTag: string, sequencer: string) {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: 'corpus' },
          // S3 event keys are URL-encoded, spaces as '+'.
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
            size,
            eTag,
            sequencer,
          },
        },
      },
    ],
  };
}

test('an upload runs the whole pipeline once, absorbs a failing mapper, and matches a reference count and a local run', async () => {
  const text = corpus();
  const key = 'texts/my corpus.txt';
  await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
  const size = Buffer.byteLength(text);
  const event = uploadEvent(key, size, '"0123abcd"', '0062E5C1A1B2C3D4E5');

  const coordinator = createCoordinatorHandler();
  const first = (await coordinator(event, { awsRequestId: randomUUID() } as never)) as { started: string[] };
  // S3 delivers at least once: the same event again starts no second run.
  const again = (await coordinator(event, { awsRequestId: randomUUID() } as never)) as {
    started: string[];
    skipped: Array<{ reason: string }>;
  };
  assert.equal(first.started.length, 1);
  assert.deepEqual(again.started, []);
  assert.match(again.skipped[0]!.reason, /already exists \(a duplicated event\)/);
  await lambda.quiescent();

  const runId = first.started[0]!;
  assert.match(runId, /^texts_my_corpus\.txt-[0-9a-f]{16}$/);
  const runPrefix = `wordcount/${runId}/`;
  assert.deepEqual(await listKeys('results', runPrefix), [
    `${runPrefix}_SUCCESS.json`,
    `${runPrefix}part-00000`,
    `${runPrefix}part-00001`,
    `${runPrefix}part-00002`,
  ]);
  const parts = await Promise.all([0, 1, 2].map((r) => getText('results', `${runPrefix}part-0000${r}`)));
  assert.deepEqual(tsvCounts(parts), referenceWordCount(text));

  const report = JSON.parse(await getText('results', `${runPrefix}_SUCCESS.json`)) as RunReport;
  const splits = Math.ceil(size / job.chunkSize!);
  assert.equal(report.splits, splits);
  assert.equal(report.retries.map, 1);
  assert.equal(report.mappers, splits + 1);
  assert.equal(report.records.in, 601);
  assert.deepEqual(report.input, { bucket: 'corpus', key, size, etag: '0123abcd' });
  assert.equal(report.cost.basis, 'lambda');

  // Every fan-out was an asynchronous invoke; each split was mapped by exactly one successful task.
  assert.ok(lambda.invocations.every((i) => i.type === 'Event'));
  const mapCalls = lambda.invocations.filter((i) => i.fn === env.MAPREDUCE_MAPPER_FUNCTION);
  assert.equal(mapCalls.length, splits + 1);
  assert.equal(lambda.invocations.filter((i) => i.fn === env.MAPREDUCE_REDUCER_FUNCTION).length, 3);
  // Intermediates are gone once _SUCCESS.json exists.
  assert.deepEqual(await listKeys('results', `wordcount/_temporary/${runId}/`), []);

  // The local engine on the same bytes writes the same parts.
  const dir = mkdtempSync(join(tmpdir(), 'mr-e2e-local-'));
  try {
    const file = join(dir, 'my corpus.txt');
    writeFileSync(file, text);
    const modules = join(dir, 'wc.js');
    writeFileSync(
      modules,
      'exports.map = (r, emit) => { for (const w of r.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1); };\n' +
        'exports.reduce = (k, vs) => vs.reduce((a, b) => a + b, 0);\n',
    );
    const local = await runLocal({
      job,
      modules: { map: { file: modules, export: 'map' }, reduce: { file: modules, export: 'reduce' } },
      input: file,
      outputDir: join(dir, 'out'),
      workers: 2,
    });
    assert.deepEqual(
      local.parts.map((p) => readFileSync(p, 'utf8')),
      parts,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('objects under the output prefix and other buckets start no run', async () => {
  const coordinator = createCoordinatorHandler();
  const outcome = (await coordinator(
    {
      Records: [
        { s3: { bucket: { name: 'results' }, object: { key: 'wordcount/x/part-00000', size: 5 } } },
        { s3: { bucket: { name: 'corpus' }, object: { key: 'elsewhere/a.txt', size: 5 } } },
      ],
    },
    { awsRequestId: randomUUID() } as never,
  )) as { started: string[]; skipped: Array<{ reason: string }> };
  assert.deepEqual(outcome.started, []);
  assert.deepEqual(
    outcome.skipped.map((s) => s.reason),
    ['not under the job input', 'not under the job input'],
  );
});

test('malformed records are skipped, each with its reason in a JSON log line, and the good record of the same event starts its run', async () => {
  const text = 'alpha beta\ngamma\n';
  const key = 'texts/among bad records.txt';
  await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
  const good = uploadEvent(key, Buffer.byteLength(text), '"c0ffee"', '0062E5C1A1B2C3D4E6').Records[0]!;
  const logged: string[] = [];
  const log = console.log;
  console.log = (line: unknown) => logged.push(String(line));
  let outcomes: Array<{ started: string[]; skipped: Array<{ key: string; reason: string }> }>;
  try {
    const coordinator = createCoordinatorHandler();
    const events = [
      {
        Records: [
          null,
          { s3: { bucket: { name: 'corpus' }, object: { size: 5 } } },
          { s3: { bucket: { name: 'corpus' }, object: { key: 'texts/%ZZ.txt', size: 5 } } },
          good,
        ],
      },
      null,
      // Shaped like Lambda's failure record, but with no payload to retry.
      { requestContext: { requestId: 'r-1', condition: 'RetriesExhausted' }, requestPayload: null },
    ];
    outcomes = [];
    for (const event of events)
      outcomes.push((await coordinator(event as never, { awsRequestId: randomUUID() } as never)) as never);
  } finally {
    console.log = log;
  }
  await lambda.quiescent();
  const [mixed, nothing, noPayload] = outcomes;
  assert.equal(mixed!.started.length, 1);
  assert.deepEqual(mixed!.skipped, [
    { key: '', reason: 'not an S3 event record' },
    { key: '', reason: 'the record names no object key' },
    { key: 'texts/%ZZ.txt', reason: 'the object key is not valid URL encoding' },
  ]);
  assert.deepEqual(nothing!.started, []);
  assert.deepEqual(nothing!.skipped, [{ key: '', reason: 'not an S3 event (it has no Records list)' }]);
  assert.deepEqual(noPayload, nothing);
  const skips = logged
    .map((line) => JSON.parse(line) as { message: string; reason?: string })
    .filter((line) => line.message === 'skipped');
  assert.deepEqual(
    skips.map((line) => line.reason),
    [
      'not an S3 event record',
      'the record names no object key',
      'the object key is not valid URL encoding',
      'not an S3 event (it has no Records list)',
      'not an S3 event (it has no Records list)',
    ],
  );
  const runId = mixed!.started[0]!;
  assert.ok((await listKeys('results', `wordcount/${runId}/`)).includes(`wordcount/${runId}/_SUCCESS.json`));
});

test('a split that fails on every retry fails the run with _FAILED.json, no _SUCCESS.json, and keeps the intermediates', async () => {
  const poisonJob = {
    ...job,
    name: 'poisoned',
    input: { bucket: 'corpus', prefix: 'poison/' },
    output: { bucket: 'results', prefix: 'poisoned/' },
    temp: { bucket: 'results', prefix: 'poisoned/_temporary/' },
    retries: 1,
  };
  // A new deployment of the mapper and coordinator with this job (handlers read their job on first use).
  process.env.MAPREDUCE_JOB = JSON.stringify(poisonJob);
  try {
    const poisoned: Mapper<string, number> = (record, emit) => {
      if (record === 'fail-here') throw new Error('this record is poison');
      emit('n', 1);
    };
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map: poisoned }) as never;
    const text = corpus();
    const key = 'poison/bad.txt';
    await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
    const coordinator = createCoordinatorHandler();
    const { started } = (await coordinator(
      uploadEvent(key, Buffer.byteLength(text), '"feed"', '0062E5C1A1B2C3D4F0'),
      {
        awsRequestId: randomUUID(),
      } as never,
    )) as { started: string[] };
    await lambda.quiescent();
    const runId = started[0]!;
    assert.deepEqual(await listKeys('results', `poisoned/${runId}/`), [`poisoned/${runId}/_FAILED.json`]);
    const failed = JSON.parse(await getText('results', `poisoned/${runId}/_FAILED.json`)) as FailureReport;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.phase, 'map');
    assert.equal(failed.attempts, 2);
    assert.match(
      failed.error.message,
      /map failed on record \d+ of split \d+ \(bytes \d+-\d+\): this record is poison/,
    );
    assert.equal(failed.input.key, key);
    assert.ok(
      failed.split &&
        failed.split.start <= text.indexOf('fail-here') &&
        text.indexOf('fail-here') < failed.split.end,
    );
    assert.ok((await listKeys('results', `poisoned/_temporary/${runId}/`)).length > 0);
  } finally {
    process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
  }
});

test('a retried coordinator (same request id) relaunches its mappers; the duplicated mappers are counted once', async () => {
  process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map, combine: count }) as never;
  const text = corpus().replace('fail-here', 'no failure this time');
  const key = 'texts/retried.txt';
  await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
  const event = uploadEvent(key, Buffer.byteLength(text), '"beef"', '0062E5C1A1B2C3D4F1');
  const context = { awsRequestId: randomUUID() } as never;
  const coordinator = createCoordinatorHandler();
  const first = (await coordinator(event, context)) as { started: string[] };
  const retry = (await coordinator(event, context)) as { started: string[] };
  assert.deepEqual(retry.started, first.started);
  await lambda.quiescent();
  const runId = first.started[0]!;
  const report = JSON.parse(await getText('results', `wordcount/${runId}/_SUCCESS.json`)) as RunReport;
  assert.equal(report.records.in, 601);
  const parts = await Promise.all(
    [0, 1, 2].map((r) => getText('results', `wordcount/${runId}/part-0000${r}`)),
  );
  assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
});

const stragglerJob = {
  ...job,
  name: 'stragglers',
  input: { bucket: 'corpus', prefix: 'slow/' },
  output: { bucket: 'results', prefix: 'stragglers/' },
  temp: { bucket: 'results', prefix: 'stragglers/_temporary/' },
  stragglers: true,
};

const mapperEvents = (): Array<MapTaskEvent | StragglerWatchEvent> =>
  lambda.invocations
    .filter((i: WireInvocation) => i.fn === env.MAPREDUCE_MAPPER_FUNCTION)
    .map((i) => i.payload as MapTaskEvent | StragglerWatchEvent);
const backupsOf = (runId: string, split: number): MapTaskEvent[] =>
  mapperEvents().filter(
    (e): e is MapTaskEvent => e.kind === 'map' && e.runId === runId && !!e.backup && e.split.index === split,
  );

/**
 * A straggler job's run of two splits in the run table: split 1 finished in 1 s, split 0 started `runningMs` ago
 * (the limit is then 2 s).
 */
async function twoSplitRun(
  store: DynamoRunStore,
  name: string,
  input: MapTaskEvent['input'],
  runningMs: number,
): Promise<string> {
  const runId = `${name}-${randomUUID()}`;
  const createdAt = new Date().toISOString();
  await store.createRun({
    runId,
    job: stragglerJob.name,
    input,
    splits: 2,
    reducers: 3,
    launched: 2,
    createdAt,
    phase: 'map',
  });
  await store.markSplitStarted(runId, 1, Date.now() - runningMs - 1000);
  await store.putSplitStats(runId, {
    split: 1,
    recordsIn: 1,
    recordsOut: 1,
    bytesRead: 1000,
    bytesOut: 10,
    partitions: [0],
    durationMs: 1000,
  });
  await store.markSplitDone(runId, 1);
  await store.markSplitStarted(runId, 0, Date.now() - runningMs);
  return runId;
}

test('with stragglers, a slow split gets one backup mapper, the run still matches the reference, and nothing is left behind', async () => {
  process.env.MAPREDUCE_JOB = JSON.stringify(stragglerJob);
  // The first copy of split 0 stalls on its first record until its backup has been launched (at most 10 s),
  // so the backup comes from the rule, whichever of the two then finishes first.
  let stalled = false;
  const slowMap: Mapper<string, number> = async (record, emit, ctx) => {
    if (ctx.split.index === 0 && !stalled) {
      stalled = true;
      for (let waited = 0; waited < 10_000 && !backupsOf(ctx.runId, 0).length; waited += 20)
        await new Promise((r) => setTimeout(r, 20));
    }
    for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
  };
  try {
    // A new deployment of the job's functions (handlers read their job on first use).
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map: slowMap, combine: count }) as never;
    handlers[env.MAPREDUCE_REDUCER_FUNCTION] = createReducerHandler({ reduce: count }) as never;
    const text = corpus().replace('fail-here', 'no failure this time');
    const key = 'slow/tail.txt';
    await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
    const coordinator = createCoordinatorHandler();
    const { started } = (await coordinator(
      uploadEvent(key, Buffer.byteLength(text), '"5109"', '0062E5C1A1B2C3D4F2'),
      { awsRequestId: randomUUID() } as never,
    )) as { started: string[] };
    await lambda.quiescent();
    const runId = started[0]!;

    assert.equal(backupsOf(runId, 0).length, 1);
    // One watcher per run, started by the first mapper that found no split left to launch.
    assert.equal(mapperEvents().filter((e) => e.kind === 'watch' && e.runId === runId).length, 1);
    const parts = await Promise.all(
      [0, 1, 2].map((r) => getText('results', `stragglers/${runId}/part-0000${r}`)),
    );
    assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
    const report = JSON.parse(await getText('results', `stragglers/${runId}/_SUCCESS.json`)) as RunReport;
    assert.ok(report.backups >= 1);
    assert.equal(report.mappers, report.splits + report.backups);
    assert.equal(report.records.in, 601);
    // Whichever copy lost wrote its intermediates again; they are gone all the same.
    assert.deepEqual(await listKeys('results', `stragglers/_temporary/${runId}/`), []);
  } finally {
    process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map, combine: count }) as never;
    handlers[env.MAPREDUCE_REDUCER_FUNCTION] = createReducerHandler({ reduce: count }) as never;
  }
});

test('the straggler watcher backs up a split that crosses the limit after the last completion, and hands over before its Lambda time runs out', async () => {
  process.env.MAPREDUCE_JOB = JSON.stringify(stragglerJob);
  const client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
  const launched: unknown[] = [];
  try {
    // A run of two splits: split 1 finished in 1 s, split 0 started just now (the limit is 2 s).
    const store = new DynamoRunStore(client, env.MAPREDUCE_TABLE);
    const input = { bucket: 'corpus', key: 'slow/watched.txt', size: 3000 };
    const runId = await twoSplitRun(store, 'watched', input, 0);
    // What the watcher launches is recorded, not run.
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = (async (event: unknown) => {
      launched.push(event);
    }) as never;
    const watcher = createMapperHandler({ map, combine: count });
    const watch: StragglerWatchEvent = { kind: 'watch', runId, input };

    // Too little Lambda time left to sleep until split 0 crosses the limit: a fresh watcher takes over. With
    // 1 s left, the watcher keeps half back and hands over at once; middy's own timeout (5 ms before the end)
    // leaves a loaded machine time for the run-table calls.
    const tired = await watcher(watch, {
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => 1000,
    } as never);
    assert.deepEqual(tired, { watched: true, handedOver: true });
    await lambda.quiescent();
    assert.deepEqual(launched, [watch]);

    const fresh = await watcher(watch, { awsRequestId: randomUUID() } as never);
    assert.deepEqual(fresh, { watched: true });
    await lambda.quiescent();
    assert.equal(launched.length, 2);
    assert.deepEqual(launched[1], {
      kind: 'map',
      runId,
      input,
      split: { index: 0, start: 0, end: 2000 },
      attempt: 1,
      backup: true,
    });
    const state = (await store.getRun(runId))!;
    assert.equal(state.backups, 1);
    // Both watcher invocations are counted for the cost estimate; the fresh one slept until the limit.
    assert.equal(state.watcher.invocations, 2);
    assert.ok(state.watcher.ms >= 300, `${state.watcher.ms} ms`);
  } finally {
    client.destroy();
    process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map, combine: count }) as never;
  }
});

test('a straggler watcher that dies is replaced through the coordinator while the run maps, at most `retries` times', async () => {
  process.env.MAPREDUCE_JOB = JSON.stringify(stragglerJob);
  const client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
  const lambdaClient = new LambdaClient({ region: 'us-east-1', endpoint: lambda.endpoint });
  const store = new DynamoRunStore(client, env.MAPREDUCE_TABLE);
  const input = { bucket: 'corpus', key: 'slow/restarted.txt', size: 3000 };
  /** A run of two splits: split 1 finished in 1 s, split 0 has run for 5 s (past the 2 s limit). */
  const stalledRun = (): Promise<string> => twoSplitRun(store, 'restarted', input, 5000);
  const watcher = createMapperHandler({ map, combine: count });
  const launched: MapTaskEvent[] = [];
  /** Watchers with fewer restarts than this crash; map events (the backups) are recorded, not run. */
  let crashing = 0;
  handlers[COORDINATOR_FUNCTION] = createCoordinatorHandler() as never;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = (async (
    event: MapTaskEvent | StragglerWatchEvent,
    context: never,
  ) => {
    if (event.kind === 'map') return void launched.push(event);
    if ((event.restarts ?? 0) < crashing) throw new Error(`watcher ${event.restarts ?? 0} crashed`);
    return watcher(event, context);
  }) as never;
  const watchThroughLambda = async (runId: string): Promise<StragglerWatchEvent[]> => {
    const watch: StragglerWatchEvent = { kind: 'watch', runId, input };
    await lambdaClient.send(
      new InvokeCommand({
        FunctionName: env.MAPREDUCE_MAPPER_FUNCTION,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(watch)),
      }),
    );
    await lambda.quiescent();
    return lambda.invocations
      .filter((i) => i.fn === env.MAPREDUCE_MAPPER_FUNCTION)
      .map((i) => i.payload as StragglerWatchEvent)
      .filter((e) => e.kind === 'watch' && e.runId === runId);
  };
  try {
    // The first watcher crashes; its replacement backs up split 0.
    crashing = 1;
    const first = await stalledRun();
    assert.deepEqual(
      (await watchThroughLambda(first)).map((e) => e.restarts),
      [undefined, 1],
    );
    assert.deepEqual(
      launched.map((e) => [e.runId, e.split.index, e.backup]),
      [[first, 0, true]],
    );
    assert.equal((await store.getRun(first))!.backups, 1);

    // Every watcher crashes: replaced `retries` times, then the run goes on without one; nothing fails.
    crashing = Infinity;
    const second = await stalledRun();
    assert.deepEqual(
      (await watchThroughLambda(second)).map((e) => e.restarts ?? 0),
      Array.from({ length: stragglerJob.retries + 1 }, (_, i) => i),
    );
    assert.equal(launched.filter((e) => e.runId === second).length, 0);
    assert.equal((await store.getRun(second))!.phase, 'map');
    assert.deepEqual(await listKeys('results', `stragglers/${second}/`), []);
  } finally {
    client.destroy();
    lambdaClient.destroy();
    process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
    restoreDefaultJob();
  }
});

test('a mapper that dies after recording its split is retried through the coordinator as the same owner and launches the split it claimed again; one that dies after ending the map phase starts the reducers again', async () => {
  const crashJob = {
    ...job,
    name: 'crashing',
    input: { bucket: 'corpus', prefix: 'crash/' },
    output: { bucket: 'results', prefix: 'crashing/' },
    temp: { bucket: 'results', prefix: 'crashing/_temporary/' },
    // Fewer mappers at once than splits: every split past the first two is launched by a completion.
    concurrency: 2,
  };
  process.env.MAPREDUCE_JOB = JSON.stringify(crashJob);
  const text = corpus().replace('fail-here', 'no failure this time');
  const splits = Math.ceil(Buffer.byteLength(text) / crashJob.chunkSize!);
  assert.ok(splits >= 5);
  // Split 0 finishes first and claims split 2 (the lowest not launched). Split 1 waits until split 0 has died,
  // so split 0's death, its duplicate and its retry all happen while split 1 still runs.
  let releaseSplit1!: () => void;
  const split0Died = new Promise<void>((resolve) => (releaseSplit1 = resolve));
  const gatedMap: Mapper<string, number> = async (record, emit, ctx) => {
    if (ctx.split.index === 1) await split0Died;
    for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
  };
  const mapper = createMapperHandler({ map: gatedMap, combine: count });
  const reducer = createReducerHandler({ reduce: count });
  // A mapper "dies" by throwing after its handler returned; what it invoked before dying is dropped at the
  // wire, as if never sent. The wire then sends Lambda's failure record to the coordinator, which retries.
  let droppedSuccessor = false;
  let diedAfterMapPhase = false;
  // Which split's completion ends the map phase depends on which mapper finishes last, not on its index.
  let endedMapPhase = -1;
  let droppedReducers = 0;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = (async (event: MapTaskEvent, context: never) => {
    if (event.split.index === 2 && !droppedSuccessor) {
      droppedSuccessor = true;
      return { dropped: true };
    }
    const result = (await mapper(event, context)) as { first?: boolean; done?: number };
    if (event.split.index === 0 && event.attempt === 1 && result.first) {
      // A duplicated event for split 0 (another request id) finds the launch of split 2 taken.
      await mapper(event, { awsRequestId: randomUUID() } as never);
      releaseSplit1();
      throw new Error('split 0 died after recording its completion');
    }
    if (result.first && result.done === splits && !diedAfterMapPhase) {
      diedAfterMapPhase = true;
      endedMapPhase = event.split.index;
      throw new Error('the last split died after ending the map phase');
    }
    return result;
  }) as never;
  handlers[env.MAPREDUCE_REDUCER_FUNCTION] = (async (event: never, context: never) => {
    // The first reducers launched, by the mapper that ended the map phase, are lost with it.
    if (droppedReducers < crashJob.reducers) {
      droppedReducers++;
      return { dropped: true };
    }
    return reducer(event, context);
  }) as never;
  try {
    const key = 'crash/text.txt';
    await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
    const coordinator = createCoordinatorHandler();
    const { started } = (await coordinator(
      uploadEvent(key, Buffer.byteLength(text), '"c0ffee"', '0062E5C1A1B2C3D4F3'),
      { awsRequestId: randomUUID() } as never,
    )) as { started: string[] };
    await lambda.quiescent();
    const runId = started[0]!;

    assert.ok(droppedSuccessor && diedAfterMapPhase);
    assert.equal(droppedReducers, crashJob.reducers);
    // Split 2 was launched twice (the first launch lost, then by split 0's retry, not by its duplicate),
    // every other split once; the two dead mappers were retried once each, as their first attempt's owner.
    const mapEvents = mapperEvents().filter((e): e is MapTaskEvent => e.kind === 'map' && e.runId === runId);
    const launchedSplits = mapEvents.filter((e) => e.attempt === 1).map((e) => e.split.index);
    const everySplit = Array.from({ length: splits }, (_, i) => i);
    assert.deepEqual(
      launchedSplits.sort((a, b) => a - b),
      [...everySplit, 2].sort((a, b) => a - b),
    );
    const retries = mapEvents.filter((e) => e.attempt === 2);
    assert.deepEqual(
      retries.map((e) => e.split.index).sort((a, b) => a - b),
      [0, endedMapPhase].sort((a, b) => a - b),
    );
    const failureRecords = lambda.invocations.filter(
      (i) =>
        i.fn === COORDINATOR_FUNCTION &&
        (i.payload as { requestPayload?: MapTaskEvent }).requestPayload?.runId === runId,
    );
    assert.equal(failureRecords.length, 2);
    assert.ok(failureRecords.every((i) => i.type === 'OnFailure'));
    for (const retry of retries) {
      const record = failureRecords.find(
        (i) =>
          (i.payload as { requestPayload: MapTaskEvent }).requestPayload.split.index === retry.split.index,
      )!.payload as { requestContext: { requestId: string } };
      assert.equal(retry.owner, record.requestContext.requestId);
    }
    const parts = await Promise.all(
      [0, 1, 2].map((r) => getText('results', `crashing/${runId}/part-0000${r}`)),
    );
    assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
    const report = JSON.parse(await getText('results', `crashing/${runId}/_SUCCESS.json`)) as RunReport;
    assert.equal(report.splits, splits);
    assert.equal(report.records.in, 601);
    assert.equal(report.retries.map, 2);
    assert.deepEqual(await listKeys('results', `crashing/_temporary/${runId}/`), []);
  } finally {
    process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
    handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map, combine: count }) as never;
    handlers[env.MAPREDUCE_REDUCER_FUNCTION] = createReducerHandler({ reduce: count }) as never;
  }
});

/**
 * A job of its own, under its own prefixes, deployed as fresh handlers (they read their job on first use); a test
 * may wrap its mapper or reducer.
 */
function deployJob(name: string, overrides: Partial<typeof job> = {}, mapFn: Mapper<string, number> = map) {
  const deployed = {
    ...job,
    name,
    input: { bucket: 'corpus', prefix: `${name}-in/` },
    output: { bucket: 'results', prefix: `${name}/` },
    temp: { bucket: 'results', prefix: `${name}/_temporary/` },
    ...overrides,
  };
  process.env.MAPREDUCE_JOB = JSON.stringify(deployed);
  const coordinator = createCoordinatorHandler();
  const mapper = createMapperHandler({ map: mapFn, combine: count });
  const reducer = createReducerHandler({ reduce: count });
  handlers[COORDINATOR_FUNCTION] = coordinator as never;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = mapper as never;
  handlers[env.MAPREDUCE_REDUCER_FUNCTION] = reducer as never;
  return {
    job: deployed,
    mapper,
    reducer,
    async upload(text: string, eTag: string): Promise<string> {
      const key = `${name}-in/text.txt`;
      await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
      const { started } = (await coordinator(
        uploadEvent(key, Buffer.byteLength(text), `"${eTag}"`, `00${eTag}`),
        { awsRequestId: randomUUID() } as never,
      )) as { started: string[] };
      await lambda.quiescent();
      return started[0]!;
    },
  };
}

/**
 * Uploads `text` to `key` and hands the coordinator its S3 event as S3 does, through Lambda's asynchronous
 * Invoke (so Lambda's retries and failure destination apply); returns the run id of that upload.
 */
async function uploadThroughLambda(key: string, text: string, eTag: string) {
  await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: text }));
  const size = Buffer.byteLength(text);
  const event = uploadEvent(key, size, `"${eTag}"`, `00${eTag}`);
  const client = new LambdaClient({ region: 'us-east-1', endpoint: lambda.endpoint });
  try {
    await client.send(
      new InvokeCommand({
        FunctionName: COORDINATOR_FUNCTION,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
  } finally {
    client.destroy();
  }
  await lambda.quiescent();
  return { event, runId: makeRunId({ bucket: 'corpus', key, etag: eTag, sequencer: `00${eTag}`, size }) };
}

function restoreDefaultJob(): void {
  process.env.MAPREDUCE_JOB = env.MAPREDUCE_JOB;
  process.env.MAPREDUCE_S3_ENDPOINT = s3rver.endpoint;
  handlers[COORDINATOR_FUNCTION] = createCoordinatorHandler() as never;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = createMapperHandler({ map, combine: count }) as never;
  handlers[env.MAPREDUCE_REDUCER_FUNCTION] = createReducerHandler({ reduce: count }) as never;
}

test('a slow split holds up no other: while it runs, the other mapper maps every later split', async () => {
  const text = corpus().replace('fail-here', 'no failure this time');
  const splits = Math.ceil(Buffer.byteLength(text) / job.chunkSize!);
  assert.ok(splits >= 5);
  const client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
  const store = new DynamoRunStore(client, env.MAPREDUCE_TABLE);
  // Split 0 waits (at most 30 s, for a loaded machine) until every other split is done: with a fixed
  // succession (split i launching i + concurrency) the splits after it would wait for it instead.
  let othersDoneFirst = false;
  const slowMap: Mapper<string, number> = async (record, emit, ctx) => {
    if (ctx.split.index === 0 && ctx.attempt === 1 && !othersDoneFirst) {
      for (let waited = 0; waited < 30_000; waited += 20) {
        if ((await store.getRun(ctx.runId))!.doneSplits === splits - 1) {
          othersDoneFirst = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
  };
  const deployed = deployJob('slowsplit', { concurrency: 2 }, slowMap);
  try {
    const runId = await deployed.upload(text, '510e');
    assert.ok(othersDoneFirst, 'the other splits finished while split 0 ran');
    // Every split launched once, and the result is right.
    const launched = mapperEvents()
      .filter((e): e is MapTaskEvent => e.kind === 'map' && e.runId === runId)
      .map((e) => e.split.index);
    assert.deepEqual(
      launched.sort((a, b) => a - b),
      Array.from({ length: splits }, (_, i) => i),
    );
    const parts = await Promise.all(
      [0, 1, 2].map((r) => getText('results', `slowsplit/${runId}/part-0000${r}`)),
    );
    assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
  } finally {
    client.destroy();
    restoreDefaultJob();
  }
});

test('a mapper that Lambda reports failed on every attempt (a timeout) fails the run with _FAILED.json instead of stalling it', async () => {
  const deployed = deployJob('timeouts', { retries: 1 });
  // Split 1 never finishes: Lambda ends it at its timeout, and the handler never gets to say so.
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = (async (event: MapTaskEvent, context: never) => {
    if (event.kind === 'map' && event.split.index === 1) {
      const error = new Error('Task timed out after 300.00 seconds');
      error.name = 'Sandbox.Timedout';
      throw error;
    }
    return deployed.mapper(event, context);
  }) as never;
  try {
    const runId = await deployed.upload(corpus().replace('fail-here', 'no failure'), 'a1a1');
    assert.deepEqual(await listKeys('results', `timeouts/${runId}/`), [`timeouts/${runId}/_FAILED.json`]);
    const failed = JSON.parse(await getText('results', `timeouts/${runId}/_FAILED.json`)) as FailureReport;
    assert.equal(failed.phase, 'map');
    assert.equal(failed.split?.index, 1);
    // The first attempt and the one retry `retries: 1` allows, each run once: Lambda itself retries nothing.
    assert.equal(failed.attempts, 2);
    assert.equal(failed.error.name, 'Sandbox.Timedout');
    assert.match(
      failed.error.message,
      /^the mapper invocation [0-9a-f-]{36} failed \(RetriesExhausted\): Task timed out after 300\.00 seconds$/,
    );
    const split1 = mapperEvents().filter(
      (e): e is MapTaskEvent => e.kind === 'map' && e.runId === runId && e.split.index === 1,
    );
    assert.deepEqual(
      split1.map((e) => e.attempt),
      [1, 2],
    );
    assert.ok((await listKeys('results', `timeouts/_temporary/${runId}/`)).length > 0);
  } finally {
    restoreDefaultJob();
  }
});

test('a reducer that dies while publishing is retried through the coordinator as the same owner and publishes', async () => {
  // `_SUCCESS.json`'s first PUT is refused: the reducer that ended the reduce phase throws after the
  // transition, which only a retry under its owner may carry on.
  const proxy = await startFaultProxy(s3rver.endpoint, (req) =>
    req.method === 'PUT' && req.url?.split('?')[0]?.endsWith('/_SUCCESS.json') && !proxy.faulted.length
      ? s3ErrorFault(403, 'AccessDenied', 'Access Denied')
      : undefined,
  );
  process.env.MAPREDUCE_S3_ENDPOINT = proxy.endpoint;
  const deployed = deployJob('publishing');
  try {
    const text = corpus().replace('fail-here', 'no failure');
    const runId = await deployed.upload(text, 'b2b2');
    assert.equal(proxy.faulted.length, 1);
    assert.match(proxy.faulted[0]!, new RegExp(`^PUT /results/publishing/${runId}/_SUCCESS\\.json`));
    const report = JSON.parse(await getText('results', `publishing/${runId}/_SUCCESS.json`)) as RunReport;
    assert.equal(report.retries.reduce, 1);
    const parts = await Promise.all(
      [0, 1, 2].map((r) => getText('results', `publishing/${runId}/part-0000${r}`)),
    );
    assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
    const retries = lambda.invocations
      .filter((i) => i.fn === env.MAPREDUCE_REDUCER_FUNCTION)
      .map((i) => i.payload as ReduceTaskEvent)
      .filter((e) => e.runId === runId && e.attempt === 2);
    assert.equal(retries.length, 1);
    assert.ok(retries[0]!.owner);
    assert.deepEqual(await listKeys('results', `publishing/_temporary/${runId}/`), []);
  } finally {
    await proxy.close();
    restoreDefaultJob();
  }
});

test('with no retries left, a mapper that dies after ending the map phase fails the run instead of leaving it stuck before the reducers', async () => {
  const deployed = deployJob('handoff', { retries: 0 });
  const splits = Math.ceil(Buffer.byteLength(corpus()) / deployed.job.chunkSize!);
  let died = false;
  handlers[env.MAPREDUCE_MAPPER_FUNCTION] = (async (event: MapTaskEvent, context: never) => {
    const result = (await deployed.mapper(event, context)) as { first?: boolean; done?: number };
    if (result.first && result.done === splits && !died) {
      died = true;
      throw new Error('died before starting the reducers');
    }
    return result;
  }) as never;
  // The reducers it launched before dying are lost with it, as if never sent.
  let dropped = 0;
  handlers[env.MAPREDUCE_REDUCER_FUNCTION] = (async (event: ReduceTaskEvent, context: never) => {
    if (dropped < deployed.job.reducers) {
      dropped++;
      return { dropped: true };
    }
    return deployed.reducer(event, context);
  }) as never;
  try {
    const runId = await deployed.upload(corpus(), 'c3c3');
    assert.ok(died);
    assert.equal(dropped, deployed.job.reducers);
    assert.deepEqual(await listKeys('results', `handoff/${runId}/`), [`handoff/${runId}/_FAILED.json`]);
    const failed = JSON.parse(await getText('results', `handoff/${runId}/_FAILED.json`)) as FailureReport;
    assert.equal(failed.phase, 'map');
    assert.equal(failed.attempts, 1);
    assert.match(failed.error.message, /died before starting the reducers/);
  } finally {
    restoreDefaultJob();
  }
});

test('an input overwritten after its run started fails the run at once, saying so, instead of retrying reads that cannot succeed', async () => {
  // S3 answers a GET pinned to the old ETag with 412 once the object was overwritten (s3rver does not check
  // If-Match, so a proxy in front of it plays S3's answer for this one key).
  const proxy = await startFaultProxy(s3rver.endpoint, (req) =>
    req.method === 'GET' && req.url?.startsWith('/corpus/changed-in/') && req.headers['if-match']
      ? s3ErrorFault(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        )
      : undefined,
  );
  process.env.MAPREDUCE_S3_ENDPOINT = proxy.endpoint;
  const deployed = deployJob('changed', { retries: 2 });
  try {
    const runId = await deployed.upload(corpus(), 'd4d4');
    const failed = JSON.parse(await getText('results', `changed/${runId}/_FAILED.json`)) as FailureReport;
    assert.equal(failed.phase, 'map');
    assert.equal(failed.attempts, 1);
    assert.equal(
      failed.error.message,
      's3://corpus/changed-in/text.txt changed after the run started (its ETag is no longer "d4d4"); this run cannot finish: the new upload starts its own run',
    );
    // No split was sent again: the first failure ended the run.
    assert.ok(
      mapperEvents().every((e) => e.kind !== 'map' || e.runId !== runId || e.attempt === 1),
      'no retries',
    );
    assert.equal(
      await listKeys('results', `changed/${runId}/`).then((k) =>
        k.includes(`changed/${runId}/_SUCCESS.json`),
      ),
      false,
    );
  } finally {
    await proxy.close();
    restoreDefaultJob();
  }
});

test('in Lambda, a map or reduce task first removes the files a dead invocation left in /tmp; elsewhere it leaves them', async () => {
  // A temp folder of this test's own: other test files run tasks in the machine's /tmp at the same time.
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'mr-tmp-'));
  const stale = join(tmpdir(), 'mapreduce', 'dead-run', 'map-0-dead-request');
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, 'part-00000'), 'left by an invocation that timed out');
  const mapper = createMapperHandler({ map, combine: count });
  const reducer = createReducerHandler({ reduce: count });
  const mapTask = {
    kind: 'map',
    runId: 'no-such-run',
    input: { bucket: 'corpus', key: 'none.txt', size: 1 },
    split: { index: 0, start: 0, end: 1 },
    attempt: 1,
  };
  const reduceTask = { kind: 'reduce', runId: 'no-such-run', partition: 0, attempt: 1 };
  const context = () => ({ awsRequestId: randomUUID() }) as never;
  try {
    await mapper(mapTask as never, context());
    assert.ok(existsSync(stale), 'outside Lambda nothing is removed');
    process.env.AWS_LAMBDA_FUNCTION_NAME = env.MAPREDUCE_MAPPER_FUNCTION;
    await mapper(mapTask as never, context());
    assert.ok(!existsSync(stale));
    mkdirSync(stale, { recursive: true });
    await reducer(reduceTask as never, context());
    assert.ok(!existsSync(stale));
  } finally {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    rmSync(process.env.TMPDIR, { recursive: true, force: true });
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
  }
});

test('an upload whose coordinator fails on every Lambda retry gets _FAILED.json from the mapper function, and no run later', async () => {
  deployJob('unstarted');
  // The coordinator cannot write the run table (say, a policy denies it) however often Lambda retries it.
  let attempts = 0;
  handlers[COORDINATOR_FUNCTION] = (async () => {
    attempts++;
    const error = new Error('User is not authorized to perform: dynamodb:PutItem');
    error.name = 'AccessDeniedException';
    throw error;
  }) as never;
  try {
    const key = 'unstarted-in/text.txt';
    const text = corpus();
    const { event, runId } = await uploadThroughLambda(key, text, 'e5e5');
    assert.equal(attempts, 3);
    assert.deepEqual(await listKeys('results', `unstarted/${runId}/`), [`unstarted/${runId}/_FAILED.json`]);
    const failed = JSON.parse(await getText('results', `unstarted/${runId}/_FAILED.json`)) as FailureReport;
    assert.equal(failed.phase, 'start');
    assert.equal(failed.attempts, 3);
    assert.equal(failed.error.name, 'AccessDeniedException');
    assert.match(
      failed.error.message,
      /^the coordinator invocation [0-9a-f-]{36} failed \(RetriesExhausted\): User is not authorized to perform: dynamodb:PutItem$/,
    );
    assert.deepEqual(failed.input, { bucket: 'corpus', key, size: Buffer.byteLength(text), etag: 'e5e5' });
    // The run is failed in the table: the same event once the coordinator works again starts nothing.
    handlers[COORDINATOR_FUNCTION] = createCoordinatorHandler() as never;
    const again = (await (handlers[COORDINATOR_FUNCTION] as WireHandler)(
      event as never,
      { awsRequestId: randomUUID() } as never,
    )) as { started: string[] };
    assert.deepEqual(again.started, []);
    await lambda.quiescent();
    assert.deepEqual(await listKeys('results', `unstarted/${runId}/`), [`unstarted/${runId}/_FAILED.json`]);
  } finally {
    restoreDefaultJob();
  }
});

test('a coordinator that fails on every retry after launching its run in full leaves that run going to its result', async () => {
  const deployed = deployJob('launched');
  const coordinator = createCoordinatorHandler();
  let attempts = 0;
  // It launches everything, then fails (say, on a later record): Lambda retries it with the same request id.
  handlers[COORDINATOR_FUNCTION] = (async (event: never, context: never) => {
    attempts++;
    await coordinator(event, context);
    throw new Error('failed after launching');
  }) as never;
  try {
    const text = corpus().replace('fail-here', 'no failure');
    const { runId } = await uploadThroughLambda('launched-in/text.txt', text, 'f6f6');
    assert.equal(attempts, 3);
    const parts = await Promise.all(
      Array.from({ length: deployed.job.reducers }, (_, r) =>
        getText('results', `launched/${runId}/part-0000${r}`),
      ),
    );
    assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
    const report = JSON.parse(await getText('results', `launched/${runId}/_SUCCESS.json`)) as RunReport;
    assert.equal(report.records.in, 601);
    assert.ok(!(await listKeys('results', `launched/${runId}/`)).includes(`launched/${runId}/_FAILED.json`));
  } finally {
    restoreDefaultJob();
  }
});
