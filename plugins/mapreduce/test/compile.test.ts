import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketCreatedHere, type ServerlessService } from '@serverless-continuum/core/serverless';
import { resolveJob } from '../src/config';
import { compileFunctions, compileResources, roleStatements, roleEntry } from '../src/compile';
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
    assert.equal(mapper.role, 'WordcountMapreduceMapperRole');
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

  test('keeps every function’s logs 30 days unless the job or provider.logRetentionInDays says otherwise', () => {
    const days = (fns: ReturnType<typeof compileFunctions>) =>
      Object.values(fns).map((f) => f.logRetentionInDays);
    assert.deepEqual(days(functions), [30, 30, 30]);
    assert.deepEqual(
      days(compileFunctions({ ...functionsCtx, providerLogRetentionInDays: 90 }, job)),
      [90, 90, 90],
    );
    const ownDays = { ...job, logRetentionInDays: 7 };
    assert.deepEqual(
      days(compileFunctions({ ...functionsCtx, providerLogRetentionInDays: 90 }, ownDays)),
      [7, 7, 7],
    );
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

  test('gives each role the ENI policy only when the framework put its function in a VPC, and the service permissions boundary', () => {
    const inVpc = compileResources(
      {
        ...ctx,
        vpcRoles: new Set(['mapper'] as const),
        permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
      },
      job,
    );
    assert.deepEqual(inVpc.WordcountMapreduceMapperRole!.Properties!.ManagedPolicyArns, [
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' },
    ]);
    for (const id of ['WordcountMapreduceCoordinatorRole', 'WordcountMapreduceReducerRole']) {
      assert.equal(inVpc[id]!.Properties!.ManagedPolicyArns, undefined, id);
      assert.equal(inVpc[id]!.Properties!.PermissionsBoundary, 'arn:aws:iam::123456789012:policy/boundary');
    }
    for (const id of Object.keys(resources).filter((id) => id.endsWith('Role'))) {
      assert.equal(resources[id]!.Properties!.ManagedPolicyArns, undefined, id);
      assert.equal(resources[id]!.Properties!.PermissionsBoundary, undefined, id);
    }
  });

  test('gives each function its own role, and each function runs with it', () => {
    assert.deepEqual(
      Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::IAM::Role'),
      ['WordcountMapreduceCoordinatorRole', 'WordcountMapreduceMapperRole', 'WordcountMapreduceReducerRole'],
    );
    const functions = compileFunctions(functionsCtx, job);
    assert.equal(functions['wordcount-mr-coordinator']!.role, 'WordcountMapreduceCoordinatorRole');
    assert.equal(functions['wordcount-mr-mapper']!.role, 'WordcountMapreduceMapperRole');
    assert.equal(functions['wordcount-mr-reducer']!.role, 'WordcountMapreduceReducerRole');
  });
});

