// `sls package` of container functions (lambda, batch, lambda-batch with a GPU, api, existing-bucket input)
// under serverless@3 and osls: the template fragments that matter, and a template AWS would accept.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource, roleStatements, type Json } from './harness/template-parts';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda');
const IMAGE = (repo: string, digit: string) =>
  `123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}@sha256:${digit.repeat(64)}`;

const sub = (value: string) => ({ 'Fn::Sub': value });

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`container functions packaged by ${framework}`, () => {
    let template: CfnTemplate;
    before(async () => {
      ({ template } = await packageService(FIXTURE, framework));
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('a container function becomes an image Lambda running the digest-pinned image', () => {
      const fn = resource(template, 'GrayifyLambdaFunction').Properties;
      assert.equal(fn.PackageType, 'Image');
      assert.deepEqual(fn.Code, { ImageUri: IMAGE('grayify', '1') });
      assert.equal(fn.MemorySize, 2048);
      assert.deepEqual(fn.Role, { 'Fn::GetAtt': ['GrayifyContainerRole', 'Arn'] });
    });

    test("the supervisor's variables and the user's own reach the function, and no credentials", () => {
      const vars = resource(template, 'GrayifyLambdaFunction').Properties.Environment.Variables;
      assert.equal(vars.QUALITY, '90');
      assert.equal(vars.CONTINUUM_USER_ENV, 'QUALITY');
      assert.equal(vars.CONTINUUM_SCRIPT, '/opt/continuum/script.sh');
      assert.deepEqual(JSON.parse(vars.CONTINUUM_INPUTS), [
        { storage: 's3', bucket: 'continuum-images', prefix: 'in', suffix: ['.jpg', '.png'] },
      ]);
      assert.deepEqual(JSON.parse(vars.CONTINUUM_OUTPUTS), [
        { storage: 's3', bucket: 'continuum-images', prefix: 'out', suffix: ['.png'] },
      ]);
      assert.doesNotMatch(
        JSON.stringify(template),
        /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AKIA|harness-dummy-secret/,
      );
    });

    test('the input bucket triggers the function on the input prefix, once per suffix', () => {
      const bucket = resource(template, 'S3BucketContinuumDashimages');
      assert.equal(bucket.Properties.BucketName, 'continuum-images');
      const rules = bucket.Properties.NotificationConfiguration.LambdaConfigurations.map(
        (c: { Function: unknown; Filter: { S3Key: { Rules: unknown } } }) => [
          c.Function,
          c.Filter.S3Key.Rules,
        ],
      );
      assert.deepEqual(rules, [
        [
          { 'Fn::GetAtt': ['GrayifyLambdaFunction', 'Arn'] },
          [
            { Name: 'prefix', Value: 'in/' },
            { Name: 'suffix', Value: '.jpg' },
          ],
        ],
        [
          { 'Fn::GetAtt': ['GrayifyLambdaFunction', 'Arn'] },
          [
            { Name: 'prefix', Value: 'in/' },
            { Name: 'suffix', Value: '.png' },
          ],
        ],
      ]);
      assert.deepEqual(bucket.DependsOn, ['GrayifyS3PermissionContinuumDashimages']);
      const permission = resource(template, 'GrayifyS3PermissionContinuumDashimages').Properties;
      assert.equal(permission.Principal, 's3.amazonaws.com');
      assert.deepEqual(permission.SourceArn, sub('arn:${AWS::Partition}:s3:::continuum-images'));
      assert.deepEqual(permission.SourceAccount, { Ref: 'AWS::AccountId' });
    });

    test('an existing bucket is attached through the framework, not created', () => {
      assert.equal(template.Resources.S3BucketLabDasharchive, undefined);
      const attach = resource(template, 'CrunchCustomS31').Properties;
      assert.equal(attach.BucketName, 'lab-archive');
      assert.deepEqual(attach.BucketConfigs, [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'raw/' }, { Suffix: '.csv' }] },
      ]);
    });

    test('no role gets the VPC access policy: no function of this service is in a VPC', () => {
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        assert.doesNotMatch(JSON.stringify(r), /AWSLambdaVPCAccessExecutionRole/, id);
      }
    });

    test('every function log group keeps its logs 30 days', () => {
      const groups = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
      assert.deepEqual(
        groups.map((g) => (g.Properties as Json).RetentionInDays),
        ['grayify', 'detect', 'render', 'crunch'].map(() => 30),
      );
    });

    test("IAM: read on the input prefix, write on the output prefix, this function's logs only", () => {
      const grayify = roleStatements(template, 'GrayifyContainerRole');
      assert.deepEqual(
        grayify.map((s) => [s.Action, s.Resource, s.Condition]),
        [
          [
            ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource'],
            [
              sub(
                'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/continuum-containers-dev-grayify:*',
              ),
            ],
            undefined,
          ],
          [
            ['logs:PutLogEvents'],
            [
              sub(
                'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/continuum-containers-dev-grayify:*:*',
              ),
            ],
            undefined,
          ],
          [
            ['s3:GetObject', 's3:GetObjectVersion'],
            [sub('arn:${AWS::Partition}:s3:::continuum-images/in/*')],
            undefined,
          ],
          [
            ['s3:ListBucket'],
            [sub('arn:${AWS::Partition}:s3:::continuum-images')],
            { StringLike: { 's3:prefix': ['in/*', 'in'] } },
          ],
          [
            ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
            [sub('arn:${AWS::Partition}:s3:::continuum-images/out/*')],
            undefined,
          ],
          [['s3:DeleteObject'], [sub('arn:${AWS::Partition}:s3:::continuum-images/out/*')], undefined],
        ],
      );
    });

    test('no policy of the plugin grants a "*" resource', () => {
      const ours = Object.entries(template.Resources).filter(
        ([, r]) =>
          (r.Metadata as Record<string, unknown> | undefined)?.['serverless-continuum:plugin'] ===
          'container-lambda',
      );
      assert.ok(ours.length > 10);
      for (const [id, r] of ours) {
        assert.doesNotMatch(JSON.stringify(r.Properties), /"Resource":\s*\[?\s*"\*"/, `${id} grants *`);
      }
    });

    test("lambda-batch: SubmitJob only on the function's own queue and job definition", () => {
      const submit = roleStatements(template, 'RenderContainerRole').find((s) =>
        s.Action.includes('batch:SubmitJob'),
      );
      assert.deepEqual(submit?.Resource, [
        { Ref: 'RenderBatchJobQueue' },
        { Ref: 'RenderBatchJobDefinition' },
      ]);
      const vars = resource(template, 'RenderLambdaFunction').Properties.Environment.Variables;
      assert.deepEqual(vars.CONTINUUM_BATCH_JOB_QUEUE, { Ref: 'RenderBatchJobQueue' });
      assert.deepEqual(vars.CONTINUUM_BATCH_JOB_DEFINITION, { Ref: 'RenderBatchJobDefinition' });
      assert.equal(vars.CONTINUUM_EXECUTION, 'lambda-batch');
      assert.equal(vars.CONTINUUM_GPU, '1');
      assert.equal(vars.CONTINUUM_FALLBACK_INPUT_BYTES, '104857600');
      assert.equal(vars.CONTINUUM_DEADLINE_MARGIN_MS, '10000');
    });

    test("the framework's resources.extensions override the plugin's resources (the escape hatch)", () => {
      assert.deepEqual(resource(template, 'RenderBatchJobDefinition').Properties.Timeout, {
        AttemptDurationSeconds: 7200,
      });
    });

    test('GPU: Spot compute environment on g4dn.xlarge with the ECS GPU AMI, job asks for VCPU, MEMORY and GPU', () => {
      const compute = resource(template, 'RenderBatchComputeEnvironment').Properties;
      assert.equal(compute.Type, 'MANAGED');
      assert.equal(compute.ComputeResources.Type, 'SPOT');
      assert.deepEqual(compute.ComputeResources.InstanceTypes, ['g4dn.xlarge']);
      assert.deepEqual(compute.ComputeResources.Ec2Configuration, [{ ImageType: 'ECS_AL2_NVIDIA' }]);
      assert.deepEqual(compute.ComputeResources.Subnets, ['subnet-0a1b2c3d']);
      const job = resource(template, 'RenderBatchJobDefinition').Properties.ContainerProperties;
      assert.equal(job.Image, IMAGE('render', '3'));
      assert.deepEqual(job.ResourceRequirements, [
        { Type: 'VCPU', Value: '4' },
        { Type: 'MEMORY', Value: '16384' },
        { Type: 'GPU', Value: '1' },
      ]);
      assert.deepEqual(
        job.Environment.find((e: { Name: string }) => e.Name === 'CONTINUUM_MODE'),
        { Name: 'CONTINUUM_MODE', Value: 'batch' },
      );
      assert.deepEqual(job.JobRoleArn, { 'Fn::GetAtt': ['RenderBatchJobRole', 'Arn'] });
    });

    test('batch without a GPU: EC2 on optimal instances with the default ECS AMI, defaults from custom.containerLambda.batch', () => {
      const compute = resource(template, 'CrunchBatchComputeEnvironment').Properties.ComputeResources;
      assert.equal(compute.Type, 'EC2');
      assert.deepEqual(compute.InstanceTypes, ['optimal']);
      assert.deepEqual(compute.Ec2Configuration, [{ ImageType: 'ECS_AL2' }]);
      assert.deepEqual(compute.SecurityGroupIds, ['sg-0a1b2c3d']);
      const job = resource(template, 'CrunchBatchJobDefinition').Properties.ContainerProperties;
      assert.deepEqual(job.ResourceRequirements, [
        { Type: 'VCPU', Value: '1' },
        { Type: 'MEMORY', Value: '2048' },
      ]);
      const jobRole = roleStatements(template, 'CrunchBatchJobRole');
      assert.deepEqual(
        jobRole.map((s) => s.Resource),
        [
          [sub('arn:${AWS::Partition}:s3:::lab-archive/raw/*')],
          [sub('arn:${AWS::Partition}:s3:::lab-archive')],
          [sub('arn:${AWS::Partition}:s3:::lab-archive/processed/*')],
          [sub('arn:${AWS::Partition}:s3:::lab-archive/processed/*')],
        ],
      );
    });

    test('api: true adds a Lambda-proxy route on a REST API that passes binary bodies', () => {
      assert.deepEqual(resource(template, 'ApiGatewayRestApi').Properties.BinaryMediaTypes, ['*/*']);
      const method = resource(template, 'ApiGatewayMethodDetectAny').Properties;
      assert.equal(method.Integration.Type, 'AWS_PROXY');
      assert.equal(resource(template, 'ApiGatewayResourceDetect').Properties.PathPart, 'detect');
    });

    test('api: true gives the function no lambda:InvokeFunction: its API makes a call asynchronous itself', () => {
      // X-Amz-Invocation-Type reaches Lambda's Invoke through the integration (as in SCAR): nothing re-invokes.
      const invoke = roleStatements(template, 'DetectContainerRole').filter((s) =>
        s.Action.includes('lambda:InvokeFunction'),
      );
      assert.deepEqual(invoke, []);
      assert.deepEqual(
        resource(template, 'ApiGatewayMethodDetectAny').Properties.Integration.RequestParameters,
        { 'integration.request.header.X-Amz-Invocation-Type': 'method.request.header.X-Amz-Invocation-Type' },
      );
    });
  });
}
