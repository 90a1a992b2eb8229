// `sls package` under serverless@3 and osls of a service with container functions in and out of a VPC, a SCAR FDL
// function and a mapreduce job: what each generated role may do, and how long each log group keeps its logs.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource, roleStatements, type Json } from './harness/template-parts';

const FIXTURE = join(__dirname, 'fixtures', 'iam-roles');

function retention(template: CfnTemplate): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')
      .map(([id, r]) => [id, (r.Properties as Json).RetentionInDays]),
  );
}

const sub = (value: string) => ({ 'Fn::Sub': value });
const s3 = (path: string) => sub(`arn:\${AWS::Partition}:s3:::${path}`);
const fn = (role: string) =>
  sub(
    `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:iam-roles-dev-count-mr-${role}`,
  );
const VPC_POLICY = sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole');

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`generated roles and log groups packaged by ${framework}`, () => {
    let template: CfnTemplate;
    before(async () => {
      ({ template } = await packageService(FIXTURE, framework));
    });

    test('the template, log groups included, matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('only the role of the function in a VPC gets the VPC access policy', () => {
      assert.ok(resource(template, 'PrivateLambdaFunction').Properties.VpcConfig);
      assert.deepEqual(resource(template, 'PrivateContainerRole').Properties.ManagedPolicyArns, [VPC_POLICY]);
      const withPolicy = Object.entries(template.Resources)
        .filter(
          ([, r]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r).includes('VPCAccessExecutionRole'),
        )
        .map(([id]) => id);
      assert.deepEqual(withPolicy, ['PrivateContainerRole']);
      for (const id of [
        'PlainLambdaFunction',
        'ScarDashcopyLambdaFunction',
        'CountDashmrDashmapperLambdaFunction',
      ])
        assert.equal(resource(template, id).Properties.VpcConfig, undefined, id);
    });

    test('each function of the mapreduce job runs with a role of its own', () => {
      for (const role of ['coordinator', 'mapper', 'reducer']) {
        const own = `CountMapreduce${role.charAt(0).toUpperCase()}${role.slice(1)}Role`;
        assert.deepEqual(resource(template, `CountDashmrDash${role}LambdaFunction`).Properties.Role, {
          'Fn::GetAtt': [own, 'Arn'],
        });
        assert.equal(resource(template, own).Type, 'AWS::IAM::Role');
      }
    });

    test('the mapper’s role cannot write a part or _SUCCESS.json, and invokes the coordinator only as its failure destination', () => {
      assert.deepEqual(roleStatements(template, 'CountMapreduceMapperRole'), [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [
            sub(
              'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/iam-roles-dev-count-mr-mapper:*',
            ),
          ],
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: [s3('iam-corpus/texts/*')],
        },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          Resource: [s3('iam-results/count/_temporary/*/map/*'), s3('iam-results/count/*/_FAILED.json')],
        },
        {
          Effect: 'Allow',
          Action: ['s3:DeleteObject'],
          Resource: [s3('iam-results/count/_temporary/*/map/*')],
        },
        // Lambda delivers the mapper's failure records to the coordinator (its on-failure destination) with
        // this role, and refuses the destination at deploy time without this grant.
        {
          Effect: 'Allow',
          Action: ['lambda:InvokeFunction'],
          Resource: [fn('mapper'), fn('reducer'), fn('coordinator')],
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
          Resource: [{ 'Fn::GetAtt': ['CountMapreduceRunTable', 'Arn'] }],
        },
      ]);
    });

    test('the coordinator invokes only the mapper and reducer, the reducer only itself and the coordinator', () => {
      const invokes = (roleId: string) =>
        roleStatements(template, roleId).find((s) => s.Action.includes('lambda:InvokeFunction'))?.Resource;
      assert.deepEqual(invokes('CountMapreduceCoordinatorRole'), [fn('mapper'), fn('reducer')]);
      assert.deepEqual(invokes('CountMapreduceReducerRole'), [fn('reducer'), fn('coordinator')]);
      const writes = roleStatements(template, 'CountMapreduceReducerRole').find((s) =>
        s.Action.includes('s3:PutObject'),
      )?.Resource;
      assert.deepEqual(writes, [
        s3('iam-results/count/*/part-*'),
        s3('iam-results/count/*/_SUCCESS.json'),
        s3('iam-results/count/*/_FAILED.json'),
      ]);
    });

    test('one log group per function, kept 30 days unless the function, its FDL file or its job says otherwise', () => {
      assert.deepEqual(retention(template), {
        PlainLogGroup: 30,
        PrivateLogGroup: 7,
        ScarDashcopyLogGroup: 60,
        CountDashmrDashcoordinatorLogGroup: 14,
        CountDashmrDashmapperLogGroup: 14,
        CountDashmrDashreducerLogGroup: 14,
      });
    });
  });

  describe(`provider.vpc packaged by ${framework}`, () => {
    test('puts every function in the VPC, and so every role of ours gets the VPC access policy once', async () => {
      const { template } = await packageService(FIXTURE, framework, { env: { IAM_VPC: 'provider' } });
      validateTemplate(template);
      const ours = [
        'PlainContainerRole',
        'PrivateContainerRole',
        'ScarDashcopyContainerRole',
        'CountMapreduceCoordinatorRole',
        'CountMapreduceMapperRole',
        'CountMapreduceReducerRole',
      ];
      for (const id of ours)
        assert.deepEqual(resource(template, id).Properties.ManagedPolicyArns, [VPC_POLICY], id);
      assert.deepEqual(resource(template, 'CountDashmrDashmapperLambdaFunction').Properties.VpcConfig, {
        SecurityGroupIds: ['sg-0e0e0e0e'],
        SubnetIds: ['subnet-0e0e0e0e'],
      });
    });
  });

  describe(`mapreduce log retention settings (${framework})`, () => {
    test('a retention CloudWatch does not offer names custom.mapreduce.count.logRetentionInDays', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { IAM_RETENTION: 'bad' } });
      assert.match(run.stdout + run.stderr, /custom\.mapreduce\.count\.logRetentionInDays/);
    });

    test('a retention only CloudWatch’s own list has (1096 days) reaches the job’s log groups', async () => {
      const { template } = await packageService(FIXTURE, framework, { env: { IAM_RETENTION: 'long' } });
      validateTemplate(template);
      assert.equal(retention(template).CountDashmrDashmapperLogGroup, 1096);
    });
  });
}
