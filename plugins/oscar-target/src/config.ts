// The oscar-target configuration: the rules a schema cannot say (schema.ts holds the schemas and their types),
// checked once here, and what the client and the service definitions take from the config.
import { ConfigError } from '@serverless-continuum/core/errors';
import { resolveFunction, type ResolvedFunction } from '@serverless-continuum/core/functions';
import type { OscarAuth, OscarClientOptions } from './client/types';
import type { OscarFunctionConfig, OscarProviderConfig, StorageProvidersConfig } from './schema';

export * from './schema';
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
