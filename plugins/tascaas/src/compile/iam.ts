// Least-privilege statements for each tascaas function's own role, and for a block's `worker`: exactly the
// queues, table actions, objects and secret that function's part of the service uses (the README's IAM section
// tells the same per function).
import {
  arn,
  listStatement,
  mergeStatements,
  s3ObjectStatement,
  type CfnValue,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import type { SecretSetting, TascaasSettings } from '../config';
import type { JobDefinition } from '../service/types';
import {
  SECRET_ID,
  TABLE_ID,
  deadLetterQueueLogicalId,
  functionName,
  queueLogicalId,
  type Role,
  type ServiceContext,
} from './names';

/** Who the statements are for: one of the plugin's five functions, or a block's worker. */
export type Grantee = Role | 'worker';

/**
 * Key patterns of what a job writes under its definition's results (job ids hold no `/`): each attempt's
 * result and checkpoint `<results><job>/partition-NNNNN/attempt-N.result|.checkpoint`, the job's `_SUCCESS.json`.
 */
export function resultKeyPatterns(definition: JobDefinition) {
  const { prefix } = definition.results;
  return {
    results: `${prefix}*/partition-*/attempt-*.result`,
    checkpoints: `${prefix}*/partition-*/attempt-*.checkpoint`,
    success: `${prefix}*/_SUCCESS.json`,
  };
}

/** SQS actions on the partition queues. */
export const QUEUE_ACTIONS: Record<Grantee, string[]> = {
  // A job's first partitions.
  submit: ['sqs:SendMessage'],
  // /node/{id}/jobs receives and leases; update, release and disconnect change the lease; the balancer may add
  // partitions on any event it is told (a delivery too); a delivery of a partition already complete is deleted.
  dispatch: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage', 'sqs:DeleteMessage'],
  // Lease extension on start/report, deletion at completion, partitions the balancer adds.
  balance: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:SendMessage'],
  // The backlog, for the capacity hint.
  monitor: ['sqs:GetQueueAttributes'],
  status: [],
  // The SQS event source (receive, delete, attributes) and what the in-process channel does like balance.
  worker: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:ChangeMessageVisibility',
    'sqs:SendMessage',
    'sqs:GetQueueAttributes',
  ],
};

/** SQS actions on the dead-letter queues: only the monitor reads them (a dead-lettered partition fails its job). */
export const DEAD_LETTER_ACTIONS: Record<Grantee, string[]> = {
  submit: [],
  dispatch: [],
  balance: [],
  monitor: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  status: [],
  worker: [],
};

/** DynamoDB actions on the service's table. */
export const TABLE_ACTIONS: Record<Grantee, string[]> = {
  submit: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  // Nodes come and go: a disconnect deletes the node's items.
  dispatch: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'dynamodb:DeleteItem',
  ],
  balance: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  monitor: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  status: ['dynamodb:GetItem', 'dynamodb:Query'],
  worker: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
};

/** Who reads the secret: everything that checks the API's bearer, a node's secret or a partition token. */
const READS_SECRET: Record<Grantee, boolean> = {
  submit: true,
  dispatch: true,
  balance: true,
  monitor: false,
  status: true,
  worker: true,
};

/**
 * S3 per grantee, on every block's locations. Presigned URLs are signed with the role that signs them, so the
 * dispatcher (which hands them out) needs what the programs then do: GET the input and the last checkpoint,
 * PUT results and checkpoints. Where a missing object is an answer rather than a fault (a finish before its
 * result is uploaded; a job naming an input that is not there), the role also lists the prefix: without
 * ListBucket, S3 answers a HEAD of a missing object with 403 instead of 404.
 */
