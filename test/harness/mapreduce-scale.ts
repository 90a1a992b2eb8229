// One mapreduce run of many splits at the wire, counted: the real handlers, S3 on s3rver and run state on dynalite
// behind counting proxies, Lambda's async Invoke answered in this process. Shared by the scale test (npm test)
// and the scale benchmark (npm run bench, BENCH_ONLY=scale).
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createRunTable } from '../../plugins/mapreduce/test/run-table';
import { testJob } from '../../plugins/mapreduce/test/reference';
import {
  createCoordinatorHandler,
  createMapperHandler,
  createReducerHandler,
} from '../../plugins/mapreduce/src/runtime/handlers';
import { runLayout } from '../../plugins/mapreduce/src/runtime/state-run-store';
import type { Mapper, Reducer, RunReport } from '../../plugins/mapreduce/src/runtime/types';
import { startCountingProxy, type CountingProxy, type CountingProxyOptions } from './counting-proxy';
import { startLambdaWire, type LambdaWire } from './lambda-wire';
import { startDynalite, startS3rver, s3ClientConfig, type LocalService } from './services';

export interface ScaleOptions {
  splits: number;
  reducers?: number;
  /** The job's `concurrency`: map tasks at once. */
  concurrency?: number;
  /** A share of DynamoDB (and S3) requests answered with a throttle. */
  throttle?: { dynamodb?: number; s3?: number };
  /** Hand the coordinator the upload's event twice (S3 delivers at least once). */
  duplicateEvent?: boolean;
  /** The map fails once on the record `fail-once`, which the input then holds: its task is retried. */
  failOnce?: boolean;
  /** S3 faults, by operation (the clean-up's DeleteObjects, say). */
  s3Fail?: CountingProxyOptions['fail'];
}

export interface ScaleRun {
  runId: string;
  text: string;
  report: RunReport | undefined;
  failed: boolean;
  /** Keys left under the run's temporary prefix, and its output keys. */
  temporary: string[];
  output: string[];
  parts: string[];
  wallMs: number;
  coordinatorCalls: number;
  s3: CountingProxy;
  dynamodb: CountingProxy;
  lambda: LambdaWire;
  /** Every JSON log line the handlers wrote. */
  logs: Array<{ message: string } & Record<string, unknown>>;
}

const BUCKET = 'scale';
const JOB = 'scale';
const CHUNK = 256;

/** A text of `splits` chunks of `CHUNK` bytes (lines of 63 bytes and a newline), words drawn from a small set. */
export function scaleText(splits: number, failOnce: boolean): string {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
  const lines: string[] = [];
  for (let i = 0; i < splits * 4; i++) {
    let line = '';
    for (let j = 0; line.length < 56; j++) line += `${words[(i * 7 + j * 3) % words.length]} `;
    lines.push(line.padEnd(63, 'x'));
  }
  if (failOnce) lines[Math.floor(lines.length / 2)] = 'fail-once'.padEnd(63, ' ');
  return `${lines.join('\n')}\n`;
}

