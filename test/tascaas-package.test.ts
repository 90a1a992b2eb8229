// `sls package` of a service with two tascaas jobs, under serverless@3 and osls: the five functions and their
// routes, triggers and schedule, the queues, table and secret, scoped IAM, and the worker's queue and policy.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource, roleStatements, type Json } from './harness/template-parts';
import { readZipEntry } from './harness/zip';

const FIXTURE = join(__dirname, 'fixtures', 'tascaas-montecarlo');
const frameworks: Framework[] = ['serverless', 'osls'];
const ROLES = ['Submit', 'Dispatch', 'Balance', 'Monitor', 'Status'];

const sub = (s: string) => ({ 'Fn::Sub': s });
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** `METHOD /path` of every HTTP API route whose integration is function `fnId`. */
function routesOf(template: CfnTemplate, fnId: string): string[] {
  const integrations = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Integration')
    .filter(([, r]) => JSON.stringify(r.Properties).includes(`"${fnId}"`))
    .map(([id]) => id);
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .filter((r) => integrations.some((id) => JSON.stringify(r.Properties).includes(id)))
    .map((r) => (r.Properties as { RouteKey: string }).RouteKey)
    .sort();
}

for (const framework of frameworks) {
  describe(`tascaas sls package (${framework})`, () => {
    let template: CfnTemplate;
    let dir: string;

    test('packages, and the template passes the AWS resource specification', async () => {
      ({ template, dir } = await packageService(FIXTURE, framework));
      validateTemplate(template);
    });

    test('adds five functions on one runtime artifact, each with its own role and the service environment', () => {
      for (const role of ROLES) {
        const fn = resource(template, `Tascaas${role}LambdaFunction`);
        assert.equal(fn.Properties.FunctionName, `tascaas-fixture-dev-tascaas${role}`);
        assert.equal(fn.Properties.Handler, `index.${role.toLowerCase()}`);
        assert.equal(fn.Properties.Runtime, 'nodejs20.x');
        assert.deepEqual(fn.Properties.Role, getAtt(`Tascaas${role}Role`));
        assert.match(fn.Properties.Code.S3Key, /\/runtime\.zip$/);
        const env = fn.Properties.Environment.Variables;
        assert.deepEqual(env.TASCAAS_TABLE, { Ref: 'TascaasTable' });
        assert.equal(env.TASCAAS_SCALE_TIME, '300');
        assert.deepEqual(env.TASCAAS_SECRET, sub('secretsmanager:${TascaasSecret}'));
        const definitions = env.TASCAAS_DEFINITIONS['Fn::Sub'] as string;
        const parsed = JSON.parse(definitions);
        assert.deepEqual(parsed.montecarlo, {
          name: 'montecarlo',
          partitions: 8,
          maxPartitions: 32,
          reportInterval: 20,
          maxAttempts: 4,
          results: { bucket: 'results-bucket', prefix: 'montecarlo/' },
          input: { bucket: 'inputs-bucket', prefix: 'montecarlo/' },
          worker: 'simulate',
          queueUrl: '${MontecarloTascaasQueue}',
          deadLetterQueueUrl: '${MontecarloTascaasDeadLetterQueue}',
        });
        assert.equal(parsed.pi.maxPartitions, 10);
      }
    });

    test('the artifact is a zip whose index.js exports the five handlers', () => {
      const code = readZipEntry(readFileSync(join(dir, '.serverless', 'tascaas', 'runtime.zip')), 'index.js');
      assert.ok(code, 'the zip holds index.js');
      const file = join(dir, 'loaded-runtime.js');
      writeFileSync(file, code);
      const handlers = require(file) as Record<string, unknown>;
      for (const name of ['submit', 'dispatch', 'balance', 'monitor', 'status']) {
        assert.equal(typeof handlers[name], 'function', name);
      }
    });

    test('serves the wire at the root of the HTTP API, each route on its function', () => {
      assert.deepEqual(routesOf(template, 'TascaasSubmitLambdaFunction'), ['POST /jobs']);
      assert.deepEqual(routesOf(template, 'TascaasStatusLambdaFunction'), ['GET /jobs/{id}']);
      assert.deepEqual(routesOf(template, 'TascaasBalanceLambdaFunction'), [
        'GET /lb/{ID}/finish',
        'GET /lb/{ID}/report',
        'GET /lb/{ID}/start',
      ]);
      assert.deepEqual(routesOf(template, 'TascaasDispatchLambdaFunction'), [
        'GET /node/register',
        'GET /node/{id}/disconnect',
        'GET /node/{id}/jobs',
        'GET /node/{id}/release',
        'GET /node/{id}/update',
        'GET /results/upload/{ID}/{worker}',
      ]);
      for (const role of ['Submit', 'Dispatch', 'Balance', 'Status']) {
        assert.equal(
          resource(template, `HttpApiIntegrationTascaas${role}`).Properties.PayloadFormatVersion,
          '2.0',
        );
      }
      assert.equal(resource(template, 'HttpApiStage').Properties.StageName, '$default');
      assert.ok(template.Outputs?.HttpApiUrl, 'the framework writes the API URL as a stack output');
    });

    test('starts jobs from uploaded *.config files and completes partitions from .result uploads, on existing buckets', () => {
      const submit = resource(template, 'TascaasSubmitCustomS31');
      assert.equal(submit.Properties.BucketName, 'inputs-bucket');
      assert.deepEqual(submit.Properties.BucketConfigs, [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'montecarlo/' }, { Suffix: '.config' }] },
      ]);
      const balance = resource(template, 'TascaasBalanceCustomS31');
      assert.equal(balance.Properties.BucketName, 'results-bucket');
      assert.deepEqual(balance.Properties.BucketConfigs, [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'montecarlo/' }, { Suffix: '.result' }] },
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'pi/' }, { Suffix: '.result' }] },
      ]);
    });

    test('a second existing results bucket gets a balance function of its own, on the balance role', () => {
      const trigger = resource(template, 'TascaasBalance2CustomS31');
      assert.equal(trigger.Properties.BucketName, 'sweep-bucket');
      assert.deepEqual(trigger.Properties.BucketConfigs, [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'runs/' }, { Suffix: '.result' }] },
      ]);
      const fn = resource(template, 'TascaasBalance2LambdaFunction');
      assert.equal(fn.Properties.FunctionName, 'tascaas-fixture-dev-tascaasBalance2');
      assert.equal(fn.Properties.Handler, 'index.balance');
      assert.deepEqual(fn.Properties.Role, getAtt('TascaasBalanceRole'));
      assert.deepEqual(routesOf(template, 'TascaasBalance2LambdaFunction'), []);
      const logs = roleStatements(template, 'TascaasBalanceRole').find((s) =>
        s.Action.includes('logs:PutLogEvents'),
      );
      assert.deepEqual(logs?.Resource, [
        sub(
          'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/tascaas-fixture-dev-tascaasBalance:*',
        ),
        sub(
          'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/tascaas-fixture-dev-tascaasBalance2:*',
        ),
      ]);
    });

    test('runs the monitor every minute', () => {
      const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
      assert.equal(rules.length, 1);
      assert.equal((rules[0]!.Properties as Json).ScheduleExpression, 'rate(1 minute)');
    });

    test('gives each block a partition queue leased for twice the scale time, dead-lettered after maxAttempts', () => {
      const queue = resource(template, 'MontecarloTascaasQueue');
      assert.equal(queue.Properties.VisibilityTimeout, 600);
      assert.deepEqual(queue.Properties.RedrivePolicy, {
        deadLetterTargetArn: getAtt('MontecarloTascaasDeadLetterQueue'),
        maxReceiveCount: 4,
      });
      assert.equal(
        resource(template, 'MontecarloTascaasDeadLetterQueue').Properties.MessageRetentionPeriod,
        1209600,
      );
      assert.equal(resource(template, 'PiTascaasQueue').Properties.RedrivePolicy.maxReceiveCount, 3);
    });

    test('keeps jobs in one pay-per-request table with pk/sk keys and items expiring on expiresAt', () => {
      const table = resource(template, 'TascaasTable');
      assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(table.Properties.KeySchema, [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      assert.deepEqual(table.Properties.TimeToLiveSpecification, {
        AttributeName: 'expiresAt',
        Enabled: true,
      });
      assert.equal(table.Metadata?.['serverless-continuum:plugin'], 'tascaas');
    });

    test('generates the secret at deploy time: no value in the template, its ARN a stack output', () => {
      const secret = resource(template, 'TascaasSecret');
      assert.equal(secret.Type, 'AWS::SecretsManager::Secret');
      assert.equal(secret.Properties.SecretString, undefined);
      assert.deepEqual(secret.Properties.GenerateSecretString, {
        PasswordLength: 40,
        ExcludePunctuation: true,
      });
      assert.deepEqual((template.Outputs?.TascaasSecretArn as Json).Value, { Ref: 'TascaasSecret' });
    });

    test('scopes each role to its queues, the table, its objects and the secret, with no * resource', () => {
      const on = (role: string, action: string) =>
        roleStatements(template, `Tascaas${role}Role`)
          .filter((s) => s.Action.includes(action))
          .flatMap((s) => s.Resource);
      for (const role of ROLES) {
        assert.doesNotMatch(
          JSON.stringify(roleStatements(template, `Tascaas${role}Role`)),
          /"\*"|:::\*"/,
          role,
        );
      }
      const queues = [
        getAtt('MontecarloTascaasQueue'),
        getAtt('PiTascaasQueue'),
        getAtt('SweepTascaasQueue'),
      ];
      assert.deepEqual(on('Submit', 'sqs:SendMessage'), queues);
      assert.deepEqual(on('Dispatch', 'sqs:ReceiveMessage'), queues);
      assert.deepEqual(on('Balance', 'sqs:DeleteMessage'), queues);
      assert.deepEqual(on('Balance', 'sqs:ReceiveMessage'), []);
      assert.deepEqual(on('Monitor', 'sqs:ReceiveMessage'), [
        getAtt('MontecarloTascaasDeadLetterQueue'),
        getAtt('PiTascaasDeadLetterQueue'),
        getAtt('SweepTascaasDeadLetterQueue'),
      ]);
      assert.deepEqual(on('Status', 'dynamodb:GetItem'), [getAtt('TascaasTable')]);
      assert.deepEqual(on('Status', 'dynamodb:PutItem'), []);
      assert.deepEqual(on('Dispatch', 'dynamodb:DeleteItem'), [getAtt('TascaasTable')]);
      assert.deepEqual(on('Submit', 's3:GetObject'), [
        sub('arn:${AWS::Partition}:s3:::inputs-bucket/montecarlo/*'),
      ]);
      assert.deepEqual(on('Balance', 's3:PutObject'), [
        sub('arn:${AWS::Partition}:s3:::results-bucket/montecarlo/*/_SUCCESS.json'),
        sub('arn:${AWS::Partition}:s3:::results-bucket/pi/*/_SUCCESS.json'),
        sub('arn:${AWS::Partition}:s3:::sweep-bucket/runs/*/_SUCCESS.json'),
      ]);
      assert.ok(
        on('Dispatch', 's3:PutObject').some(
          (r) =>
            JSON.stringify(r) ===
            JSON.stringify(
              sub('arn:${AWS::Partition}:s3:::results-bucket/pi/*/partition-*/attempt-*.result'),
            ),
        ),
      );
      for (const role of ['Submit', 'Dispatch', 'Balance', 'Status']) {
        assert.deepEqual(on(role, 'secretsmanager:GetSecretValue'), [{ Ref: 'TascaasSecret' }], role);
      }
      assert.deepEqual(on('Monitor', 'secretsmanager:GetSecretValue'), []);
    });

    test('feeds the worker function one partition at a time from its block’s queue, with a policy of its own', () => {
      const mapping = Object.values(template.Resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(r.Properties).includes('"MontecarloTascaasQueue"'),
      );
      assert.ok(mapping, 'an SQS event source on the montecarlo queue');
      assert.equal((mapping.Properties as Json).BatchSize, 1);
      assert.ok([mapping.DependsOn].flat().includes('MontecarloTascaasWorkerPolicy'));
      const worker = resource(template, 'SimulateLambdaFunction');
      assert.deepEqual(worker.Properties.Environment.Variables.TASCAAS_TABLE, { Ref: 'TascaasTable' });
      const policy = resource(template, 'MontecarloTascaasWorkerPolicy');
      assert.deepEqual(policy.Properties.Roles, [{ Ref: 'IamRoleLambdaExecution' }]);
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      assert.ok(
        text.includes('MontecarloTascaasQueue') && !text.includes('PiTascaasQueue'),
        'its own queue only',
      );
      assert.ok(!text.includes('results-bucket/pi/'), 'its own block’s results only');
    });
  });
}

