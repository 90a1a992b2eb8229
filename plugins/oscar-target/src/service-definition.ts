// A resolved function as the OSCAR service JSON the API takes (types.Service, v4.1.2 field names), and the
// comparison `sls deploy` uses to tell an identical service from a changed one. Pure: no I/O.
import { scryptSync } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { OscarService } from './client/types';
import type { ResolvedOscarFunction, StorageProvidersConfig } from './config';

/** The label every service this plugin creates carries: `sls remove` and `sls deploy` touch only those. */
export const TRACKING_LABEL = 'serverless-continuum/service';
/**
 * A digest of what the cluster may not give back as written (secret values, storage credentials): a change
 * of a secret changes the annotation, so deploy sees it without reading a secret back.
 */
export const SECRETS_ANNOTATION = 'serverless-continuum/secrets';

/** `<service>-<stage>`: the tracking label's value (a Kubernetes label value: at most 63 characters). */
export function trackingValue(service: string, stage: string): string {
  return `${service}-${stage}`
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** camelCase keys to OSCAR's snake_case, one level (credential and replica objects). */
function snakeKeys(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), v]));
}

function bindingJson(binding: { storage: string; path: string; prefix?: string[]; suffix?: string[] }) {
  return {
    storage_provider: binding.storage,
    path: binding.path,
    ...(binding.prefix?.length ? { prefix: binding.prefix } : {}),
    ...(binding.suffix?.length ? { suffix: binding.suffix } : {}),
  };
}

function storageProvidersJson(accounts: StorageProvidersConfig): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(accounts).map(([type, byId]) => [
      type,
      Object.fromEntries(Object.entries(byId as Record<string, object>).map(([id, a]) => [id, snakeKeys(a)])),
    ]),
  );
}

/** `clusters` as OSCAR's types.Cluster names its fields. */
function clustersJson(
  clusters: Record<
    string,
    { endpoint: string; username?: string; password?: string; verifyTls?: boolean }
  > = {},
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(clusters).map(([id, cluster]) => [
      id,
      {
        endpoint: cluster.endpoint,
        ...(cluster.username !== undefined ? { auth_user: cluster.username } : {}),
        ...(cluster.password !== undefined ? { auth_password: cluster.password } : {}),
        ...(cluster.verifyTls !== undefined ? { ssl_verify: cluster.verifyTls } : {}),
      },
    ]),
  );
}

/** `clusters` without their passwords (compared through SECRETS_ANNOTATION instead). */
function clustersOf(service: OscarService): unknown {
  const clusters = (service.clusters ?? {}) as Record<string, Record<string, unknown>>;
  return normalize(
    Object.fromEntries(
      Object.entries(clusters).map(([id, cluster]) => {
        const { auth_password: _password, ...rest } = cluster;
        return [id, rest];
      }),
    ),
  );
}

/** Slow on purpose: the annotation is readable on the cluster, and a short secret must not be guessed from it. */
function digest(service: string, value: unknown): string {
  return scryptSync(JSON.stringify(value), `serverless-continuum:${service}`, 32).toString('hex');
}

