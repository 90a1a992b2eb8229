import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerlessService } from '@serverless-continuum/core/serverless';
import { resolveJob } from '../src/config';
import {
  compileFunctions,
  compileResources,
  inputBucketCreatedHere,
  jobStatements,
  roleEntry,
} from '../src/compile';
import { serviceWith, WORDCOUNT_MODULE } from './service-dir';

const ctx = { service: 'svc', stage: 'dev' };
const dir = serviceWith({ 'src/wordcount.ts': WORDCOUNT_MODULE });
const job = resolveJob(
  'wordcount',
  {
    input: 'corpus-bucket/texts/',
    output: 'results-bucket/wordcount/',
    map: 'src/wordcount.map',
    reduce: 'src/wordcount.reduce',
    combine: 'src/wordcount.reduce',
  },
  dir,
);
const functionsCtx = { ...ctx, runtime: 'nodejs20.x', inputBucketCreatedHere: false, existingFunctions: [] };

describe('compileFunctions', () => {
  const functions = compileFunctions(functionsCtx, job);

  test('adds a coordinator, a mapper and a reducer named after the job', () => {
    assert.deepEqual(Object.keys(functions), [
      'wordcount-mr-coordinator',
      'wordcount-mr-mapper',
      'wordcount-mr-reducer',
    ]);
    const mapper = functions['wordcount-mr-mapper']!;
    assert.equal(mapper.name, 'svc-dev-wordcount-mr-mapper');
    assert.equal(mapper.handler, 'index.handler');
    assert.equal(mapper.runtime, 'nodejs20.x');
    assert.equal(mapper.memorySize, 1769);
    assert.equal(mapper.timeout, 300);
    assert.equal(mapper.role, 'WordcountMapreduceRole');
    assert.deepEqual(mapper.package, {
      individually: true,
      artifact: '.serverless/mapreduce/wordcount-mapper.zip',
    });
  });

  test('passes the contract environment to every role', () => {
    const env = functions['wordcount-mr-reducer']!.environment!;
    assert.deepEqual(JSON.parse(env.MAPREDUCE_JOB as string), job.runtime);
    assert.deepEqual(env.MAPREDUCE_TABLE, { Ref: 'WordcountMapreduceRunTable' });
    assert.equal(env.MAPREDUCE_MAPPER_FUNCTION, 'svc-dev-wordcount-mr-mapper');
    assert.equal(env.MAPREDUCE_REDUCER_FUNCTION, 'svc-dev-wordcount-mr-reducer');
  });

  test('triggers only the coordinator, on objects created under the input prefix of an existing bucket', () => {
    assert.deepEqual(functions['wordcount-mr-coordinator']!.events, [
      {
        s3: {
          bucket: 'corpus-bucket',
          event: 's3:ObjectCreated:*',
          rules: [{ prefix: 'texts/' }],
          existing: true,
        },
      },
    ]);
    assert.deepEqual(functions['wordcount-mr-mapper']!.events, []);
  });

  test('sends uncaught mapper and reducer failures to the coordinator without Lambda retries, and the coordinator’s to the mapper', () => {
    for (const role of ['mapper', 'reducer']) {
      const fn = functions[`wordcount-mr-${role}`]!;
      assert.equal(fn.maximumRetryAttempts, 0, role);
      assert.deepEqual(fn.destinations, { onFailure: 'wordcount-mr-coordinator' }, role);
    }
    // The coordinator keeps Lambda's retries (a retry finishes launching its run), then goes to the mapper.
    const coordinator = functions['wordcount-mr-coordinator']!;
    assert.deepEqual(coordinator.destinations, { onFailure: 'wordcount-mr-mapper' });
    assert.equal(coordinator.maximumRetryAttempts, undefined);
  });

  test('uses the plain s3 event when this service creates the input bucket', () => {
    const created = compileFunctions({ ...functionsCtx, inputBucketCreatedHere: true }, job);
    assert.deepEqual(created['wordcount-mr-coordinator']!.events, [
      { s3: { bucket: 'corpus-bucket', event: 's3:ObjectCreated:*', rules: [{ prefix: 'texts/' }] } },
    ]);
  });

  test('refuses to overwrite a function of the same name', () => {
    assert.throws(
      () => compileFunctions({ ...functionsCtx, existingFunctions: ['wordcount-mr-mapper'] }, job),
      /^ConfigError: functions\.wordcount-mr-mapper: is reserved for the mapper of mapreduce job wordcount/,
    );
  });

  test('refuses function names longer than Lambda allows', () => {
    assert.throws(
      () => compileFunctions({ ...functionsCtx, service: 'a-very-long-service-name-for-science' }, job),
      /^ConfigError: custom\.mapreduce\.wordcount: the function name .* is longer than Lambda's 64 characters/,
    );
  });
});

