// The roles `sls package` gives a mapreduce job are enough, and no more than what runs: the packaged coordinator,
// mapper and reducer run against s3rver, dynalite and the Lambda wire through proxies that check every S3,
// DynamoDB and Lambda request against the policy of the role the function runs with in the template.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService } from './harness/sls';
import { startDynalite, startS3rver, s3ClientConfig, type LocalService } from './harness/services';
import { invokeConfigsOf, startLambdaWire, type LambdaWire } from './harness/lambda-wire';
import {
  allows,
  asRole,
  iamCheck,
  roleStatements,
  tagRequestsWithRole,
  type IamCheck,
} from './harness/iam-check';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { sampleText } from '../plugins/mapreduce/test/cli';
import { readZipEntry } from './harness/zip';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');
const ROLES = ['coordinator', 'mapper', 'reducer'] as const;
type Role = (typeof ROLES)[number];
type Handler = (event: unknown, context: { awsRequestId: string }) => Promise<unknown>;
type Loose = { Properties: Record<string, unknown> };

let template: CfnTemplate;
let s3rver: LocalService;
let dynalite: LocalService;
let lambda: LambdaWire;
let iam: IamCheck;
let s3: S3Client;
let lambdaEndpoint: string;
const handlers: Record<string, Handler> = {};
const packaged = {} as Record<Role, Handler>;
const names = {} as Record<Role, string>;

function fn(role: Role): Record<string, unknown> {
  return (template.Resources[`WordcountDashmrDash${role}LambdaFunction`] as unknown as Loose).Properties;
}

/** The role a function runs with, as the template says (`Role: { Fn::GetAtt: [<id>, Arn] }`). */
function roleOf(role: Role): string {
  return (fn(role).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

before(async () => {
  // Fewer mappers at once than splits: completions launch the later splits.
  const packagedService = await packageService(FIXTURE, 'osls', {
    env: { MR_WORDCOUNT_CHUNK: '64KB', MR_WORDCOUNT_CONCURRENCY: '3' },
  });
  template = packagedService.template;
  const dir = packagedService.dir;
  [s3rver, dynalite] = await Promise.all([
    startS3rver({ buckets: ['corpus-bucket', 'results-bucket'] }),
    startDynalite(),
  ]);
  s3 = new S3Client(s3ClientConfig(s3rver.endpoint));
  const table = (template.Resources.WordcountMapreduceRunTable as unknown as Loose).Properties
    .TableName as string;
  await createRunTable(dynalite.endpoint, table);

  iam = iamCheck(Object.fromEntries(ROLES.map((role) => [role, roleStatements(template, roleOf(role))])));
  lambda = await startLambdaWire(handlers, invokeConfigsOf(template));
  const [s3Proxy, dynamoProxy, lambdaProxy] = await Promise.all([
    iam.proxy('s3', s3rver.endpoint),
    iam.proxy('dynamodb', dynalite.endpoint),
    iam.proxy('lambda', lambda.endpoint),
  ]);
  lambdaEndpoint = lambdaProxy;
  const variables = (fn('mapper').Environment as { Variables: Record<string, string> }).Variables;
  Object.assign(process.env, {
    ...variables,
    MAPREDUCE_TABLE: table,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    MAPREDUCE_S3_ENDPOINT: s3Proxy,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy,
    AWS_ENDPOINT_URL_LAMBDA: lambdaProxy,
  });

  // Before the bundles load, so that their own SDK copies send through the tagging `http.request`.
  tagRequestsWithRole();
  for (const role of ROLES) {
    const file = join(dir, `iam-packaged-${role}.js`);
    writeFileSync(
      file,
      readZipEntry(readFileSync(join(dir, '.serverless', 'mapreduce', `wordcount-${role}.zip`)), 'index.js')!,
    );
    packaged[role] = (require(file) as { handler: Handler }).handler;
    names[role] = fn(role).FunctionName as string;
    handlers[names[role]] = (event, context) => asRole(role, () => packaged[role](event, context));
  }
});

after(async () => {
  s3?.destroy();
  await iam?.close();
  await lambda?.close();
  await Promise.all([s3rver?.close(), dynalite?.close()]);
});

function s3Event(key: string, object: Record<string, unknown>) {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'corpus-bucket' }, object: { key, ...object } },
      },
    ],
  };
}

async function coordinate(event: unknown): Promise<{ started: string[] }> {
  const outcome = (await asRole('coordinator', () =>
    packaged.coordinator(event, { awsRequestId: randomUUID() }),
  )) as { started: string[] };
  await lambda.quiescent();
  return outcome;
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new GetObjectCommand({ Bucket: 'results-bucket', Key: key }));
    return true;
  } catch {
    return false;
  }
}

function actionsOf(role: Role): string[] {
  return [...new Set(iam.seen.filter((r) => r.role === role).map((r) => r.action))].sort();
}

test('the checker refuses what a role lacks: the mapper’s role writes no part', () => {
  const mapper = roleStatements(template, roleOf('mapper'));
  const part = 'arn:aws:s3:::results-bucket/wordcount/run-1/part-00000';
  assert.equal(allows(mapper, { action: 's3:PutObject', resource: part }), false);
  assert.equal(
    allows(roleStatements(template, roleOf('reducer')), { action: 's3:PutObject', resource: part }),
    true,
  );
});

test('each on-failure destination is invokable with the role of the function whose records it gets', () => {
  const configs = invokeConfigsOf(template);
  const roleByName = Object.fromEntries(ROLES.map((role) => [names[role], role]));
  const destinations = Object.entries(configs).filter(([name, c]) => c.onFailure && roleByName[name]);
  assert.equal(destinations.length, 3);
  for (const [source, { onFailure }] of destinations) {
    const statements = roleStatements(template, roleOf(roleByName[source]!));
    const resource = `arn:aws:lambda:us-east-1:123456789012:function:${onFailure}`;
    assert.ok(allows(statements, { action: 'lambda:InvokeFunction', resource }), `${source} -> ${onFailure}`);
  }
});

