// `sls package` of a service with two mapreduce jobs, under serverless@3 and osls: functions, trigger, run table, scoped IAM.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource, roleStatements } from './harness/template-parts';
import { readZipEntry } from './harness/zip';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');
const frameworks: Framework[] = ['serverless', 'osls'];

const sub = (s: string) => ({ 'Fn::Sub': s });

for (const framework of frameworks) {
  describe(`mapreduce sls package (${framework})`, () => {
    let template: CfnTemplate;
    let dir: string;

    test('packages, and the template passes the AWS resource specification', async () => {
      ({ template, dir } = await packageService(FIXTURE, framework));
      validateTemplate(template);
    });

    test('adds three functions per job with the contract environment and their own artifact', () => {
      for (const role of ['coordinator', 'mapper', 'reducer']) {
        const fn = resource(template, `WordcountDashmrDash${role}LambdaFunction`);
        assert.equal(fn.Properties.FunctionName, `mr-fixture-dev-wordcount-mr-${role}`);
        assert.equal(fn.Properties.Handler, 'index.handler');
        assert.equal(fn.Properties.Runtime, 'nodejs20.x');
        const ownRole = `WordcountMapreduce${role.charAt(0).toUpperCase()}${role.slice(1)}Role`;
        assert.deepEqual(fn.Properties.Role, { 'Fn::GetAtt': [ownRole, 'Arn'] });
        assert.match(fn.Properties.Code.S3Key, new RegExp(`/wordcount-${role}\\.zip$`));
        const env = fn.Properties.Environment.Variables;
        assert.deepEqual(env.MAPREDUCE_TABLE, { Ref: 'WordcountMapreduceRunTable' });
        assert.equal(env.MAPREDUCE_MAPPER_FUNCTION, 'mr-fixture-dev-wordcount-mr-mapper');
        assert.equal(env.MAPREDUCE_REDUCER_FUNCTION, 'mr-fixture-dev-wordcount-mr-reducer');
        const job = JSON.parse(env.MAPREDUCE_JOB);
        assert.deepEqual(job.input, { bucket: 'corpus-bucket', prefix: 'texts/' });
        assert.deepEqual(job.temp, { bucket: 'results-bucket', prefix: 'wordcount/_temporary/' });
        assert.equal(job.chunkSize, 16 * 1024 * 1024);
        assert.equal(job.reducers, 8);
        assert.equal(job.concurrency, 500);
        assert.ok(existsSync(join(dir, '.serverless', 'mapreduce', `wordcount-${role}.zip`)));
      }
      assert.equal(resource(template, 'WordcountDashmrDashmapperLambdaFunction').Properties.MemorySize, 1769);
      assert.equal(resource(template, 'WordcountDashmrDashreducerLambdaFunction').Properties.Timeout, 900);
      const means = JSON.parse(
        resource(template, 'MeansDashmrDashmapperLambdaFunction').Properties.Environment.Variables
          .MAPREDUCE_JOB,
      );
      assert.equal(means.mappers, 4);
      assert.equal(means.records, 'jsonl');
    });

    test('each artifact is a zip whose index.js exports the role handler, with the user code bundled in', () => {
      const mapper = readZipEntry(
        readFileSync(join(dir, '.serverless', 'mapreduce', 'wordcount-mapper.zip')),
        'index.js',
      );
      assert.ok(mapper, 'the mapper zip holds index.js');
      // The fixture's tokenizer: the user's map is inside the bundle, not imported at run time.
      assert.ok(mapper.toString('utf8').includes('/[a-z]+/g'));
      for (const role of ['coordinator', 'mapper', 'reducer']) {
        const code = readZipEntry(
          readFileSync(join(dir, '.serverless', 'mapreduce', `wordcount-${role}.zip`)),
          'index.js',
        );
        const file = join(dir, `loaded-${role}.js`);
        writeFileSync(file, code!);
        assert.equal(typeof (require(file) as { handler?: unknown }).handler, 'function', role);
      }
    });

    test('triggers the coordinator of an existing bucket through the framework custom resource, filtered on the input prefix', () => {
      const trigger = resource(template, 'WordcountDashmrDashcoordinatorCustomS31');
      assert.equal(trigger.Type, 'Custom::S3');
      assert.equal(trigger.Properties.BucketName, 'corpus-bucket');
      assert.equal(trigger.Properties.FunctionName, 'mr-fixture-dev-wordcount-mr-coordinator');
      assert.deepEqual(trigger.Properties.BucketConfigs, [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'texts/' }] },
      ]);
    });

    test('adds the trigger to a bucket the stack creates without a second bucket', () => {
      const bucket = resource(template, 'S3BucketMeasurementsbucket');
      assert.equal(bucket.Properties.BucketName, 'measurements-bucket');
      assert.deepEqual(bucket.Properties.NotificationConfiguration.LambdaConfigurations, [
        {
          Event: 's3:ObjectCreated:*',
          Function: { 'Fn::GetAtt': ['MeansDashmrDashcoordinatorLambdaFunction', 'Arn'] },
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }] } },
        },
      ]);
      const buckets = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::Bucket');
      assert.equal(buckets.filter((b) => JSON.stringify(b).includes('measurements-bucket')).length, 1);
    });

    test('sends uncaught mapper and reducer failures to the coordinator with no Lambda retries, and the coordinator’s to the mapper', () => {
      const configs = Object.values(template.Resources).filter(
        (r) => r.Type === 'AWS::Lambda::EventInvokeConfig',
      ) as unknown as Array<{ Properties: Record<string, unknown> }>;
      const byFunction = new Map(configs.map((c) => [(c.Properties.FunctionName as { Ref: string }).Ref, c]));
      const coordinator = byFunction.get('WordcountDashmrDashcoordinatorLambdaFunction');
      assert.equal(coordinator?.Properties.MaximumRetryAttempts, undefined);
      assert.deepEqual(coordinator?.Properties.DestinationConfig, {
        OnFailure: { Destination: { 'Fn::GetAtt': ['WordcountDashmrDashmapperLambdaFunction', 'Arn'] } },
      });
      for (const role of ['mapper', 'reducer']) {
        const config = byFunction.get(`WordcountDashmrDash${role}LambdaFunction`);
        assert.ok(config, role);
        assert.equal(config.Properties.MaximumRetryAttempts, 0);
        assert.deepEqual(config.Properties.DestinationConfig, {
          OnFailure: {
            Destination: { 'Fn::GetAtt': ['WordcountDashmrDashcoordinatorLambdaFunction', 'Arn'] },
          },
        });
      }
    });

    test('lets the coordinator and mapper run in the long Lambda-to-Lambda chains a run makes (RecursiveLoop)', () => {
      const loop = (role: string) =>
        resource(template, `WordcountDashmrDash${role}LambdaFunction`).Properties.RecursiveLoop;
      assert.equal(loop('coordinator'), 'Allow');
      assert.equal(loop('mapper'), 'Allow');
      assert.equal(loop('reducer'), undefined);
    });

    test('creates a run table per job, marked as the mapreduce plugin’s', () => {
      const table = resource(template, 'WordcountMapreduceRunTable');
      assert.equal(table.Type, 'AWS::DynamoDB::Table');
      assert.equal(table.Properties.TableName, 'mr-fixture-dev-wordcount-mr-runs');
      assert.deepEqual(table.Properties.TimeToLiveSpecification, {
        AttributeName: 'expiresAt',
        Enabled: true,
      });
      assert.equal(table.Metadata?.['serverless-continuum:plugin'], 'mapreduce');
      assert.equal(resource(template, 'MeansMapreduceRunTable').Type, 'AWS::DynamoDB::Table');
    });

    test('scopes each role to its own prefixes, the functions it invokes and its table, with no * resource', () => {
      const roles = ['Coordinator', 'Mapper', 'Reducer'].map((r) => `WordcountMapreduce${r}Role`);
      const on = (roleId: string, action: string) =>
        roleStatements(template, roleId)
          .filter((s) => s.Action.includes(action))
          .flatMap((s) => s.Resource);
      for (const roleId of roles) {
        const text = JSON.stringify(roleStatements(template, roleId));
        assert.doesNotMatch(text, /"\*"|:::\*"|function:\*/, roleId);
        assert.ok(!text.includes('measurements-bucket'), 'one job cannot touch another job’s buckets');
        assert.deepEqual(on(roleId, 'dynamodb:PutItem'), [
          { 'Fn::GetAtt': ['WordcountMapreduceRunTable', 'Arn'] },
        ]);
        assert.equal(
          resource(template, roleId).Properties.ManagedPolicyArns,
          undefined,
          `${roleId}: no VPC here`,
        );
      }
      const [coordinator, mapper, reducer] = roles as [string, string, string];
      const fn = (role: string) =>
        sub(
          `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:mr-fixture-dev-wordcount-mr-${role}`,
        );
      assert.deepEqual(on(coordinator, 'lambda:InvokeFunction'), [fn('mapper'), fn('reducer')]);
      assert.deepEqual(on(mapper, 'lambda:InvokeFunction'), [fn('mapper'), fn('reducer'), fn('coordinator')]);
      assert.deepEqual(on(reducer, 'lambda:InvokeFunction'), [fn('reducer'), fn('coordinator')]);
      assert.deepEqual(on(mapper, 's3:GetObject'), [sub('arn:${AWS::Partition}:s3:::corpus-bucket/texts/*')]);
      assert.deepEqual(on(mapper, 's3:PutObject'), [
        sub('arn:${AWS::Partition}:s3:::results-bucket/wordcount/_temporary/*/map/*'),
        sub('arn:${AWS::Partition}:s3:::results-bucket/wordcount/*/_FAILED.json'),
      ]);
      assert.deepEqual(on(reducer, 's3:DeleteObject'), [
        sub('arn:${AWS::Partition}:s3:::results-bucket/wordcount/_temporary/*/map/*'),
      ]);
    });
  });
}

for (const framework of frameworks) {
  describe(`mapreduce config errors (${framework})`, () => {
    test('an output overlapping the input names custom.mapreduce.wordcount.output', async () => {
      const run = await packageServiceFails(FIXTURE, framework, {
        env: { MR_WORDCOUNT_OUTPUT: 'corpus-bucket/texts/results' },
      });
      assert.match(
        run.stdout + run.stderr,
        /custom\.mapreduce\.wordcount\.output: overlaps the input corpus-bucket\/texts\//,
      );
    });

    test('a schema slip names its path', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { MR_WORDCOUNT_RECORDS: 'csv' } });
      assert.match(run.stdout + run.stderr, /custom\.mapreduce\.wordcount\.records/);
      assert.match(run.stdout + run.stderr, /lines, jsonl/);
    });
  });
}