describe('compileResources', () => {
  const resources = compileResources(ctx, job);

  test('creates a run table keyed by pk/sk with a TTL', () => {
    assert.deepEqual(resources.WordcountMapreduceRunTable!.Properties, {
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      SSESpecification: { SSEEnabled: true },
      TableName: 'svc-dev-wordcount-mr-runs',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('gives the role the ENI policy in a VPC and the service permissions boundary', () => {
    const role = compileResources(
      { ...ctx, vpc: true, permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary' },
      job,
    ).WordcountMapreduceRole!.Properties!;
    assert.deepEqual(role.ManagedPolicyArns, [
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' },
    ]);
    assert.equal(role.PermissionsBoundary, 'arn:aws:iam::123456789012:policy/boundary');
    assert.equal(resources.WordcountMapreduceRole!.Properties!.PermissionsBoundary, undefined);
  });

  test('a temp location outside the output gets its own read and write grants', () => {
    const elsewhere = {
      ...job,
      runtime: { ...job.runtime, temp: { bucket: 'scratch-bucket', prefix: 'mr/' } },
    };
    const statements = jobStatements(ctx, elsewhere);
    const writes = statements
      .filter((s) => s.Action.includes('s3:PutObject'))
      .flatMap((s) => [s.Resource].flat());
    assert.deepEqual(writes, [
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::scratch-bucket/mr/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::results-bucket/wordcount/*' },
    ]);
  });

  test('gives the job role no wildcard resource', () => {
    const text = JSON.stringify(jobStatements(ctx, job));
    assert.doesNotMatch(text, /"\*"/);
    assert.doesNotMatch(text, /:::\*/);
    assert.doesNotMatch(text, /function:\*/);
  });

  test('scopes S3 to the input, temp and output prefixes', () => {
    const statements = jobStatements(ctx, job);
    const resourcesFor = (action: string) =>
      statements.filter((s) => s.Action.includes(action)).flatMap((s) => [s.Resource].flat());
    assert.deepEqual(resourcesFor('s3:GetObject'), [
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::corpus-bucket/texts/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::results-bucket/wordcount/*' },
    ]);
    assert.deepEqual(resourcesFor('s3:PutObject'), [
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::results-bucket/wordcount/*' },
    ]);
    assert.deepEqual(resourcesFor('s3:DeleteObject'), [
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::results-bucket/wordcount/_temporary/*' },
    ]);
    const inputList = statements.find(
      (s) => s.Action.includes('s3:ListBucket') && JSON.stringify(s.Resource).includes('corpus-bucket'),
    );
    assert.deepEqual(inputList?.Condition, { StringLike: { 's3:prefix': ['texts/*', 'texts'] } });
  });

  test('lets the job invoke only its own three functions, and use only its own table', () => {
    const statements = jobStatements(ctx, job);
    assert.deepEqual(statements.find((s) => s.Action.includes('lambda:InvokeFunction'))?.Resource, [
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-dev-wordcount-mr-coordinator',
      },
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-dev-wordcount-mr-mapper',
      },
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-dev-wordcount-mr-reducer',
      },
    ]);
    assert.deepEqual(statements.find((s) => s.Action.includes('dynamodb:UpdateItem'))?.Resource, [
      { 'Fn::GetAtt': ['WordcountMapreduceRunTable', 'Arn'] },
    ]);
  });
});

describe('per-role entries', () => {
  test('the mapper entry imports the user map and combine by absolute, quoted paths', () => {
    const entry = roleEntry(job, 'mapper', '/plugin/runtime/handlers');
    assert.equal(
      entry,
      [
        `import { map as userMap } from ${JSON.stringify(job.modules.map.file)};`,
        `import { reduce as userCombine } from ${JSON.stringify(job.modules.map.file)};`,
        'import { createMapperHandler } from "/plugin/runtime/handlers";',
        'export const handler = createMapperHandler({ map: userMap, combine: userCombine });',
      ].join('\n'),
    );
  });

  test('the coordinator entry needs no user code', () => {
    assert.doesNotMatch(roleEntry(job, 'coordinator', '/h'), /user/);
  });
});

describe('inputBucketCreatedHere', () => {
  const service = (extra: Partial<ServerlessService>) =>
    ({ provider: { name: 'aws' }, functions: {}, ...extra }) as unknown as ServerlessService;

  test('an unknown bucket exists outside the stack', () => {
    assert.equal(inputBucketCreatedHere(service({}), 'corpus-bucket', 'p'), false);
  });

  test("another function's plain s3 event creates the bucket here", () => {
    const s = service({ functions: { f: { events: [{ s3: 'corpus-bucket' }] } } });
    assert.equal(inputBucketCreatedHere(s, 'corpus-bucket', 'p'), true);
  });

  test('a bucket resource under the framework logical id is created here; under another id it is an error', () => {
    const bucket = { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'corpus-bucket' } };
    assert.equal(
      inputBucketCreatedHere(
        service({ resources: { Resources: { S3BucketCorpusbucket: bucket } } }),
        'corpus-bucket',
        'p',
      ),
      true,
    );
    assert.throws(
      () =>
        inputBucketCreatedHere(
          service({ resources: { Resources: { Corpus: bucket } } }),
          'corpus-bucket',
          'custom.mapreduce.wordcount.input',
        ),
      /custom\.mapreduce\.wordcount\.input: bucket corpus-bucket is declared in resources as Corpus \(name that resource S3BucketCorpusbucket/,
    );
  });
});