/** Starts the services, runs one upload to its end, and returns what was counted (services still running). */
export async function runAtScale(options: ScaleOptions): Promise<ScaleRun & { close(): Promise<void> }> {
  const services: LocalService[] = [];
  const [s3rver, dynalite] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startDynalite()]);
  services.push(s3rver, dynalite);
  const table = 'scale-runs';
  await createRunTable(dynalite.endpoint, table);
  const s3 = await startCountingProxy('s3', s3rver.endpoint, {
    ...(options.throttle?.s3 ? { throttle: options.throttle.s3 } : {}),
    ...(options.s3Fail ? { fail: options.s3Fail } : {}),
  });
  const dynamodb = await startCountingProxy('dynamodb', dynalite.endpoint, {
    ...(options.throttle?.dynamodb ? { throttle: options.throttle.dynamodb } : {}),
  });
  const job = testJob({
    name: JOB,
    input: { bucket: BUCKET, prefix: 'in/' },
    output: { bucket: BUCKET, prefix: 'out/' },
    temp: { bucket: BUCKET, prefix: 'out/_temporary/' },
    chunkSize: CHUNK,
    reducers: options.reducers ?? 4,
    concurrency: options.concurrency ?? 50,
    retries: 2,
  });
  const names = { coordinator: 'scale-coordinator', mapper: 'scale-mapper', reducer: 'scale-reducer' };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    MAPREDUCE_JOB: JSON.stringify(job),
    MAPREDUCE_TABLE: table,
    MAPREDUCE_MAPPER_FUNCTION: names.mapper,
    MAPREDUCE_REDUCER_FUNCTION: names.reducer,
    MAPREDUCE_S3_ENDPOINT: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
  });
  let failedOnce = false;
  const map: Mapper<string, number> = (record, emit) => {
    if (record.startsWith('fail-once') && !failedOnce) {
      failedOnce = true;
      throw new Error('injected transient failure');
    }
    for (const w of record.match(/[a-z]+/g) ?? []) emit(w, 1);
  };
  const count: Reducer<string, number> = (_key, values) => values.reduce((a, b) => a + b, 0);
  const taskConfig = { maximumRetryAttempts: 0, onFailure: names.coordinator };
  const lambda = await startLambdaWire(
    {
      [names.coordinator]: createCoordinatorHandler() as never,
      [names.mapper]: createMapperHandler({ map, combine: count }) as never,
      [names.reducer]: createReducerHandler({ reduce: count }) as never,
    },
    {
      [names.mapper]: taskConfig,
      [names.reducer]: taskConfig,
      [names.coordinator]: { onFailure: names.mapper },
    },
  );
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
  const client = new S3Client(s3ClientConfig(s3rver.endpoint));
  const text = scaleText(options.splits, options.failOnce ?? false);
  const key = 'in/text.txt';
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
  const size = Buffer.byteLength(text);
  const event = {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key, size, eTag: '"5ca1e"', sequencer: '005CA1E' } },
      },
    ],
  };

  const logs: ScaleRun['logs'] = [];
  const log = console.log;
  console.log = (line: unknown) => {
    try {
      logs.push(JSON.parse(String(line)) as ScaleRun['logs'][number]);
    } catch {
      log(line);
    }
  };
  const coordinator = createCoordinatorHandler();
  const started = Date.now();
  let runId: string;
  try {
    const first = (await coordinator(event, { awsRequestId: randomUUID() } as never)) as {
      started: string[];
    };
    if (options.duplicateEvent) await coordinator(event, { awsRequestId: randomUUID() } as never);
    runId = first.started[0]!;
    await lambda.quiescent();
  } finally {
    console.log = log;
  }
  const wallMs = Date.now() - started;

  const list = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  };
  const get = async (k: string): Promise<string> =>
    (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))).Body!.transformToString('utf8');
  const output = (await list(`out/${runId}/`)).filter((k) => !k.includes('/_temporary/'));
  const temporary = await list(`out/_temporary/${runId}/`);
  const successKey = `out/${runId}/_SUCCESS.json`;
  const report = output.includes(successKey) ? (JSON.parse(await get(successKey)) as RunReport) : undefined;
  const parts = await Promise.all(output.filter((k) => k.includes('/part-')).map(get));
  return {
    runId,
    text,
    report,
    failed: output.includes(`out/${runId}/_FAILED.json`),
    temporary,
    output,
    parts,
    wallMs,
    coordinatorCalls: options.duplicateEvent ? 2 : 1,
    s3,
    dynamodb,
    lambda,
    logs,
    async close() {
      client.destroy();
      await lambda.close();
      await Promise.all([s3.close(), dynamodb.close()]);
      await Promise.all(services.map((s) => s.close()));
    },
  };
}

/** What one run cost per split, as counted at the wire. */
export function perSplit(run: ScaleRun, splits: number) {
  const by = (proxy: CountingProxy, service: string) =>
    Object.fromEntries([...proxy.requests].sort().map(([op, n]) => [`${service} ${op}`, n / splits]));
  const lambda: Record<string, number> = {};
  for (const i of run.lambda.invocations) lambda[`lambda ${i.fn}`] = (lambda[`lambda ${i.fn}`] ?? 0) + 1;
  const busiestPartition = [...run.dynamodb.writeUnitsByPartition].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const busiestItem = [...run.dynamodb.writesByItem].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return {
    requests: {
      ...by(run.s3, 's3'),
      ...by(run.dynamodb, 'dynamodb'),
      ...Object.fromEntries(Object.entries(lambda).map(([k, n]) => [k, n / splits])),
    },
    dynamoUnits: { read: run.dynamodb.units.read / splits, write: run.dynamodb.units.write / splits },
    busiestPartition: { key: busiestPartition[0], writeUnitsPerSplit: busiestPartition[1] / splits },
    busiestItem: { key: busiestItem[0], writes: busiestItem[1] },
    layout: runLayout(splits),
  };
}

/** The counted requests and units beside the `_SUCCESS.json` estimate's, by what the estimate names. */
export function countedBesideEstimate(run: ScaleRun) {
  const cost = run.report!.cost;
  const s3 = (...ops: string[]) => ops.reduce((n, op) => n + (run.s3.requests.get(op) ?? 0), 0);
  const dynamo = (...ops: string[]) => ops.reduce((n, op) => n + (run.dynamodb.requests.get(op) ?? 0), 0);
  return {
    's3 get': { counted: s3('GetObject'), estimated: cost.s3Requests.get },
    's3 head': { counted: s3('HeadObject'), estimated: cost.s3Requests.head },
    's3 put': {
      counted: s3('PutObject', 'UploadPart', 'CreateMultipartUpload', 'CompleteMultipartUpload'),
      estimated: cost.s3Requests.put,
    },
    's3 delete': { counted: s3('DeleteObjects', 'DeleteObject'), estimated: cost.s3Requests.delete },
    'dynamodb read requests': { counted: dynamo('GetItem', 'Query'), estimated: cost.dynamoRequests.read },
    'dynamodb write requests': {
      counted: dynamo('PutItem', 'UpdateItem'),
      estimated: cost.dynamoRequests.write,
    },
    'dynamodb read units': { counted: run.dynamodb.units.read, estimated: cost.dynamoUnits.read },
    'dynamodb write units': { counted: run.dynamodb.units.write, estimated: cost.dynamoUnits.write },
    // The coordinator's invocations were direct calls, not through the wire.
    'lambda requests': {
      counted: run.lambda.invocations.length + run.coordinatorCalls,
      estimated: cost.lambdaRequests,
    },
  };
}