/** The OSCAR service for one function: every key given in the config, and the tracking label. */
export function serviceDefinition(fn: ResolvedOscarFunction, tracking: string): OscarService {
  const c = fn.config;
  const secrets = c.secrets ?? {};
  const providers = storageProvidersJson(fn.storageProviders);
  const clusters = clustersJson(c.clusters);
  const passwords = Object.fromEntries(
    Object.entries(c.clusters ?? {}).map(([id, cluster]) => [id, cluster.password ?? '']),
  );
  const hasSecrets =
    Object.keys(secrets).length > 0 || Object.keys(providers).length > 0 || Object.keys(clusters).length > 0;
  const service: OscarService = { name: fn.serviceName, image: fn.image, script: fn.scriptContent };
  const set = (field: string, value: unknown): void => {
    if (value !== undefined) service[field] = value;
  };
  set('cpu', c.cpu);
  set('memory', c.memory);
  set('enable_gpu', c.gpu);
  set('alpine', c.container?.alpine);
  set('log_level', c.logLevel);
  set('visibility', c.visibility);
  set('allowed_users', c.allowedUsers);
  set('image_pull_secrets', c.imagePullSecrets);
  set('ephemeral_storage_request', c.ephemeralStorage);
  set('total_cpu', c.totalCpu);
  set('total_memory', c.totalMemory);
  set('image_prefetch', c.imagePrefetch);
  set('file_stage_in', c.fileStageIn);
  set('isolation_level', c.isolationLevel);
  set('enable_sgx', c.enableSgx);
  set('vo', c.vo);
  set('interlink_node_name', c.interlinkNodeName);
  if (c.synchronous) {
    set('synchronous', {
      ...(c.synchronous.minScale !== undefined ? { min_scale: c.synchronous.minScale } : {}),
      ...(c.synchronous.maxScale !== undefined ? { max_scale: c.synchronous.maxScale } : {}),
    });
  }
  if (c.expose) {
    const { apiPort, nodePort, ...rest } = c.expose;
    set('expose', {
      ...snakeKeys(rest),
      ...(apiPort !== undefined ? { api_port: [apiPort].flat() } : {}),
      ...(nodePort !== undefined ? { nodePort: [nodePort].flat() } : {}),
    });
  }
  if (c.volume) set('volume', snakeKeys(c.volume));
  if (c.mount)
    set('mount', { ...bindingJson(c.mount), ...(c.mount.options ? { options: c.mount.options } : {}) });
  set('input', c.input?.map(bindingJson));
  set('output', c.output?.map(bindingJson));
  if (c.replicas) set('federation', { members: c.replicas.map((r) => snakeKeys(r)) });
  const variables = fn.environment;
  if (Object.keys(variables).length || Object.keys(secrets).length) {
    set('environment', {
      ...(Object.keys(variables).length ? { variables } : {}),
      ...(Object.keys(secrets).length ? { secrets } : {}),
    });
  }
  if (Object.keys(providers).length) set('storage_providers', providers);
  if (Object.keys(clusters).length) set('clusters', clusters);
  set('kserve', c.kserve);
  set('annotations', {
    ...(c.annotations ?? {}),
    ...(hasSecrets
      ? { [SECRETS_ANNOTATION]: digest(fn.serviceName, { secrets, providers, passwords }) }
      : {}),
  });
  if (!Object.keys(service.annotations as object).length) delete service.annotations;
  set('labels', { ...(c.labels ?? {}), [TRACKING_LABEL]: tracking });
  return service;
}

/** What the cluster fills in when a field is not sent (OSCAR's documented defaults). */
const DEFAULTS: Record<string, unknown> = {
  cpu: '0.2',
  memory: '256Mi',
  enable_gpu: false,
  alpine: false,
  log_level: 'INFO',
  visibility: 'private',
  image_prefetch: false,
  file_stage_in: false,
  enable_sgx: false,
  isolation_level: 'SERVICE',
};

/** Compared exactly (after dropping empty values); an absent field equals its default. */
const EXACT = [
  'image',
  'script',
  ...Object.keys(DEFAULTS),
  'allowed_users',
  'image_pull_secrets',
  'ephemeral_storage_request',
  'total_cpu',
  'total_memory',
  'vo',
  'interlink_node_name',
  'input',
  'output',
  'mount',
];
/** Compared as "what we sent is there": the cluster adds defaults (expose, volume) and its own labels. */
const SUBSET = ['synchronous', 'expose', 'volume', 'labels', 'annotations'];

