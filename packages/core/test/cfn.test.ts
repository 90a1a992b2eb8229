import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiDeployment,
  apiLambdaProxyMethod,
  apiResource,
  apiRestApi,
  arn,
  batchComputeEnvironment,
  batchJobDefinition,
  batchJobQueue,
  DEFAULT_LOG_RETENTION_DAYS,
  dynamoTable,
  getAtt,
  iamInstanceProfile,
  iamPolicy,
  iamRole,
  inVpc,
  lambdaPermission,
  LOG_RETENTION_DAYS,
  logRetentionInDays,
  listStatement,
  mergeStatements,
  ref,
  s3ObjectStatement,
  s3Bucket,
  s3BucketPolicy,
  s3DeleteStatements,
  s3ReadStatements,
  s3WriteStatements,
  sqsQueue,
  sqsQueueWithDlq,
  sub,
  type CfnResource,
  type PolicyStatement,
} from '../src/cfn';
import { validateTemplate } from '../../../test/harness/validate-template';

/** A function and its role, so builders that point at a function have something real to point at. */
const base: Record<string, CfnResource> = {
  Role: iamRole({ servicePrincipals: ['lambda.amazonaws.com'] }),
  Fn: {
    Type: 'AWS::Lambda::Function',
    Properties: {
      PackageType: 'Image',
      Code: { ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:0' },
      Role: getAtt('Role', 'Arn'),
    },
  },
};

/** Reads a nested value of a built resource: `dig(resource, 'Properties', 'Tags', 0)`. */
function dig(value: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
}

function validate(resources: Record<string, CfnResource>): void {
  validateTemplate({ AWSTemplateFormatVersion: '2010-09-09', Resources: { ...base, ...resources } });
}

describe('S3 builders', () => {
  test('a bucket with Lambda notifications filtered by prefix and suffix validates', () => {
    const bucket = s3Bucket({
      bucketName: 'continuum-in',
      notifications: [
        {
          event: 's3:ObjectCreated:*',
          functionArn: getAtt('Fn', 'Arn'),
          filter: { prefix: 'in/', suffix: '.jpg' },
        },
      ],
      dependsOn: ['FnPermission'],
      retain: true,
      tags: [{ Key: 'app', Value: 'continuum' }],
    });
    validate({
      Bucket: bucket,
      FnPermission: lambdaPermission({
        functionArn: getAtt('Fn', 'Arn'),
        principal: 's3.amazonaws.com',
        sourceArn: arn.bucket('continuum-in'),
        sourceAccount: ref('AWS::AccountId'),
      }),
    });
    assert.deepEqual(bucket.Properties?.NotificationConfiguration, {
      LambdaConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Function: { 'Fn::GetAtt': ['Fn', 'Arn'] },
          Filter: {
            S3Key: {
              Rules: [
                { Name: 'prefix', Value: 'in/' },
                { Name: 'suffix', Value: '.jpg' },
              ],
            },
          },
        },
      ],
    });
    assert.equal(bucket.DeletionPolicy, 'Retain');
    assert.deepEqual(bucket.DependsOn, ['FnPermission']);
  });

  test('a bucket blocks public access and encrypts by default, and has no filter without rules', () => {
    const bucket = s3Bucket({
      notifications: [{ event: 's3:ObjectCreated:*', functionArn: getAtt('Fn', 'Arn') }],
    });
    validate({ Bucket: bucket });
    const props = bucket.Properties ?? {};
    assert.equal(dig(props, 'PublicAccessBlockConfiguration', 'BlockPublicAcls'), true);
    assert.deepEqual(dig(props, 'BucketEncryption', 'ServerSideEncryptionConfiguration'), [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    assert.deepEqual(dig(props, 'NotificationConfiguration', 'LambdaConfigurations'), [
      { Event: 's3:ObjectCreated:*', Function: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
    ]);
    assert.equal('BucketName' in props, false);
  });

  test('a bucket policy validates', () => {
    validate({
      Bucket: s3Bucket({}),
      BucketPolicy: s3BucketPolicy(ref('Bucket'), [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [getAtt('Bucket', 'Arn')],
          Condition: { Bool: { 'aws:SecureTransport': false } },
        },
      ]),
    });
  });
});

describe('IAM statements', () => {
  test('object ARNs are scoped to the bucket and prefix, never *', () => {
    assert.deepEqual(arn.objects('b', 'in'), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/in/*' });
    assert.deepEqual(arn.objects('b', 'in/'), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/in/*' });
    assert.deepEqual(arn.objects('b', '/in/deep'), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/in/deep/*' });
    assert.deepEqual(arn.objects('b'), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/*' });
    assert.deepEqual(arn.bucket('b'), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b' });
  });

  test('read statements grant GetObject under the prefix and ListBucket only with the s3:prefix condition', () => {
    const [get, list] = s3ReadStatements('data', 'in/');
    assert.deepEqual(get, {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::data/in/*' }],
    });
    assert.deepEqual(list, {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::data' }],
      Condition: { StringLike: { 's3:prefix': ['in/*', 'in'] } },
    });
  });

  test('listStatement over a whole bucket carries no condition', () => {
    assert.equal(listStatement('data').Condition, undefined);
    assert.equal(listStatement('data', '/').Condition, undefined);
  });

  test('listStatement reads a prefix with or without slashes as the same folder', () => {
    for (const prefix of ['in', 'in/', '/in', '/in/']) {
      assert.deepEqual(listStatement('data', prefix).Condition, {
        StringLike: { 's3:prefix': ['in/*', 'in'] },
      });
    }
  });

  test('write and delete statements are scoped to the prefix', () => {
    assert.deepEqual(s3WriteStatements('out', 'results')[0]?.Resource, [
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::out/results/*' },
    ]);
    assert.deepEqual(s3WriteStatements('out', 'results')[0]?.Action, [
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ]);
    assert.deepEqual(s3DeleteStatements('out', 'tmp'), [
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::out/tmp/*' }],
      },
    ]);
  });

  test('mergeStatements joins resources of statements with the same effect, actions and condition', () => {
    const merged = mergeStatements([
      ...s3ReadStatements('a', 'in'),
      ...s3ReadStatements('b', 'in'),
      ...s3ReadStatements('a', 'in'),
      { Effect: 'Allow', Action: ['s3:GetObjectVersion', 's3:GetObject'], Resource: arn.objects('c') },
    ]);
    assert.deepEqual(merged, [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::a/in/*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/in/*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::c/*' },
        ],
      },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::a' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b' },
        ],
        Condition: { StringLike: { 's3:prefix': ['in/*', 'in'] } },
      },
    ]);
  });

  test('mergeStatements keeps statements with different conditions or effects apart, and the input intact', () => {
    const input: PolicyStatement[] = [
      listStatement('a', 'in'),
      listStatement('a', 'out'),
      { Effect: 'Deny', Action: ['s3:ListBucket'], Resource: arn.bucket('a') },
    ];
    const before = JSON.stringify(input);
    assert.equal(mergeStatements(input).length, 3);
    assert.equal(JSON.stringify(input), before);
  });

  test('a policy, a role with inline statements and an instance profile validate', () => {
    const statements = mergeStatements([
      ...s3ReadStatements('data', 'in'),
      ...s3WriteStatements('data', 'out'),
    ]);
    const policy = iamPolicy({ policyName: 'continuum-data', roles: [ref('Role')], statements });
    const role = iamRole({
      servicePrincipals: ['ec2.amazonaws.com'],
      managedPolicyArns: [
        sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role'),
      ],
      statements,
      policyName: 'batch-data',
      roleName: 'continuum-instance',
    });
    validate({
      Policy: policy,
      InstanceRole: role,
      InstanceProfile: iamInstanceProfile([ref('InstanceRole')]),
    });
    assert.equal(JSON.stringify(policy).includes('"*"'), false);
    assert.deepEqual(dig(role, 'Properties', 'AssumeRolePolicyDocument', 'Statement', 0, 'Principal'), {
      Service: ['ec2.amazonaws.com'],
    });
    assert.equal(dig(role, 'Properties', 'Policies', 0, 'PolicyName'), 'batch-data');
  });
});

describe('SQS builders', () => {
  test('a queue with its dead-letter queue validates and redrives to it', () => {
    const queues = sqsQueueWithDlq({
      queueId: 'Work',
      dlqId: 'WorkDlq',
      visibilityTimeout: 900,
      maxReceiveCount: 5,
    });
    validate(queues);
    assert.deepEqual(queues.Work?.Properties?.RedrivePolicy, {
      deadLetterTargetArn: { 'Fn::GetAtt': ['WorkDlq', 'Arn'] },
      maxReceiveCount: 5,
    });
    assert.equal(queues.Work?.Properties?.VisibilityTimeout, 900);
    assert.equal(queues.WorkDlq?.Properties?.MessageRetentionPeriod, 1209600);
  });

  test('a named FIFO queue validates', () => {
    const queue = sqsQueue({ queueName: 'jobs.fifo', fifo: true, messageRetentionPeriod: 3600 });
    validate({ Jobs: queue });
    assert.equal(queue.Properties?.FifoQueue, true);
  });
});

describe('DynamoDB builder', () => {
  test('a pay-per-request table with hash and range keys and a TTL validates', () => {
    const table = dynamoTable({
      tableName: 'runs',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      ttlAttribute: 'expiresAt',
    });
    validate({ Table: table });
    assert.deepEqual(table.Properties?.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.Properties?.TimeToLiveSpecification, {
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  test('a table with only a partition key validates', () => {
    validate({ Table: dynamoTable({ partitionKey: { name: 'id', type: 'N' } }) });
  });
});

describe('AWS Batch builders', () => {
  const network = {
    instanceRoleArn: getAtt('InstanceProfile', 'Arn'),
    subnets: ['subnet-1', 'subnet-2'],
    securityGroupIds: ['sg-1'],
    maxvCpus: 16,
  };
  const batchBase: Record<string, CfnResource> = {
    InstanceRole: iamRole({ servicePrincipals: ['ec2.amazonaws.com'] }),
    InstanceProfile: iamInstanceProfile([ref('InstanceRole')]),
  };

  test('an EC2 compute environment, its queue and a job definition validate', () => {
    const compute = batchComputeEnvironment({ ...network, instanceTypes: ['optimal'] });
    const queue = batchJobQueue({ computeEnvironmentArns: [ref('Compute')], priority: 10 });
    const job = batchJobDefinition({
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:0',
      vcpus: 2,
      memory: 4096,
      command: ['/opt/continuum/node', '/opt/continuum/supervisor.js'],
      environment: { CONTINUUM_MODE: 'batch', CONTINUUM_TABLE: ref('Fn') },
      jobRoleArn: getAtt('Role', 'Arn'),
      timeoutSeconds: 3600,
      retryAttempts: 2,
    });
    validate({ ...batchBase, Compute: compute, Queue: queue, Job: job });
    const resources = dig(compute, 'Properties', 'ComputeResources') as Record<string, unknown>;
    assert.equal(resources.Type, 'EC2');
    assert.deepEqual(resources.Ec2Configuration, [{ ImageType: 'ECS_AL2' }]);
    assert.deepEqual(dig(queue, 'Properties', 'ComputeEnvironmentOrder'), [
      { Order: 1, ComputeEnvironment: { Ref: 'Compute' } },
    ]);
    const container = dig(job, 'Properties', 'ContainerProperties');
    assert.deepEqual(dig(container, 'ResourceRequirements'), [
      { Type: 'VCPU', Value: '2' },
      { Type: 'MEMORY', Value: '4096' },
    ]);
    assert.deepEqual(dig(container, 'Environment', 1), { Name: 'CONTINUUM_TABLE', Value: { Ref: 'Fn' } });
    assert.deepEqual(dig(job, 'Properties', 'Timeout'), { AttemptDurationSeconds: 3600 });
  });

  test('a GPU compute environment uses the ECS GPU AMI and the job definition asks for the GPUs', () => {
    const compute = batchComputeEnvironment({ ...network, instanceTypes: ['g4dn.xlarge'], gpu: true });
    const job = batchJobDefinition({
      image: 'registry.example.org/gpu-app:1',
      vcpus: 4,
      memory: 16384,
      gpu: 1,
    });
    validate({ ...batchBase, Gpu: compute, GpuJob: job });
    assert.deepEqual(dig(compute, 'Properties', 'ComputeResources', 'Ec2Configuration'), [
      { ImageType: 'ECS_AL2_NVIDIA' },
    ]);
    assert.deepEqual(dig(job, 'Properties', 'ContainerProperties', 'ResourceRequirements', 2), {
      Type: 'GPU',
      Value: '1',
    });
  });

  test('a Spot compute environment uses Spot capacity and the fleet role when given', () => {
    const compute = batchComputeEnvironment({
      ...network,
      instanceTypes: ['c5.large', 'm5.large'],
      spot: true,
      spotFleetRoleArn: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/spot-fleet'),
      desiredvCpus: 0,
      serviceRoleArn: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/batch'),
    });
    validate({ ...batchBase, Spot: compute });
    const resources = dig(compute, 'Properties', 'ComputeResources') as Record<string, unknown>;
    assert.equal(resources.Type, 'SPOT');
    assert.equal(resources.AllocationStrategy, 'SPOT_CAPACITY_OPTIMIZED');
    assert.ok(resources.SpotIamFleetRole);
  });
});

describe('API Gateway builders', () => {
  test('a REST api with a resource, a Lambda proxy method and a deployment validates', () => {
    const api = apiRestApi({ name: 'continuum' });
    const method = apiLambdaProxyMethod({
      restApiId: ref('Api'),
      resourceId: ref('ApiRun'),
      httpMethod: 'POST',
      functionArn: getAtt('Fn', 'Arn'),
    });
    validate({
      Api: api,
      ApiRun: apiResource({
        restApiId: ref('Api'),
        parentId: getAtt('Api', 'RootResourceId'),
        pathPart: 'run',
      }),
      ApiRunPost: method,
      ApiDeployment: apiDeployment({ restApiId: ref('Api'), stageName: 'dev', dependsOn: ['ApiRunPost'] }),
      ApiPermission: lambdaPermission({
        functionArn: getAtt('Fn', 'Arn'),
        principal: 'apigateway.amazonaws.com',
        sourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*'),
      }),
    });
    assert.deepEqual(dig(api, 'Properties', 'BinaryMediaTypes'), ['*/*']);
    const integration = dig(method, 'Properties', 'Integration');
    assert.equal(dig(integration, 'Type'), 'AWS_PROXY');
    assert.deepEqual(dig(integration, 'Uri', 'Fn::Sub', 1), { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } });
  });
});

describe('object key patterns, VPC and log retention', () => {
  test('s3ObjectStatement grants one kind of access on exact key patterns', () => {
    assert.deepEqual(s3ObjectStatement('write', 'out-bucket', ['res/*/_FAILED.json', 'res/*/part-*']), {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::out-bucket/res/*/_FAILED.json' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::out-bucket/res/*/part-*' },
      ],
    });
  });

  test('inVpc reads the VpcConfig the framework compiled, not the configuration', () => {
    const template = {
      Resources: {
        InLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { VpcConfig: { SubnetIds: ['s'] } } },
        OutLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
      },
    };
    assert.equal(inVpc(template, 'InLambdaFunction'), true);
    assert.equal(inVpc(template, 'OutLambdaFunction'), false);
    assert.equal(inVpc(template, 'MissingLambdaFunction'), false);
  });

  test('a function keeps its logs for its own retention, else the provider’s, else 30 days', () => {
    assert.equal(logRetentionInDays(7, 90), 7);
    assert.equal(logRetentionInDays(undefined, 90), 90);
    assert.equal(logRetentionInDays(undefined, undefined), 30);
    assert.equal(DEFAULT_LOG_RETENTION_DAYS, 30);
    assert.ok(LOG_RETENTION_DAYS.includes(1096) && !LOG_RETENTION_DAYS.includes(8 as never));
  });
});
