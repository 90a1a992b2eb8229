// The oscar-target configuration: JSON schemas (as const) of `provider:`, the function keys and `custom.oscar`,
// the types derived from them, and the rules a schema cannot say, checked once here.
import type { FromSchema } from 'json-schema-to-ts';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  batchSchema,
  containerSchema,
  executionSchema,
  resolveFunction,
  storageBindingSchema,
  type ResolvedFunction,
} from '@serverless-continuum/core/functions';
import type { OscarAuth, OscarClientOptions } from './client/types';

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
    fdl: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
    },
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

export { OSCAR_ONLY_KEYS, oscarOnlyKeys } from '@serverless-continuum/core/functions';

/** One function after every rule: what service-definition.ts turns into an OSCAR service. */
export interface ResolvedOscarFunction extends ResolvedFunction<never> {
  /** The OSCAR service name (the function's key). */
  serviceName: string;
  /** Content of the script file. */
  scriptContent: string;
  config: OscarFunctionConfig;
  /** The `custom.oscar.storageProviders` accounts the bindings use, as given. */
  storageProviders: StorageProvidersConfig;
}

/** `minio.default` -> minio, default; plain `minio` is the account `default`, as OSCAR reads it. */
export function storageAccount(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}

/** Variables OSCAR's supervisor sets for the script. */
export const SUPERVISOR_VARIABLES = new Set([
  'INPUT_FILE_PATH',
  'TMP_OUTPUT_DIR',
  'STORAGE_OBJECT_KEY',
  'EVENT',
  'EVENT_SOURCE',
  'FUNCTION_NAME',
  'SUPERVISOR_TYPE',
]);

const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]{0,37}[a-z0-9])?$/;

export interface OscarResolveOptions {
  serviceDir: string;
  storageProviders?: StorageProvidersConfig;
  /** Reads the script (tests pass a stand-in). */
  readScript: (path: string) => string;
}

/** Core's neutral rules, then OSCAR's: service names, quantities a schema misses, storage accounts. */
export function resolveOscarFunction(
  name: string,
  fn: OscarFunctionConfig,
  options: OscarResolveOptions,
): ResolvedOscarFunction {
  const at = `functions.${name}`;
  if (!SERVICE_NAME.test(name)) {
    throw new ConfigError(
      `functions.${name}`,
      'not an OSCAR service name',
      'OSCAR names services after Kubernetes: lowercase letters, digits and -, at most 39 characters, starting and ending with a letter or digit',
    );
  }
  const neutral = resolveFunction(name, fn, {
    serviceDir: options.serviceDir,
    prebuilt: false,
    scriptHint: "OSCAR runs it in the container on every invocation (the API requires a service's script)",
    isReserved: (variable) => SUPERVISOR_VARIABLES.has(variable) || variable.startsWith('CONTINUUM_'),
    secret: (_value, path): never => {
      throw new ConfigError(
        path,
        'SSM and Secrets Manager references are read on AWS only',
        `on OSCAR write the value under ${at}.secrets (a Kubernetes secret), e.g. \${ssm:/my/parameter}, resolved at deploy time`,
      );
    },
  });
  for (const key of Object.keys(fn.secrets ?? {})) {
    if (SUPERVISOR_VARIABLES.has(key))
      throw new ConfigError(
        `${at}.secrets.${key}`,
        'reserved name',
        'the supervisor sets it; pick another name',
      );
    if (key in neutral.environment)
      throw new ConfigError(
        `${at}.secrets.${key}`,
        `also set in ${at}.container.environment.${key}`,
        'keep one of them',
      );
  }
  if (fn.synchronous?.maxScale && (fn.synchronous.minScale ?? 0) > fn.synchronous.maxScale) {
    throw new ConfigError(
      `${at}.synchronous.minScale`,
      `must not exceed maxScale (${fn.synchronous.maxScale})`,
    );
  }
  if (fn.allowedUsers && fn.visibility !== 'restricted') {
    throw new ConfigError(
      `${at}.allowedUsers`,
      'only used with visibility: restricted',
      'set visibility: restricted',
    );
  }
  for (const [i, replica] of (fn.replicas ?? []).entries()) {
    const rat = `${at}.replicas[${i}]`;
    if (replica.type === 'oscar' && (!replica.clusterId || !replica.serviceName))
      throw new ConfigError(rat, 'an oscar replica needs clusterId and serviceName');
    if (replica.type === 'endpoint' && !replica.url)
      throw new ConfigError(`${rat}.url`, 'required for an endpoint replica');
  }
  const used: StorageProvidersConfig = {};
  const bindings = [
    ...(fn.input ?? []).map((b, i) => [b.storage, `${at}.input[${i}].storage`] as const),
    ...(fn.output ?? []).map((b, i) => [b.storage, `${at}.output[${i}].storage`] as const),
    ...(fn.mount ? [[fn.mount.storage, `${at}.mount.storage`] as const] : []),
  ];
  for (const [storage, path] of bindings) {
    const { type, id } = storageAccount(storage);
    if (type === 'minio' && id === 'default') continue;
    const accounts = options.storageProviders?.[type as keyof StorageProvidersConfig] as
      Record<string, unknown> | undefined;
    const account = accounts?.[id];
    if (!account) {
      throw new ConfigError(
        path,
        `${storage} names no account in custom.oscar.storageProviders.${type}.${id}`,
        type === 'minio'
          ? "write minio.default for the cluster's own MinIO, or add the account"
          : 'add the account (its credentials are sent to the cluster, which reads and writes the bucket)',
      );
    }
    ((used as Record<string, Record<string, unknown>>)[type] ??= {})[id] = account;
  }
  if (!neutral.script) throw new ConfigError(`${at}.container.script`, 'required');
  const memory = fn.memory ?? (fn.memorySize !== undefined ? `${fn.memorySize}Mi` : undefined);
  return {
    ...neutral,
    serviceName: name,
    scriptContent: options.readScript(neutral.script),
    config: memory === undefined ? fn : { ...fn, memory },
    storageProviders: used,
  };
}