describe('roleStatements', () => {
  const s3 = (path: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${path}` });
  const fn = (role: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:svc-dev-wordcount-mr-${role}`,
  });
  const logs = (role: string) => ({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [
      {
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/svc-dev-wordcount-mr-${role}:*`,
      },
    ],
  });
  const read = ['s3:GetObject', 's3:GetObjectVersion'];
  const write = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
  const table = [{ 'Fn::GetAtt': ['WordcountMapreduceRunTable', 'Arn'] }];

  test('the coordinator reads the input and _SUCCESS.json, fails runs, starts mappers and reducers, and creates and moves runs', () => {
    assert.deepEqual(roleStatements(ctx, job, 'coordinator'), [
      logs('coordinator'),
      {
        Effect: 'Allow',
        Action: read,
        Resource: [s3('corpus-bucket/texts/*'), s3('results-bucket/wordcount/*/_SUCCESS.json')],
      },
      { Effect: 'Allow', Action: write, Resource: [s3('results-bucket/wordcount/*/_FAILED.json')] },
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fn('mapper'), fn('reducer')] },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: table,
      },
    ]);
  });

  test('the mapper reads the input and writes intermediates and _FAILED.json, never a part or _SUCCESS.json', () => {
    assert.deepEqual(roleStatements(ctx, job, 'mapper'), [
      logs('mapper'),
      { Effect: 'Allow', Action: read, Resource: [s3('corpus-bucket/texts/*')] },
      {
        Effect: 'Allow',
        Action: write,
        Resource: [
          s3('results-bucket/wordcount/_temporary/*/map/*'),
          s3('results-bucket/wordcount/*/_FAILED.json'),
        ],
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: [s3('results-bucket/wordcount/_temporary/*/map/*')],
      },
      // The coordinator only as the mapper's on-failure destination: Lambda delivers the record with this role.
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [fn('mapper'), fn('reducer'), fn('coordinator')],
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: table,
      },
    ]);
  });

  test('the reducer reads intermediates, writes parts and the markers, cleans up without listing, and never reads the input', () => {
    assert.deepEqual(roleStatements(ctx, job, 'reducer'), [
      logs('reducer'),
      {
        Effect: 'Allow',
        Action: read,
        Resource: [
          s3('results-bucket/wordcount/_temporary/*/map/*'),
          s3('results-bucket/wordcount/*/part-*'),
          s3('results-bucket/wordcount/*/_SUCCESS.json'),
        ],
      },
      {
        Effect: 'Allow',
        Action: write,
        Resource: [
          s3('results-bucket/wordcount/*/part-*'),
          s3('results-bucket/wordcount/*/_SUCCESS.json'),
          s3('results-bucket/wordcount/*/_FAILED.json'),
        ],
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: [s3('results-bucket/wordcount/_temporary/*/map/*')],
      },
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fn('reducer'), fn('coordinator')] },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: table,
      },
    ]);
  });

  test('a temp location outside the output is where intermediates are written, read and deleted', () => {
    const elsewhere = {
      ...job,
      runtime: { ...job.runtime, temp: { bucket: 'scratch-bucket', prefix: 'mr/' } },
    };
    const on = (role: 'mapper' | 'reducer', action: string) =>
      roleStatements(ctx, elsewhere, role)
        .filter((s) => s.Action.includes(action))
        .flatMap((s) => [s.Resource].flat());
    assert.deepEqual(on('mapper', 's3:PutObject'), [
      s3('scratch-bucket/mr/*/map/*'),
      s3('results-bucket/wordcount/*/_FAILED.json'),
    ]);
    assert.deepEqual(on('reducer', 's3:GetObject'), [
      s3('scratch-bucket/mr/*/map/*'),
      s3('results-bucket/wordcount/*/part-*'),
      s3('results-bucket/wordcount/*/_SUCCESS.json'),
    ]);
    assert.deepEqual(on('reducer', 's3:DeleteObject'), [s3('scratch-bucket/mr/*/map/*')]);
  });

  test('gives no role a wildcard resource', () => {
    for (const role of ['coordinator', 'mapper', 'reducer'] as const) {
      const text = JSON.stringify(roleStatements(ctx, job, role));
      assert.doesNotMatch(text, /"\*"/, role);
      assert.doesNotMatch(text, /:::\*/, role);
      assert.doesNotMatch(text, /function:\*/, role);
    }
  });
});

describe('per-role entries', () => {
  test('the mapper entry imports the user map and combine by absolute, quoted paths', () => {
    const entry = roleEntry(job, 'mapper', '/plugin/runtime/handlers');
    assert.equal(
      entry,
      [
        `import { map as userMap } from ${JSON.stringify(job.modules!.map.file)};`,
        `import { reduce as userCombine } from ${JSON.stringify(job.modules!.map.file)};`,
        'import { createMapperHandler } from "/plugin/runtime/handlers";',
        'export const handler = createMapperHandler({ map: userMap, combine: userCombine });',
      ].join('\n'),
    );
  });

  test('the coordinator entry needs no user code', () => {
    assert.doesNotMatch(roleEntry(job, 'coordinator', '/h'), /user/);
  });
});

describe('bucketCreatedHere (core), for the input bucket', () => {
  const service = (extra: Partial<ServerlessService>) =>
    ({ provider: { name: 'aws' }, functions: {}, ...extra }) as unknown as ServerlessService;

  test('an unknown bucket exists outside the stack', () => {
    assert.equal(bucketCreatedHere(service({}), 'corpus-bucket', 'p'), false);
  });

  test("another function's plain s3 event creates the bucket here", () => {
    const s = service({ functions: { f: { events: [{ s3: 'corpus-bucket' }] } } });
    assert.equal(bucketCreatedHere(s, 'corpus-bucket', 'p'), true);
  });

  test('a bucket resource under the framework logical id is created here; under another id it is an error', () => {
    const bucket = { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'corpus-bucket' } };
    assert.equal(
      bucketCreatedHere(
        service({ resources: { Resources: { S3BucketCorpusbucket: bucket } } }),
        'corpus-bucket',
        'p',
      ),
      true,
    );
    assert.throws(
      () =>
        bucketCreatedHere(
          service({ resources: { Resources: { Corpus: bucket } } }),
          'corpus-bucket',
          'custom.mapreduce.wordcount.input',
        ),
      /custom\.mapreduce\.wordcount\.input: bucket corpus-bucket is declared in resources as Corpus \(name that resource S3BucketCorpusbucket/,
    );
  });
});