/** Drops what carries no setting: undefined, null, '', [], {} (the cluster writes empty fields back). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, normalize(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null || value === '' ? undefined : value;
}

function isSubset(wanted: unknown, actual: unknown): boolean {
  if (wanted === undefined) return true;
  if (typeof wanted === 'object' && wanted !== null && !Array.isArray(wanted)) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    return Object.entries(wanted).every(([k, v]) => isSubset(v, (actual as Record<string, unknown>)[k]));
  }
  return isDeepStrictEqual(wanted, actual);
}

/** `environment.variables`, or `Variables` as clusters before v3.4 write it. */
function variablesOf(service: OscarService): unknown {
  const environment = service.environment as { variables?: unknown; Variables?: unknown } | undefined;
  return normalize(environment?.variables ?? environment?.Variables);
}

/** Replicas under `federation.members` (v4.1), or top-level `replicas` as older clusters give them. */
function replicasOf(service: OscarService): unknown {
  const federation = service.federation as { members?: unknown } | undefined;
  return normalize(federation?.members ?? service.replicas);
}

/**
 * The fields of `wanted` that `actual` (the cluster's copy) does not hold: empty when the service is
 * identical. Fields the server adds (token, owner, cluster_id, namespace, bucket_list, deployment, ...) and
 * the secret values (see SECRETS_ANNOTATION) are not compared.
 */
export function changedFields(wanted: OscarService, actual: OscarService): string[] {
  const changed: string[] = [];
  for (const field of EXACT) {
    const want = normalize(wanted[field]) ?? DEFAULTS[field];
    const have = normalize(actual[field]) ?? DEFAULTS[field];
    if (!isDeepStrictEqual(want, have)) changed.push(field);
  }
  for (const field of SUBSET) {
    if (!isSubset(normalize(wanted[field]), normalize(actual[field]))) changed.push(field);
  }
  if (!isDeepStrictEqual(variablesOf(wanted), variablesOf(actual))) changed.push('environment.variables');
  if (!isDeepStrictEqual(replicasOf(wanted), replicasOf(actual))) changed.push('federation.members');
  if (!isDeepStrictEqual(clustersOf(wanted), clustersOf(actual))) changed.push('clusters');
  if (!isSubset(normalize(wanted.kserve), normalize(actual.kserve))) changed.push('kserve');
  return changed;
}

/** The service's tracking label, when it has one. */
export function trackingOf(service: OscarService): string | undefined {
  const labels = service.labels as Record<string, unknown> | undefined;
  const value = labels?.[TRACKING_LABEL];
  return typeof value === 'string' ? value : undefined;
}

const CREDENTIAL = /key|secret|password|token/i;

/** The definition with secret values and storage credentials replaced: what `sls package` writes to disk. */
export function redacted(service: OscarService): OscarService {
  const copy = structuredClone(service);
  const environment = copy.environment as { secrets?: Record<string, string> } | undefined;
  if (environment?.secrets) {
    environment.secrets = Object.fromEntries(Object.keys(environment.secrets).map((k) => [k, '<redacted>']));
  }
  const providers = copy.storage_providers as
    Record<string, Record<string, Record<string, unknown>>> | undefined;
  for (const byId of Object.values(providers ?? {})) {
    for (const account of Object.values(byId)) {
      for (const key of Object.keys(account)) if (CREDENTIAL.test(key)) account[key] = '<redacted>';
    }
  }
  const clusters = copy.clusters as Record<string, Record<string, unknown>> | undefined;
  for (const cluster of Object.values(clusters ?? {})) {
    if (cluster.auth_password !== undefined) cluster.auth_password = '<redacted>';
  }
  return copy;
}

/** The MinIO buckets OSCAR deletes with a service: those of its inputs and outputs on the cluster's MinIO. */
export function minioBuckets(service: OscarService): string[] {
  const bindings = [
    ...((service.input as unknown[]) ?? []),
    ...((service.output as unknown[]) ?? []),
  ] as Array<{
    storage_provider?: string;
    path?: string;
  }>;
  const buckets = bindings
    .filter((b) => (b.storage_provider === 'minio' || b.storage_provider === 'minio.default') && b.path)
    .map((b) => b.path!.split('/')[0]!);
  return [...new Set(buckets)];
}