/** `provider.auth` in the client's words; undefined when the service gives none (offline commands need none). */
export function clientAuth(auth: OscarProviderConfig['auth']): OscarAuth | undefined {
  if (!auth) return undefined;
  if ('username' in auth) return { kind: 'basic', username: auth.username, password: auth.password };
  if ('token' in auth) return { kind: 'token', token: auth.token };
  return {
    kind: 'refresh',
    refreshToken: auth.refreshToken,
    tokenEndpoint: auth.tokenEndpoint,
    ...(auth.clientId ? { clientId: auth.clientId } : {}),
  };
}

/** The client's options from `provider:`; a missing `auth` is a config error naming the path. */
export function clientOptions(
  provider: OscarProviderConfig,
  extra: Pick<OscarClientOptions, 'ca' | 'log'> = {},
): OscarClientOptions {
  const auth = clientAuth(provider.auth);
  if (!auth) {
    throw new ConfigError(
      'provider.auth',
      'required to reach the cluster',
      'give username and password, token, or refreshToken and tokenEndpoint',
    );
  }
  return {
    endpoint: provider.endpoint.replace(/\/+$/, ''),
    auth,
    verifyTls: provider.verifyTls ?? true,
    ...(provider.timeout ? { timeoutMs: provider.timeout * 1000 } : {}),
    ...extra,
  };
}

const LAMBDA_KEYS: Record<string, string> = {
  memorySize: 'used as memory (MiB) since memory is not set',
  timeout: 'ignored: OSCAR services have no timeout',
  execution: "ignored: OSCAR runs every job on the cluster (Lambda and AWS Batch are container-lambda's)",
  batch: "ignored: AWS Batch is container-lambda's; on OSCAR set cpu, memory and gpu",
  api: 'ignored: every OSCAR service answers on /run (sls invoke)',
};

/** What becomes on OSCAR of each container-lambda key a function holds (one service file for both targets). */
export function lambdaKeyNotices(name: string, fn: OscarFunctionConfig): string[] {
  const notices = Object.keys(LAMBDA_KEYS)
    .filter((key) => fn[key] !== undefined && !(key === 'memorySize' && fn.memory !== undefined))
    .map((key) => `functions.${name}.${key}: on provider oscar, ${LAMBDA_KEYS[key]!}`);
  if (fn.memorySize !== undefined && fn.memory !== undefined)
    notices.push(`functions.${name}.memorySize: on provider oscar, ignored (memory is set)`);
  return notices;
}