for (const framework of frameworks) {
  describe(`tascaas config errors (${framework})`, () => {
    test('maxPartitions below partitions names the path and the partitions', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { TASCAAS_MAX_PARTITIONS: '4' } });
      assert.match(
        run.stdout + run.stderr,
        /custom\.tascaas\.montecarlo\.maxPartitions: must be at least partitions \(8\)/,
      );
    });

    test('a worker naming no function names the path', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { TASCAAS_WORKER: 'simulat' } });
      assert.match(
        run.stdout + run.stderr,
        /custom\.tascaas\.montecarlo\.worker: names no function of this service: "simulat"/,
      );
    });

    test('two blocks with different scale times name both paths', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { TASCAAS_PI_SCALE_TIME: '60s' } });
      assert.match(
        run.stdout + run.stderr,
        /custom\.tascaas\.pi\.scaleTime: differs from custom\.tascaas\.montecarlo\.scaleTime/,
      );
    });

    test('a worker timeout longer than the lease names the function’s timeout', async () => {
      const run = await packageServiceFails(FIXTURE, framework, {
        env: { TASCAAS_WORKER_TIMEOUT: '900', TASCAAS_PI_SCALE_TIME: '300' },
      });
      assert.match(run.stdout + run.stderr, /functions\.simulate\.timeout: 900 s is longer than the lease/);
    });
  });
}