function storageStatements(grantee: Grantee, definitions: JobDefinition[]): PolicyStatement[] {
  return definitions.flatMap((definition) => {
    const { results, input } = definition;
    const keys = resultKeyPatterns(definition);
    const inputRead = input ? [s3ObjectStatement('read', input.bucket, [`${input.prefix}*`])] : [];
    const inputList = input ? [listStatement(input.bucket, input.prefix)] : [];
    switch (grantee) {
      case 'submit':
        // The uploaded `*.config` and, to check it exists, the input it names.
        return [...inputRead, ...inputList];
      case 'dispatch':
        return [
          ...inputRead,
          s3ObjectStatement('read', results.bucket, [keys.checkpoints]),
          s3ObjectStatement('write', results.bucket, [keys.results, keys.checkpoints]),
        ];
      case 'worker':
        // In-process, it also finishes its partitions like balance (HEAD of its result).
        return [
          ...inputRead,
          s3ObjectStatement('read', results.bucket, [keys.results, keys.checkpoints]),
          s3ObjectStatement('write', results.bucket, [keys.results, keys.checkpoints]),
          listStatement(results.bucket, results.prefix),
        ];
      case 'balance':
        // A finish completes the partition when its result exists (HeadObject); the last one writes the list.
        return [
          s3ObjectStatement('read', results.bucket, [keys.results]),
          s3ObjectStatement('write', results.bucket, [keys.success]),
          listStatement(results.bucket, results.prefix),
        ];
      default:
        return [];
    }
  });
}

/** The secret's ARN as IAM matches it (a Secrets Manager name stands for `<name>-` and AWS's 6 characters). */
export function secretArn(secret: SecretSetting): CfnValue {
  switch (secret.source) {
    case 'generated':
      return { Ref: SECRET_ID };
    case 'ssm':
      return secret.arn ?? arn.ssmParameter(secret.name);
    case 'secretsmanager':
      return (
        secret.arn ?? {
          'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${secret.id}-??????`,
        }
      );
  }
}

/**
 * Read on exactly the secret. A parameter or secret of the user's may be encrypted with a customer managed
 * key: `kms:Decrypt` is narrowed to calls through that service for this very secret (its encryption context).
 */
export function secretStatements(secret: SecretSetting): PolicyStatement[] {
  const resource = secretArn(secret);
  if (secret.source === 'generated') {
    return [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [resource] }];
  }
  const service = secret.source;
  const context = service === 'ssm' ? 'PARAMETER_ARN' : 'SecretARN';
  return [
    {
      Effect: 'Allow',
      Action: [service === 'ssm' ? 'ssm:GetParameter' : 'secretsmanager:GetSecretValue'],
      Resource: [resource],
    },
    {
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [arn.kmsKeys()],
      Condition: {
        StringLike: {
          [`kms:EncryptionContext:${context}`]: [resource],
          'kms:ViaService': `${service}.*.amazonaws.com`,
        },
      },
    },
  ];
}

/** The statements of one grantee; `logGroupsOf` are the functions whose log streams it writes (none for a worker). */
export function grantStatements(
  grantee: Grantee,
  settings: TascaasSettings,
  logGroupsOf: string[] = [],
): PolicyStatement[] {
  const { definitions } = settings;
  const statements: PolicyStatement[] = [];
  if (logGroupsOf.length) {
    // The framework creates the log groups; the role only writes its own functions' streams.
    statements.push({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: logGroupsOf.map((name) => arn.logGroup(name, ':*')),
    });
  }
  const queues = (actions: string[], id: (job: string) => string) => {
    if (actions.length && definitions.length) {
      statements.push({
        Effect: 'Allow',
        Action: actions,
        Resource: definitions.map((d) => arn.queue(id(d.name))),
      });
    }
  };
  queues(QUEUE_ACTIONS[grantee], queueLogicalId);
  queues(DEAD_LETTER_ACTIONS[grantee], deadLetterQueueLogicalId);
  statements.push({ Effect: 'Allow', Action: TABLE_ACTIONS[grantee], Resource: [arn.table(TABLE_ID)] });
  statements.push(...storageStatements(grantee, definitions));
  if (READS_SECRET[grantee]) statements.push(...secretStatements(settings.secret));
  return mergeStatements(statements);
}

/**
 * One of the five roles' statements; `names` are the role's deployed functions (more than one when its S3
 * triggers span several existing buckets).
 */
export function roleStatements(
  ctx: ServiceContext,
  settings: TascaasSettings,
  role: Role,
  names: string[] = [functionName(ctx, role)],
): PolicyStatement[] {
  return grantStatements(role, settings, names);
}

/** What a block's worker function needs beyond what its own role grants, on that block's queue only. */
export function workerStatements(settings: TascaasSettings, definition: JobDefinition): PolicyStatement[] {
  return grantStatements('worker', { ...settings, definitions: [definition] });
}