test('a whole run (the coordinator reading the upload’s size itself) needs nothing its roles lack', async () => {
  const corpus = sampleText(8_000);
  await s3.send(new PutObjectCommand({ Bucket: 'corpus-bucket', Key: 'texts/iam/a.txt', Body: corpus }));
  const { started } = await coordinate(s3Event('texts/iam/a.txt', { eTag: '"a1"', sequencer: '00a1' }));
  assert.equal(started.length, 1);
  assert.ok(await exists(`wordcount/${started[0]}/_SUCCESS.json`));
  assert.deepEqual(iam.violations, []);
  // Every role was checked, on the actions its statements exist for (the coordinator reads a run only on a retry;
  // the mapper that ends the map phase reads the split stats, Query; the reducer's clean-up lists nothing).
  assert.deepEqual(actionsOf('coordinator'), [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'lambda:InvokeFunction',
    's3:GetObject',
  ]);
  assert.deepEqual(actionsOf('mapper'), [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'lambda:InvokeFunction',
    's3:GetObject',
    's3:PutObject',
  ]);
  assert.deepEqual(actionsOf('reducer'), [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    's3:DeleteObject',
    's3:GetObject',
    's3:PutObject',
  ]);
});

test('a mapper that dies once is retried as its owner, which lists the launches it claimed (Query), within its role', async () => {
  let died = 0;
  handlers[names.mapper] = (event, context) =>
    asRole('mapper', () => {
      const task = event as { kind?: string; split?: { index: number }; attempt?: number };
      if (task.kind === 'map' && task.split?.index === 0 && task.attempt === 1 && died++ === 0) {
        throw Object.assign(new Error('Task timed out after 300.00 seconds'), { name: 'Sandbox.Timedout' });
      }
      return packaged.mapper(event, context);
    });
  const before = iam.seen.length;
  try {
    const corpus = sampleText(3_000);
    await s3.send(new PutObjectCommand({ Bucket: 'corpus-bucket', Key: 'texts/iam/e.txt', Body: corpus }));
    const { started } = await coordinate(
      s3Event('texts/iam/e.txt', { size: Buffer.byteLength(corpus), eTag: '"e1"', sequencer: '00e1' }),
    );
    assert.equal(died, 1);
    assert.ok(await exists(`wordcount/${started[0]}/_SUCCESS.json`));
  } finally {
    handlers[names.mapper] = (event, context) => asRole('mapper', () => packaged.mapper(event, context));
  }
  assert.ok(iam.seen.slice(before).some((r) => r.role === 'mapper' && r.action === 'dynamodb:Query'));
  assert.ok(iam.seen.slice(before).some((r) => r.role === 'coordinator' && r.action === 'dynamodb:GetItem'));
  assert.deepEqual(iam.violations, []);
});

test('a mapper that dies on every attempt: the coordinator retries it and writes _FAILED.json within its role', async () => {
  const dying = (event: unknown, context: { awsRequestId: string }) => {
    const task = event as { kind?: string; split?: { index: number } };
    if (task.kind === 'map' && task.split?.index === 0) {
      throw Object.assign(new Error('Task timed out after 300.00 seconds'), { name: 'Sandbox.Timedout' });
    }
    return packaged.mapper(event, context);
  };
  handlers[names.mapper] = (event, context) => asRole('mapper', () => dying(event, context));
  try {
    const corpus = sampleText(3_000);
    await s3.send(new PutObjectCommand({ Bucket: 'corpus-bucket', Key: 'texts/iam/b.txt', Body: corpus }));
    const { started } = await coordinate(
      s3Event('texts/iam/b.txt', { size: Buffer.byteLength(corpus), eTag: '"b1"', sequencer: '00b1' }),
    );
    assert.ok(await exists(`wordcount/${started[0]}/_FAILED.json`));
  } finally {
    handlers[names.mapper] = (event, context) => asRole('mapper', () => packaged.mapper(event, context));
  }
  assert.deepEqual(iam.violations, []);
});

test('an input gone before the mapper reads it: the mapper writes _FAILED.json within its role', async () => {
  const { started } = await coordinate(
    s3Event('texts/iam/gone.txt', { size: 1000, eTag: '"c1"', sequencer: '00c1' }),
  );
  assert.ok(await exists(`wordcount/${started[0]}/_FAILED.json`));
  assert.deepEqual(iam.violations, []);
});

test('a coordinator that fails on every retry: its destination, the mapper, fails the upload’s run within its role', async () => {
  handlers[names.coordinator] = () =>
    asRole('coordinator', async () => {
      throw new Error('the coordinator crashed');
    });
  const before = iam.seen.length;
  try {
    const response = await fetch(
      `${lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(names.coordinator)}/invocations`,
      {
        method: 'POST',
        headers: { 'x-amz-invocation-type': 'Event' },
        body: JSON.stringify(s3Event('texts/iam/d.txt', { size: 10, eTag: '"d1"', sequencer: '00d1' })),
      },
    );
    assert.equal(response.status, 202);
    await lambda.quiescent();
  } finally {
    handlers[names.coordinator] = (event, context) =>
      asRole('coordinator', () => packaged.coordinator(event, context));
  }
  const failedWrites = iam.seen
    .slice(before)
    .filter((r) => r.action === 's3:PutObject' && r.resource.endsWith('/_FAILED.json'));
  assert.deepEqual(
    failedWrites.map((r) => r.role),
    ['mapper'],
  );
  assert.deepEqual(iam.violations, []);
});
