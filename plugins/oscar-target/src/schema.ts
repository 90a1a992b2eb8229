// The oscar-target configuration as JSON schemas (as const) of `provider:`, the function keys and `custom.oscar`,
// and the types derived from them; config.ts checks the rules a schema cannot say.
import type { FromSchema } from 'json-schema-to-ts';
import {
  batchSchema,
  containerSchema,
  executionSchema,
  fdlFilesSchema,
  storageBindingSchema,
} from '@serverless-continuum/core/functions';

export const PROVIDER = 'oscar';

/** Kubernetes quantities: `2Gi`, `512Mi`, `1G`; cpu `1.0`, `500m`. */
const memoryQuantity = {
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$',
} as const;
const cpuQuantity = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?m?$' } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const nameList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } as const;

export const authSchema = {
  oneOf: [
    {
      type: 'object',
      properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } },
      required: ['username', 'password'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { token: { type: 'string', minLength: 1 } },
      required: ['token'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        refreshToken: { type: 'string', minLength: 1 },
        tokenEndpoint: { type: 'string', pattern: '^https?://' },
        clientId: { type: 'string', minLength: 1 },
      },
      required: ['refreshToken', 'tokenEndpoint'],
      additionalProperties: false,
    },
  ],
} as const;

/** `provider:` besides `name` and `stage`. */
export const providerSchema = {
  type: 'object',
  properties: {
    /** The cluster's URL. */
    endpoint: { type: 'string', pattern: '^https?://[^\\s/]+' },
    auth: authSchema,
    verifyTls: { type: 'boolean', default: true },
    /** A PEM file of the CA that signed the cluster's certificate (relative to the service folder). */
    ca: { type: 'string', minLength: 1 },
    /** Seconds each call to the cluster may take. */
    timeout: { type: 'integer', minimum: 1, maximum: 3600 },
    name: { const: PROVIDER },
    stage: { type: 'string' },
  },
  required: ['endpoint'],
} as const;

/** OSCAR reads and writes its own MinIO (`minio`, `minio.default`), S3 accounts, Onedata spaces. */
export const oscarStorageBindingSchema = storageBindingSchema;

const replicaSchema = {
  type: 'object',
  properties: {
    type: { enum: ['oscar', 'endpoint'] },
    clusterId: { type: 'string', minLength: 1 },
    serviceName: { type: 'string', minLength: 1 },
    url: { type: 'string', pattern: '^https?://' },
    sslVerify: { type: 'boolean' },
    priority: { type: 'integer', minimum: 0 },
    headers: stringMap,
  },
  required: ['type'],
  additionalProperties: false,
} as const;

const exposeSchema = {
  type: 'object',
  properties: {
    apiPort: {
      anyOf: [
        { type: 'integer', minimum: 1, maximum: 65535 },
        { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 }, minItems: 1 },
      ],
    },
    minScale: { type: 'integer', minimum: 0 },
    maxScale: { type: 'integer', minimum: 1 },
    cpuThreshold: { type: 'integer', minimum: 1, maximum: 100 },
    healthPath: { type: 'string', pattern: '^/' },
    rewriteTarget: { type: 'boolean' },
    setAuth: { type: 'boolean' },
    defaultCommand: { type: 'boolean' },
    nodePort: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 1 }] },
    authType: { type: 'string', minLength: 1 },
    probeMode: { type: 'string', minLength: 1 },
  },
  additionalProperties: false,
} as const;

