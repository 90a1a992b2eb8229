// Typed builders, one per CloudFormation resource type the suite emits: the whole template shape in one place.
import type { CfnResource, CfnValue } from './types';
import type { PolicyStatement } from './iam';

type Tags = Array<{ Key: string; Value: string }>;

// ---------- S3 ----------

export interface S3NotificationFilter {
  prefix?: string;
  suffix?: string;
}

export interface LambdaNotification {
  event: string; // e.g. 's3:ObjectCreated:*'
  functionArn: CfnValue;
  filter?: S3NotificationFilter;
}

function notificationFilter(filter?: S3NotificationFilter): Record<string, unknown> | undefined {
  const rules = [
    ...(filter?.prefix ? [{ Name: 'prefix', Value: filter.prefix }] : []),
    ...(filter?.suffix ? [{ Name: 'suffix', Value: filter.suffix }] : []),
  ];
  return rules.length ? { S3Key: { Rules: rules } } : undefined;
}

export function s3Bucket(options: {
  bucketName?: CfnValue;
  notifications?: LambdaNotification[];
  dependsOn?: string[];
  retain?: boolean;
  tags?: Tags;
}): CfnResource {
  const properties: Record<string, unknown> = {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
  };
  if (options.bucketName !== undefined) properties.BucketName = options.bucketName;
  if (options.notifications?.length) {
    properties.NotificationConfiguration = {
      LambdaConfigurations: options.notifications.map((n) => {
        const filter = notificationFilter(n.filter);
        return { Event: n.event, Function: n.functionArn, ...(filter ? { Filter: filter } : {}) };
      }),
    };
  }
  if (options.tags?.length) properties.Tags = options.tags;
  return {
    Type: 'AWS::S3::Bucket',
    Properties: properties,
    ...(options.dependsOn?.length ? { DependsOn: options.dependsOn } : {}),
    ...(options.retain ? { DeletionPolicy: 'Retain' as const, UpdateReplacePolicy: 'Retain' as const } : {}),
  };
}

export function s3BucketPolicy(bucket: CfnValue, statements: Array<Record<string, unknown>>): CfnResource {
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: { Bucket: bucket, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
  };
}

// ---------- Lambda ----------

/** Lets a service principal (S3, API Gateway, ...) invoke a function, scoped to the source ARN. */
export function lambdaPermission(options: {
  functionArn: CfnValue;
  principal: string;
  sourceArn?: CfnValue;
  sourceAccount?: CfnValue;
}): CfnResource {
  return {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      Action: 'lambda:InvokeFunction',
      FunctionName: options.functionArn,
      Principal: options.principal,
      ...(options.sourceArn !== undefined ? { SourceArn: options.sourceArn } : {}),
      ...(options.sourceAccount !== undefined ? { SourceAccount: options.sourceAccount } : {}),
    },
  };
}

// ---------- IAM ----------

export function iamPolicy(options: {
  policyName: CfnValue;
  roles: CfnValue[];
  statements: PolicyStatement[];
}): CfnResource {
  return {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: options.policyName,
      Roles: options.roles,
      PolicyDocument: { Version: '2012-10-17', Statement: options.statements },
    },
  };
}

export function iamRole(options: {
  servicePrincipals: string[];
  managedPolicyArns?: CfnValue[];
  statements?: PolicyStatement[];
  policyName?: string;
  roleName?: CfnValue;
}): CfnResource {
  const properties: Record<string, unknown> = {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: options.servicePrincipals }, Action: ['sts:AssumeRole'] },
      ],
    },
  };
  if (options.roleName !== undefined) properties.RoleName = options.roleName;
  if (options.managedPolicyArns?.length) properties.ManagedPolicyArns = options.managedPolicyArns;
  if (options.statements?.length) {
    properties.Policies = [
      {
        PolicyName: options.policyName ?? 'continuum',
        PolicyDocument: { Version: '2012-10-17', Statement: options.statements },
      },
    ];
  }
  return { Type: 'AWS::IAM::Role', Properties: properties };
}

export function iamInstanceProfile(roles: CfnValue[]): CfnResource {
  return { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: roles } };
}

// ---------- SQS ----------

