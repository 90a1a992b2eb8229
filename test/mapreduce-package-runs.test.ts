// What `sls package` produces actually runs: the packaged role zips, with the environment the template gives
// them, turn an upload into the reference word count. S3 is s3rver, the run table dynalite, and Lambda's
// async Invoke is answered at the wire by a loopback server that runs the packaged mapper/reducer bundles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { startDynalite, startS3rver, s3ClientConfig, type LocalService } from './harness/services';
import { invokeConfigsOf, startLambdaWire, type LambdaWire } from './harness/lambda-wire';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { referenceWordCount, sampleText } from '../plugins/mapreduce/test/cli';
import { parseTsvLine } from '../plugins/mapreduce/src/runtime/tsv';
import { readZipEntry } from './harness/zip';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');
type Handler = (event: unknown, context: { awsRequestId: string }) => Promise<unknown>;
type Loose = { Properties: Record<string, unknown> };

let s3rver: LocalService;
let dynalite: LocalService;
let lambda: LambdaWire;
let s3: S3Client;
const handlers: Record<string, Handler> = {};
let coordinator: Handler;

function fn(template: CfnTemplate, role: string): Record<string, unknown> {
  return (template.Resources[`WordcountDashmrDash${role}LambdaFunction`] as unknown as Loose).Properties;
}

before(async () => {
  const { template, dir } = await packageService(FIXTURE, 'osls', {
    // Fewer mappers at once than splits: completions launch the later splits.
    env: { MR_WORDCOUNT_CHUNK: '64KB', MR_WORDCOUNT_CONCURRENCY: '3' },
  });
  validateTemplate(template);
  [s3rver, dynalite] = await Promise.all([
    startS3rver({ buckets: ['corpus-bucket', 'results-bucket'] }),
    startDynalite(),
  ]);
  s3 = new S3Client(s3ClientConfig(s3rver.endpoint));

  // The environment exactly as the template gives it, with the table's Ref resolved to its name.
  const variables = (fn(template, 'mapper').Environment as unknown as { Variables: Record<string, unknown> })
    .Variables;
  const table = (template.Resources.WordcountMapreduceRunTable as unknown as Loose).Properties
    .TableName as string;
  assert.deepEqual(variables.MAPREDUCE_TABLE, { Ref: 'WordcountMapreduceRunTable' });
  assert.equal((JSON.parse(variables.MAPREDUCE_JOB as string) as { concurrency: number }).concurrency, 3);
  await createRunTable(dynalite.endpoint, table);

  // Lambda's async behaviour as the template configures it: the mapper's and reducer's failures go to the coordinator.
  lambda = await startLambdaWire(handlers, invokeConfigsOf(template));
  Object.assign(process.env, {
    ...(variables as Record<string, string>),
    MAPREDUCE_TABLE: table,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    MAPREDUCE_S3_ENDPOINT: s3rver.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
  });

  // The packaged artifacts, loaded as Lambda loads them: `index.handler` from each zip.
  const load = (role: string): Handler => {
    const file = join(dir, `packaged-${role}.js`);
    writeFileSync(
      file,
      readZipEntry(readFileSync(join(dir, '.serverless', 'mapreduce', `wordcount-${role}.zip`)), 'index.js')!,
    );
    return (require(file) as { handler: Handler }).handler;
  };
  coordinator = load('coordinator');
  handlers[fn(template, 'coordinator').FunctionName as string] = coordinator;
  handlers[fn(template, 'mapper').FunctionName as string] = load('mapper');
  handlers[fn(template, 'reducer').FunctionName as string] = load('reducer');
});

after(async () => {
  s3?.destroy();
  await lambda?.close();
  await Promise.all([s3rver?.close(), dynalite?.close()]);
});

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');
}

/** Uploads `corpus` to `key`, hands the packaged coordinator its S3 event, and waits until the run is quiet. */
async function uploadAndRun(corpus: string, key: string, eTag: string): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: 'corpus-bucket', Key: key, Body: corpus }));
  const size = Buffer.byteLength(corpus);
  const object = { key, size, eTag: `"${eTag}"`, sequencer: `00${eTag}` };
  const event = {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'corpus-bucket' }, object },
      },
    ],
  };
  const outcome = (await coordinator(event, { awsRequestId: randomUUID() })) as { started: string[] };
  assert.equal(outcome.started.length, 1);
  await lambda.quiescent();
  return outcome.started[0]!;
}

/** The run's objects, and the word counts of its TSV parts. */
async function runResult(runId: string): Promise<{ keys: string[]; counts: Map<string, number> }> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: 'results-bucket', Prefix: `wordcount/${runId}/` }),
  );
  const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
  const counts = new Map<string, number>();
  for (const part of keys.filter((k) => /part-\d{5}$/.test(k))) {
    for (const line of (await text('results-bucket', part)).split('\n').filter(Boolean)) {
      const [word, n] = parseTsvLine(line);
      counts.set(word!, Number(n));
    }
  }
  return { keys, counts: new Map([...counts].sort()) };
}

const reference = (corpus: string) => new Map([...referenceWordCount(corpus)].sort());

test('an upload under the input prefix, through the packaged functions, gives the reference word count', async () => {
  const corpus = sampleText(20_000);
  const runId = await uploadAndRun(corpus, 'texts/2026/sample.txt', 'abc');
  const { keys, counts } = await runResult(runId);
  assert.equal(keys.length, 9, keys.join(', '));
  assert.deepEqual(counts, reference(corpus));
  const report = JSON.parse(await text('results-bucket', `wordcount/${runId}/_SUCCESS.json`));
  assert.equal(report.splits, Math.ceil(Buffer.byteLength(corpus) / (64 * 1024)));
  assert.ok(report.splits > 3, `${report.splits} splits`);
  assert.equal(report.reducers, 8);
});

test('a packaged mapper that times out once is retried by the packaged coordinator, its failure destination', async () => {
  const before = lambda.invocations.length;
  const mapperName = Object.keys(handlers).find((name) => name.endsWith('-mapper'))!;
  const packagedMapper = handlers[mapperName]!;
  let timedOut = 0;
  handlers[mapperName] = async (event, context) => {
    const task = event as { kind: string; split?: { index: number }; attempt?: number };
    if (task.kind === 'map' && task.split?.index === 1 && task.attempt === 1) {
      timedOut++;
      throw Object.assign(new Error('Task timed out after 300.00 seconds'), { name: 'Sandbox.Timedout' });
    }
    return packagedMapper(event, context);
  };
  try {
    const corpus = sampleText(5_000);
    const runId = await uploadAndRun(corpus, 'texts/2026/timeout.txt', 'def');
    assert.equal(timedOut, 1);
    const delivered = lambda.invocations.slice(before).filter((i) => i.type === 'OnFailure');
    assert.equal(delivered.length, 1);
    assert.match(delivered[0]!.fn, /-wordcount-mr-coordinator$/);
    const report = JSON.parse(await text('results-bucket', `wordcount/${runId}/_SUCCESS.json`));
    assert.equal(report.retries.map, 1);
    assert.deepEqual((await runResult(runId)).counts, reference(corpus));
  } finally {
    handlers[mapperName] = packagedMapper;
  }
});