/** The properties of every `functions.<name>` on this provider. */
export const functionPropertiesSchema = {
  type: 'object',
  properties: {
    container: containerSchema,
    input: { type: 'array', items: oscarStorageBindingSchema, minItems: 1 },
    output: { type: 'array', items: oscarStorageBindingSchema, minItems: 1 },
    memory: memoryQuantity,
    cpu: cpuQuantity,
    gpu: { type: 'boolean' },
    synchronous: {
      type: 'object',
      properties: { minScale: { type: 'integer', minimum: 0 }, maxScale: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
    /** Kubernetes secrets the script sees as variables (OSCAR `environment.secrets`): the values themselves. */
    secrets: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
    },
    replicas: { type: 'array', items: replicaSchema, minItems: 1 },
    expose: exposeSchema,
    mount: {
      type: 'object',
      properties: {
        storage: storageBindingSchema.properties.storage,
        path: storageBindingSchema.properties.path,
        options: { type: 'string' },
      },
      required: ['storage', 'path'],
      additionalProperties: false,
    },
    visibility: { enum: ['private', 'public', 'restricted'] },
    allowedUsers: nameList,
    logLevel: { enum: ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] },
    imagePullSecrets: nameList,
    annotations: stringMap,
    labels: stringMap,
    ephemeralStorage: memoryQuantity,
    totalMemory: memoryQuantity,
    totalCpu: cpuQuantity,
    imagePrefetch: { type: 'boolean' },
    fileStageIn: { type: 'boolean' },
    isolationLevel: { enum: ['SERVICE', 'USER'] },
    enableSgx: { type: 'boolean' },
    vo: { type: 'string', minLength: 1 },
    interlinkNodeName: { type: 'string', minLength: 1 },
    volume: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        size: memoryQuantity,
        mountPath: { type: 'string', pattern: '^/' },
        lifecyclePolicy: { type: 'string', minLength: 1 },
      },
      required: ['mountPath'],
      additionalProperties: false,
    },
    /** OSCAR clusters the service may run its replicas on (`clusters`): id -> endpoint and Basic credentials. */
    clusters: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
      additionalProperties: {
        type: 'object',
        properties: {
          endpoint: { type: 'string', pattern: '^https?://' },
          username: { type: 'string', minLength: 1 },
          password: { type: 'string', minLength: 1 },
          verifyTls: { type: 'boolean' },
        },
        required: ['endpoint'],
        additionalProperties: false,
      },
    },
    /** A KServe InferenceService (`kserve`), with OSCAR's own field names (`api_version`, `inference`, ...). */
    kserve: { type: 'object' },
    // container-lambda's keys, accepted so one service file can target Lambda on one stage and OSCAR on
    // another: each is explained (lambdaKeyNotices), memorySize stands in for a missing memory.
    memorySize: { type: 'integer', minimum: 128 },
    timeout: { type: 'integer', minimum: 1 },
    execution: executionSchema,
    batch: batchSchema,
    api: { type: 'boolean' },
  },
} as const;

const credentialsSchema = {
  accessKey: { type: 'string', minLength: 1 },
  secretKey: { type: 'string', minLength: 1 },
  region: { type: 'string', minLength: 1 },
} as const;

/** `custom.oscar.storageProviders`: the accounts a binding's `storage: <type>.<id>` names. */
export const storageProvidersSchema = {
  type: 'object',
  properties: {
    s3: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: credentialsSchema,
        required: ['accessKey', 'secretKey'],
        additionalProperties: false,
      },
    },
    minio: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          endpoint: { type: 'string', pattern: '^https?://' },
          verify: { type: 'boolean' },
          ...credentialsSchema,
        },
        required: ['endpoint', 'accessKey', 'secretKey'],
        additionalProperties: false,
      },
    },
    onedata: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          oneproviderHost: { type: 'string', minLength: 1 },
          token: { type: 'string', minLength: 1 },
          space: { type: 'string', minLength: 1 },
        },
        required: ['oneproviderHost', 'token', 'space'],
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

/** `custom.oscar`. */
export const customSchema = {
  type: 'object',
  properties: {
    /** OSCAR FDL file(s) whose `functions.oscar[].<cluster>` become functions of this service. */
    fdl: fdlFilesSchema,
    storageProviders: storageProvidersSchema,
  },
  additionalProperties: false,
} as const;

export type OscarProviderConfig = FromSchema<
  typeof providerSchema,
  { keepDefaultedPropertiesOptional: true }
>;
export type OscarFunctionProperties = FromSchema<typeof functionPropertiesSchema>;
export type OscarCustom = FromSchema<typeof customSchema>;
export type StorageProvidersConfig = FromSchema<typeof storageProvidersSchema>;

/** A `functions.<name>` entry as this plugin reads it: ours, and the framework's it refuses. */
export type OscarFunctionConfig = OscarFunctionProperties & {
  name?: string;
  image?: unknown;
  handler?: unknown;
  [key: string]: unknown;
};