export function sqsQueue(options: {
  queueName?: CfnValue;
  visibilityTimeout?: number;
  messageRetentionPeriod?: number;
  deadLetterTargetArn?: CfnValue;
  maxReceiveCount?: number;
  fifo?: boolean;
}): CfnResource {
  const properties: Record<string, unknown> = { SqsManagedSseEnabled: true };
  if (options.queueName !== undefined) properties.QueueName = options.queueName;
  if (options.visibilityTimeout !== undefined) properties.VisibilityTimeout = options.visibilityTimeout;
  if (options.messageRetentionPeriod !== undefined)
    properties.MessageRetentionPeriod = options.messageRetentionPeriod;
  if (options.fifo) properties.FifoQueue = true;
  if (options.deadLetterTargetArn !== undefined) {
    properties.RedrivePolicy = {
      deadLetterTargetArn: options.deadLetterTargetArn,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    };
  }
  return { Type: 'AWS::SQS::Queue', Properties: properties };
}

/** A partition queue and its dead-letter queue, keyed by the two logical ids you pass. */
export function sqsQueueWithDlq(options: {
  queueId: string;
  dlqId: string;
  visibilityTimeout?: number;
  maxReceiveCount?: number;
}): Record<string, CfnResource> {
  return {
    [options.dlqId]: sqsQueue({ messageRetentionPeriod: 1209600 }),
    [options.queueId]: sqsQueue({
      visibilityTimeout: options.visibilityTimeout,
      deadLetterTargetArn: { 'Fn::GetAtt': [options.dlqId, 'Arn'] },
      maxReceiveCount: options.maxReceiveCount,
    }),
  };
}

// ---------- DynamoDB ----------

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}

export function dynamoTable(options: {
  tableName?: CfnValue;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  ttlAttribute?: string;
}): CfnResource {
  const attributes = [options.partitionKey, ...(options.sortKey ? [options.sortKey] : [])];
  const properties: Record<string, unknown> = {
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [
      { AttributeName: options.partitionKey.name, KeyType: 'HASH' },
      ...(options.sortKey ? [{ AttributeName: options.sortKey.name, KeyType: 'RANGE' }] : []),
    ],
    SSESpecification: { SSEEnabled: true },
  };
  if (options.tableName !== undefined) properties.TableName = options.tableName;
  if (options.ttlAttribute) {
    properties.TimeToLiveSpecification = { AttributeName: options.ttlAttribute, Enabled: true };
  }
  return { Type: 'AWS::DynamoDB::Table', Properties: properties };
}

// ---------- AWS Batch ----------

export interface BatchComputeOptions {
  serviceRoleArn?: CfnValue;
  instanceRoleArn: CfnValue; // instance profile ARN
  subnets: CfnValue[];
  securityGroupIds: CfnValue[];
  instanceTypes: string[];
  minvCpus?: number;
  maxvCpus: number;
  desiredvCpus?: number;
  spot?: boolean;
  spotFleetRoleArn?: CfnValue;
  gpu?: boolean;
  /** An existing EC2 launch template the instances start from (its default version). */
  launchTemplateName?: string;
}

export function batchComputeEnvironment(options: BatchComputeOptions): CfnResource {
  const computeResources: Record<string, unknown> = {
    Type: options.spot ? 'SPOT' : 'EC2',
    AllocationStrategy: options.spot ? 'SPOT_CAPACITY_OPTIMIZED' : 'BEST_FIT_PROGRESSIVE',
    MinvCpus: options.minvCpus ?? 0,
    MaxvCpus: options.maxvCpus,
    InstanceTypes: options.instanceTypes,
    InstanceRole: options.instanceRoleArn,
    Subnets: options.subnets,
    SecurityGroupIds: options.securityGroupIds,
    // ECS_AL2_NVIDIA is the ECS-optimised GPU AMI; without it a GPU instance has no usable driver.
    Ec2Configuration: [{ ImageType: options.gpu ? 'ECS_AL2_NVIDIA' : 'ECS_AL2' }],
  };
  if (options.desiredvCpus !== undefined) computeResources.DesiredvCpus = options.desiredvCpus;
  if (options.launchTemplateName !== undefined)
    computeResources.LaunchTemplate = { LaunchTemplateName: options.launchTemplateName };
  if (options.spot && options.spotFleetRoleArn !== undefined)
    computeResources.SpotIamFleetRole = options.spotFleetRoleArn;
  return {
    Type: 'AWS::Batch::ComputeEnvironment',
    Properties: {
      Type: 'MANAGED',
      State: 'ENABLED',
      ...(options.serviceRoleArn !== undefined ? { ServiceRole: options.serviceRoleArn } : {}),
      ComputeResources: computeResources,
    },
  };
}

export function batchJobQueue(options: {
  computeEnvironmentArns: CfnValue[];
  priority?: number;
}): CfnResource {
  return {
    Type: 'AWS::Batch::JobQueue',
    Properties: {
      State: 'ENABLED',
      Priority: options.priority ?? 1,
      ComputeEnvironmentOrder: options.computeEnvironmentArns.map((arn, i) => ({
        Order: i + 1,
        ComputeEnvironment: arn,
      })),
    },
  };
}

