// IAM policy statements scoped to ARNs: least privilege from the names in the config, never `*` when a name is known.
import type { CfnTemplate, CfnValue } from './types';

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: Array<CfnValue> | CfnValue;
  Condition?: Record<string, unknown>;
}

const partition = '${AWS::Partition}';

export const arn = {
  bucket: (bucket: string): CfnValue => ({ 'Fn::Sub': `arn:${partition}:s3:::${bucket}` }),
  /** Objects whose keys match `keyPattern`, where `*` stands for any characters, `/` included. */
  object: (bucket: string, keyPattern: string): CfnValue => ({
    'Fn::Sub': `arn:${partition}:s3:::${bucket}/${keyPattern}`,
  }),
  /** Objects under a prefix (`''` = the whole bucket). */
  objects: (bucket: string, prefix = ''): CfnValue => ({
    'Fn::Sub': `arn:${partition}:s3:::${bucket}/${prefix.replace(/^\/+/, '')}${prefix && !prefix.endsWith('/') ? '/' : ''}*`,
  }),
  queue: (logicalId: string): CfnValue => ({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
  table: (logicalId: string): CfnValue => ({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
  lambda: (functionLogicalId: string): CfnValue => ({ 'Fn::GetAtt': [functionLogicalId, 'Arn'] }),
  /**
   * A function by its Lambda name: for a role its own functions depend on, where a `GetAtt` back to
   * the function would be a dependency cycle.
   */
  lambdaByName: (functionName: string): CfnValue => ({
    'Fn::Sub': `arn:${partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`,
  }),
  /** An SSM parameter of the stack's account and region, by its name (a leading `/` is not doubled). */
  ssmParameter: (name: string): CfnValue => ({
    'Fn::Sub': `arn:${partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name.replace(/^\/+/, '')}`,
  }),
  /** Every KMS key of an account and region (the stack's when not given): narrow it with a condition. */
  kmsKeys: (where?: { partition: string; region: string; account: string }): CfnValue =>
    where
      ? `arn:${where.partition}:kms:${where.region}:${where.account}:key/*`
      : { 'Fn::Sub': `arn:${partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/*` },
  /** A function's log group `/aws/lambda/<name>` followed by `suffix` (`:*` streams, `:*:*` events). */
  logGroup: (functionName: string, suffix = ''): CfnValue => ({
    'Fn::Sub': `arn:${partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}${suffix}`,
  }),
};

/**
 * Mounting an EFS access point read-write, and nothing else. EFS authorises ClientMount and ClientWrite on the
 * file system (not the access point), and the access point ARN does not name its file system: the statement
 * covers the file systems of the access point's account and region, narrowed to that one access point.
 */
export function efsAccessPointStatements(accessPointArn: string): PolicyStatement[] {
  const [, arnPartition, , region, account] = accessPointArn.split(':');
  return [
    {
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: [`arn:${arnPartition}:elasticfilesystem:${region}:${account}:file-system/*`],
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn } },
    },
  ];
}

/** The actions each kind of object access takes (HeadObject is authorised as GetObject). */
export const S3_OBJECT_ACTIONS = {
  read: ['s3:GetObject', 's3:GetObjectVersion'],
  write: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  delete: ['s3:DeleteObject'],
} as const;

/** One kind of access to the objects whose keys match `keyPatterns` (see `arn.object`). */
export function s3ObjectStatement(
  access: keyof typeof S3_OBJECT_ACTIONS,
  bucket: string,
  keyPatterns: string[],
): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: [...S3_OBJECT_ACTIONS[access]],
    Resource: keyPatterns.map((pattern) => arn.object(bucket, pattern)),
  };
}

export function s3ReadStatements(bucket: string, prefix = ''): PolicyStatement[] {
  return [
    { Effect: 'Allow', Action: [...S3_OBJECT_ACTIONS.read], Resource: [arn.objects(bucket, prefix)] },
    listStatement(bucket, prefix),
  ];
}

export function s3WriteStatements(bucket: string, prefix = ''): PolicyStatement[] {
  return [{ Effect: 'Allow', Action: [...S3_OBJECT_ACTIONS.write], Resource: [arn.objects(bucket, prefix)] }];
}

export function s3DeleteStatements(bucket: string, prefix = ''): PolicyStatement[] {
  return [
    { Effect: 'Allow', Action: [...S3_OBJECT_ACTIONS.delete], Resource: [arn.objects(bucket, prefix)] },
  ];
}

/** ListBucket is granted on the bucket, narrowed to the prefix with the `s3:prefix` condition. */
export function listStatement(bucket: string, prefix = ''): PolicyStatement {
  const statement: PolicyStatement = {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [arn.bucket(bucket)],
  };
  // Keys never start with `/`, so `/in/` and `in` name the same folder (as in `arn.objects`).
  const folder = prefix.replace(/^\/+|\/+$/g, '');
  if (folder) statement.Condition = { StringLike: { 's3:prefix': [`${folder}/*`, folder] } };
  return statement;
}

/** Merges statements with identical Effect/Action/Condition so policies stay short and readable. */
export function mergeStatements(statements: PolicyStatement[]): PolicyStatement[] {
  const merged = new Map<string, PolicyStatement>();
  for (const statement of statements) {
    const key = JSON.stringify([statement.Effect, [...statement.Action].sort(), statement.Condition ?? null]);
    const existing = merged.get(key);
    const resources = [statement.Resource].flat();
    if (!existing) {
      merged.set(key, { ...statement, Resource: resources });
      continue;
    }
    const current = [existing.Resource].flat();
    for (const resource of resources) {
      if (!current.some((r) => JSON.stringify(r) === JSON.stringify(resource))) current.push(resource);
    }
    existing.Resource = current;
  }
  return [...merged.values()];
}

/** The managed policy a function needs to reach a VPC (its network interfaces), as the framework's own role gets it. */
export const VPC_ACCESS_POLICY: CfnValue = {
  'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
};

/**
 * Whether the framework attached a compiled function to a VPC. Read from the template, after the framework
 * compiled its functions: it alone decides (function-level `vpc`, else `provider.vpc`, none when either lacks
 * subnets or security groups, or `vpc: null`), and while compiling it sets `provider.vpc` and every function's
 * `vpc` to `{}`, so the configuration no longer tells.
 */
export function inVpc(template: CfnTemplate, functionLogicalId: string): boolean {
  const properties = template.Resources[functionLogicalId]?.Properties as { VpcConfig?: unknown } | undefined;
  return properties?.VpcConfig !== undefined;
}
