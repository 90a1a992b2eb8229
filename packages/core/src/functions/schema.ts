// JSON schemas (as const) of the function-definition model shared by container-lambda and oscar-target.
// Types are derived from them in model.ts; plugins compose these blocks into their own config schemas.

/** `bucket[/prefix]`: the bucket part follows S3's naming rules (SCAR and OSCAR write storage paths this way). */
export const storagePathSchema = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$',
} as const;

/** `<provider>[.<id>]` as in FDL: `s3`, `s3.my_account`, `minio.my_minio`. */
export const storageProviderSchema = {
  type: 'string',
  pattern: '^(s3|minio|onedata)(\\.[A-Za-z0-9_-]+)?$',
} as const;

const filterList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } as const;

export const storageBindingSchema = {
  type: 'object',
  properties: {
    storage: storageProviderSchema,
    path: storagePathSchema,
    /** Output: relative paths must start with one of these. Input: keys under the path must start with one. */
    prefix: filterList,
    /** Keys must end with one of these (`.png` or SCAR's `png`). */
    suffix: filterList,
    /** The bucket exists already: attach to it instead of creating it. */
    existing: { type: 'boolean' },
  },
  required: ['storage', 'path'],
  additionalProperties: false,
} as const;

export const containerSchema = {
  type: 'object',
  properties: {
    /** Any registry image to build on, or an ECR uri pinned by digest (prebuilt: nothing is built). */
    image: { type: 'string', minLength: 1 },
    /** Run with /bin/sh on every event; path relative to the service folder. */
    script: { type: 'string', minLength: 1 },
    /** Variables the script sees. */
    environment: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
    },
    /**
     * Variables the script sees whose values live in AWS: `NAME: <SSM parameter name or ARN, or Secrets
     * Manager secret ARN>`. Only the reference is written anywhere; the value is read at run time.
     */
    secrets: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string', minLength: 1 },
    },
    /** The image is musl-based (Alpine): bring the musl build of Node.js for the supervisor. */
    alpine: { type: 'boolean' },
  },
  required: ['image'],
  additionalProperties: false,
} as const;

export const executionSchema = { enum: ['lambda', 'batch', 'lambda-batch'] } as const;

// IAM ARNs as AWS Batch takes them; the account may be CloudFormation's own (`${AWS::AccountId}`, from SCAR's
// `{account_id}`).
const IAM_ARN = 'arn:aws(-[a-z]+)*:iam::(\\d{12}|\\$\\{AWS::AccountId\\}):';
const IAM_PATH_NAME = '[A-Za-z0-9+=,.@_/-]+';

export const batchSchema = {
  type: 'object',
  properties: {
    vcpus: { type: 'integer', minimum: 1, maximum: 256 },
    /** MiB. */
    memory: { type: 'integer', minimum: 128 },
    gpu: { type: 'integer', minimum: 0, maximum: 16 },
    instanceTypes: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    spot: { type: 'boolean' },
    minVcpus: { type: 'integer', minimum: 0 },
    maxVcpus: { type: 'integer', minimum: 1 },
    desiredVcpus: { type: 'integer', minimum: 0 },
    subnets: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    securityGroupIds: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    /** An existing role AWS Batch acts with for the compute environment, instead of its service-linked role. */
    serviceRole: { type: 'string', pattern: `^${IAM_ARN}role/${IAM_PATH_NAME}$` },
    /**
     * What the instances run as, instead of the generated instance role: an existing instance profile's ARN,
     * or a role's ARN (an instance profile holding that role is made).
     */
    instanceRole: { type: 'string', pattern: `^${IAM_ARN}(instance-profile|role)/${IAM_PATH_NAME}$` },
    /** An existing EC2 launch template (its default version) the instances start from. */
    launchTemplateName: { type: 'string', pattern: '^[A-Za-z0-9().\\-/_]{3,128}$' },
    /** Plain variables of the Batch job only (SCAR's `batch.environment`): secrets go in `container.secrets`. */
    environment: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
    },
    /** One job over several instances at once (MPI): an AWS Batch multi-node parallel job. */
    multiNodeParallel: {
      type: 'object',
      properties: {
        nodes: { type: 'integer', minimum: 1, maximum: 1000 },
        /** The node that receives the event's input and publishes the outputs (default 0). */
        mainNode: { type: 'integer', minimum: 0 },
      },
      required: ['nodes'],
      additionalProperties: false,
    },
    /** lambda-batch: when the event goes to Batch instead of running in Lambda. */
    fallback: {
      type: 'object',
      properties: {
        /** Inputs larger than this go to Batch before running. */
        inputBytes: { type: 'integer', minimum: 1 },
        /** When this many seconds remain, the script is stopped and the event goes to Batch. */
        deadlineMarginSeconds: { type: 'integer', minimum: 1, maximum: 600 },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

/** `custom.<plugin>.fdl`: an FDL file, or a list of them, relative to the service folder. */
export const fdlFilesSchema = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
} as const;