export function batchJobDefinition(options: {
  image: CfnValue;
  vcpus: number;
  memory: number;
  gpu?: number;
  command?: string[];
  environment?: Record<string, CfnValue>;
  jobRoleArn?: CfnValue;
  /** Variables whose values Batch reads from SSM or Secrets Manager (`ValueFrom`: an ARN) when the job starts. */
  secrets?: Array<{ name: string; valueFrom: CfnValue }>;
  /** The role Batch reads `secrets` with (not the job's own role). */
  executionRoleArn?: CfnValue;
  timeoutSeconds?: number;
  retryAttempts?: number;
  /**
   * A multi-node parallel job: `nodes` instances run the same container at once (one range, `0:`), `mainNode`
   * first; the job ends when the main node's container exits.
   */
  multiNode?: { nodes: number; mainNode: number };
}): CfnResource {
  const resourceRequirements = [
    { Type: 'VCPU', Value: String(options.vcpus) },
    { Type: 'MEMORY', Value: String(options.memory) },
    ...(options.gpu ? [{ Type: 'GPU', Value: String(options.gpu) }] : []),
  ];
  const container: Record<string, unknown> = {
    Image: options.image,
    ResourceRequirements: resourceRequirements,
  };
  if (options.command) container.Command = options.command;
  if (options.jobRoleArn !== undefined) container.JobRoleArn = options.jobRoleArn;
  if (options.environment) {
    container.Environment = Object.entries(options.environment).map(([Name, Value]) => ({ Name, Value }));
  }
  if (options.secrets?.length) {
    container.Secrets = options.secrets.map((s) => ({ Name: s.name, ValueFrom: s.valueFrom }));
  }
  if (options.executionRoleArn !== undefined) container.ExecutionRoleArn = options.executionRoleArn;
  const shape = options.multiNode
    ? {
        Type: 'multinode',
        NodeProperties: {
          NumNodes: options.multiNode.nodes,
          MainNode: options.multiNode.mainNode,
          NodeRangeProperties: [{ TargetNodes: '0:', Container: container }],
        },
      }
    : { Type: 'container', ContainerProperties: container };
  return {
    Type: 'AWS::Batch::JobDefinition',
    Properties: {
      ...shape,
      // Multi-node parallel jobs run on EC2 only (never Fargate), like every job of the suite.
      PlatformCapabilities: ['EC2'],
      RetryStrategy: { Attempts: options.retryAttempts ?? 1 },
      ...(options.timeoutSeconds ? { Timeout: { AttemptDurationSeconds: options.timeoutSeconds } } : {}),
    },
  };
}

// ---------- API Gateway (REST) ----------

export function apiRestApi(options: { name: CfnValue; binaryMediaTypes?: string[] }): CfnResource {
  return {
    Type: 'AWS::ApiGateway::RestApi',
    Properties: {
      Name: options.name,
      BinaryMediaTypes: options.binaryMediaTypes ?? ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    },
  };
}

export function apiResource(options: {
  restApiId: CfnValue;
  parentId: CfnValue;
  pathPart: string;
}): CfnResource {
  return {
    Type: 'AWS::ApiGateway::Resource',
    Properties: { RestApiId: options.restApiId, ParentId: options.parentId, PathPart: options.pathPart },
  };
}

/** A Lambda proxy method (`AWS_PROXY`): the body reaches the function as-is, base64 when binary. */
export function apiLambdaProxyMethod(options: {
  restApiId: CfnValue;
  resourceId: CfnValue;
  httpMethod: string;
  functionArn: CfnValue;
  authorizationType?: 'NONE' | 'AWS_IAM';
}): CfnResource {
  return {
    Type: 'AWS::ApiGateway::Method',
    Properties: {
      RestApiId: options.restApiId,
      ResourceId: options.resourceId,
      HttpMethod: options.httpMethod,
      AuthorizationType: options.authorizationType ?? 'NONE',
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: {
          'Fn::Sub': [
            'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Arn}/invocations',
            { Arn: options.functionArn },
          ],
        },
      },
    },
  };
}

export function apiDeployment(options: {
  restApiId: CfnValue;
  stageName: string;
  dependsOn: string[];
}): CfnResource {
  return {
    Type: 'AWS::ApiGateway::Deployment',
    Properties: { RestApiId: options.restApiId, StageName: options.stageName },
    DependsOn: options.dependsOn,
  };
}
