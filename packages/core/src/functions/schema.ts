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