const OWN = join(__dirname, 'fixtures', 'tascaas-own-secret');
const RUNTIME: Record<Framework, string> = { serverless: 'nodejs18.x', osls: 'nodejs22.x' };

for (const framework of frameworks) {
  describe(`tascaas sls package with the user's secret, bucket and worker role (${framework})`, () => {
    let template: CfnTemplate;
    let output: string;

    test('packages, and the template passes the AWS resource specification', async () => {
      // A runtime other than the default, that each framework knows.
      const run = await packageService(OWN, framework, { env: { TASCAAS_RUNTIME: RUNTIME[framework] } });
      ({ template } = run);
      output = run.stdout + run.stderr;
      validateTemplate(template);
    });

    test('reads the user’s SSM parameter: no secret resource, GetParameter on exactly that parameter', () => {
      assert.equal(template.Resources.TascaasSecret, undefined);
      assert.equal(template.Outputs?.TascaasSecretArn, undefined);
      const fn = resource(template, 'TascaasDispatchLambdaFunction');
      assert.equal(fn.Properties.Environment.Variables.TASCAAS_SECRET, 'ssm:/tascaas/render-secret');
      assert.equal(fn.Properties.Runtime, RUNTIME[framework]);
      const parameter = sub(
        'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tascaas/render-secret',
      );
      const reads = roleStatements(template, 'TascaasDispatchRole').filter((s) =>
        s.Action.includes('ssm:GetParameter'),
      );
      assert.deepEqual(
        reads.flatMap((s) => s.Resource),
        [parameter],
      );
    });

    test('adds both triggers to the bucket the stack creates, without a second bucket', () => {
      const bucket = resource(template, 'S3BucketRenderbucket');
      assert.deepEqual(bucket.Properties.NotificationConfiguration.LambdaConfigurations, [
        {
          Event: 's3:ObjectCreated:*',
          Function: getAtt('TascaasSubmitLambdaFunction'),
          Filter: {
            S3Key: {
              Rules: [
                { Name: 'prefix', Value: 'in/' },
                { Name: 'suffix', Value: '.config' },
              ],
            },
          },
        },
        {
          Event: 's3:ObjectCreated:*',
          Function: getAtt('TascaasBalanceLambdaFunction'),
          Filter: {
            S3Key: {
              Rules: [
                { Name: 'prefix', Value: 'out/' },
                { Name: 'suffix', Value: '.result' },
              ],
            },
          },
        },
      ]);
      const buckets = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::Bucket');
      assert.equal(buckets.filter((b) => JSON.stringify(b).includes('render-bucket')).length, 1);
    });

    test('a worker on a role the stack does not own gets its queue, no policy, and a warning saying what to grant', () => {
      const mapping = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
      );
      assert.ok(mapping);
      assert.deepEqual((mapping.Properties as Json).EventSourceArn, getAtt('RenderTascaasQueue'));
      assert.equal(template.Resources.RenderTascaasWorkerPolicy, undefined);
      assert.match(
        output,
        /custom\.tascaas\.render\.worker: function crunch runs with a role this stack does not own/,
      );
    });
  });
}
