// Reads the supervisor's settings from the environment the compile step sets (see contract.ts), once, at start-up.
import { ContinuumError } from '@serverless-continuum/core/errors';
import {
  BATCH_NODE_ENV,
  ENV,
  SCRIPT_PATH,
  SUPERVISOR_DIR,
  type SecretsByService,
  type StorageAccounts,
  type StorageBindingRuntime,
} from './contract';

export type Execution = 'lambda' | 'batch' | 'lambda-batch';
export type Mode = 'lambda' | 'batch' | 'local';

export interface SupervisorSettings {
  functionName: string;
  script: string;
  inputs: StorageBindingRuntime[];
  outputs: StorageBindingRuntime[];
  execution: Execution;
  mode: Mode;
  batchJobQueue?: string;
  batchJobDefinition?: string;
  /** The job definition is multi-node parallel with this many nodes. */
  batchNodes?: number;
  /** Batch mode, in a multi-node parallel job: this container's node, and the main one (AWS Batch's variables). */
  node?: { index: number; mainIndex: number; count: number };
  /** lambda-batch: inputs larger than this go to Batch before running (undefined: no size rule). */
  fallbackInputBytes?: number;
  gpu: number;
  /** lambda-batch: kill the script and hand the event to Batch when this many ms remain. */
  deadlineMarginMs: number;
  /** Batch mode: optional limit for the script. */
  timeoutSeconds?: number;
  /** What is ended after each run (see ENV.processScope). */
  processScope: 'sandbox' | 'descendants';
  /** The user's own variables, passed to the script as they are. */
  userEnvironment: Record<string, string>;
  /** `container.secrets`: where each value lives (never the value; see secrets.ts). */
  secrets?: SecretsByService;
  s3Endpoint?: string;
  /** MinIO servers the outputs name (ENV.storageProviders). */
  storageAccounts?: StorageAccounts;
  /** An HTTP call marked asynchronous is an asynchronous invocation already (ENV.apiAsync). */
  asyncByGateway?: boolean;
}

/** Lambda-batch default: leave this much time to kill the script and submit the job. */
export const DEFAULT_DEADLINE_MARGIN_MS = 10_000;

function invalid(name: string, problem: string): ContinuumError {
  return new ContinuumError('CONTINUUM_INVALID_CONFIG', `environment variable ${name}: ${problem}`);
}

function parseBindings(name: string, raw: string | undefined): StorageBindingRuntime[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(name, 'must be a JSON array of storage bindings');
  }
  if (!Array.isArray(parsed)) throw invalid(name, 'must be a JSON array of storage bindings');
  return parsed.map((item: unknown, index) => {
    const b = item as Partial<StorageBindingRuntime> | null;
    if (!b || typeof b.bucket !== 'string' || !b.bucket) throw invalid(name, `[${index}].bucket: required`);
    const prefix = typeof b.prefix === 'string' ? b.prefix.replace(/^\/+|\/+$/g, '') : '';
    const suffix = Array.isArray(b.suffix) ? b.suffix.filter((s): s is string => typeof s === 'string') : [];
    const binding: StorageBindingRuntime = {
      storage: typeof b.storage === 'string' ? b.storage : 's3',
      bucket: b.bucket,
      prefix,
      suffix,
    };
    if (Array.isArray(b.prefixFilter)) {
      binding.prefixFilter = b.prefixFilter.filter((s): s is string => typeof s === 'string');
    }
    return binding;
  });
}

function parseStorageAccounts(name: string, raw: string): StorageAccounts {
  const problem = 'must be JSON { minio?, webdav?, onedata?: { <id>: { ... } } }';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(name, problem);
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid(name, problem);
  const text = (at: string, value: unknown, url = false): string => {
    if (typeof value === 'string' && value && (!url || /^https?:\/\//.test(value))) return value;
    throw invalid(name, `${at}: must be ${url ? 'an http(s) URL' : 'a string'}`);
  };
  const verify = (value: unknown) => (value === false ? { verify: false } : {});
  const each = <T>(type: string, read: (at: string, account: Record<string, unknown>) => T) => {
    const group = (parsed as Record<string, unknown>)[type] ?? {};
    if (typeof group !== 'object' || group === null) throw invalid(name, problem);
    return Object.fromEntries(
      Object.entries(group).map(([id, account]) => [
        id,
        read(`${type}.${id}`, (account ?? {}) as Record<string, unknown>),
      ]),
    );
  };
  return {
    minio: each('minio', (at, a) => ({
      endpoint: text(`${at}.endpoint`, a.endpoint, true),
      ...(typeof a.region === 'string' ? { region: a.region } : {}),
      ...verify(a.verify),
    })),
    webdav: each('webdav', (at, a) => ({
      url: text(`${at}.url`, a.url, true),
      login: text(`${at}.login`, a.login),
      ...verify(a.verify),
    })),
    onedata: each('onedata', (at, a) => ({
      url: text(`${at}.url`, a.url, true),
      space: text(`${at}.space`, a.space),
      ...verify(a.verify),
    })),
  };
}

function parseSecrets(name: string, raw: string | undefined): SecretsByService | undefined {
  if (!raw) return undefined;
  const problem = 'must be JSON { ssm?: { NAME: reference }, secretsmanager?: { NAME: reference } }';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(name, problem);
  }
  const isMap = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMap(parsed)) throw invalid(name, problem);
  const secrets: SecretsByService = {};
  for (const [service, map] of Object.entries(parsed)) {
    if ((service !== 'ssm' && service !== 'secretsmanager') || !isMap(map)) throw invalid(name, problem);
    for (const [variable, reference] of Object.entries(map)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable) || typeof reference !== 'string' || !reference) {
        throw invalid(name, `${service}.${variable}: ${problem}`);
      }
    }
    secrets[service] = map as Record<string, string>;
  }
  return secrets;
}

function parseNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw invalid(name, `must be a non-negative number, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw invalid(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
}

export function readSettings(env: NodeJS.ProcessEnv): SupervisorSettings {
  const userEnvironment: Record<string, string> = {};
  for (const name of (env[ENV.userEnvironment] ?? '').split(',')) {
    const trimmed = name.trim();
    const value = trimmed ? env[trimmed] : undefined;
    if (value !== undefined) userEnvironment[trimmed] = value;
  }
  const settings: SupervisorSettings = {
    functionName: env[ENV.function] || env.AWS_LAMBDA_FUNCTION_NAME || 'function',
    script: env[ENV.script] || SCRIPT_PATH,
    inputs: parseBindings(ENV.inputs, env[ENV.inputs]),
    outputs: parseBindings(ENV.outputs, env[ENV.outputs]),
    execution: oneOf(
      ENV.execution,
      env[ENV.execution],
      ['lambda', 'batch', 'lambda-batch'] as const,
      'lambda',
    ),
    mode: oneOf(ENV.mode, env[ENV.mode], ['lambda', 'batch', 'local'] as const, 'lambda'),
    processScope: oneOf(
      ENV.processScope,
      env[ENV.processScope],
      ['sandbox', 'descendants'] as const,
      'sandbox',
    ),
    gpu: parseNumber(ENV.gpu, env[ENV.gpu]) ?? 0,
    deadlineMarginMs:
      parseNumber(ENV.deadlineMarginMs, env[ENV.deadlineMarginMs]) ?? DEFAULT_DEADLINE_MARGIN_MS,
    userEnvironment,
  };
  const optional = {
    batchJobQueue: env[ENV.batchJobQueue] || undefined,
    batchJobDefinition: env[ENV.batchJobDefinition] || undefined,
    fallbackInputBytes: parseNumber(ENV.fallbackInputBytes, env[ENV.fallbackInputBytes]),
    timeoutSeconds: parseNumber(ENV.timeoutSeconds, env[ENV.timeoutSeconds]),
    s3Endpoint: env[ENV.s3Endpoint] || undefined,
    ...(env[ENV.apiAsync] === 'gateway' ? { asyncByGateway: true } : {}),
    ...(env[ENV.storageProviders]
      ? { storageAccounts: parseStorageAccounts(ENV.storageProviders, env[ENV.storageProviders] ?? '') }
      : {}),
    secrets: parseSecrets(ENV.secrets, env[ENV.secrets]),
    batchNodes: parseNumber(ENV.batchNodes, env[ENV.batchNodes]),
    node: settings.mode === 'batch' ? parseNode(env) : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}

/** The node of a multi-node parallel job this container is, from AWS Batch's variables (none: a plain job). */
function parseNode(env: NodeJS.ProcessEnv): SupervisorSettings['node'] {
  const count = env[BATCH_NODE_ENV.numNodes];
  if (count === undefined || count === '') return undefined;
  const whole = (name: string): number => {
    const raw = env[name] ?? '';
    if (!/^\d+$/.test(raw)) throw invalid(name, `must be a node index set by AWS Batch, got "${raw}"`);
    return Number(raw);
  };
  return {
    index: whole(BATCH_NODE_ENV.nodeIndex),
    mainIndex: whole(BATCH_NODE_ENV.mainNodeIndex),
    count: whole(BATCH_NODE_ENV.numNodes),
  };
}

const BASE_VARIABLES = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'LD_LIBRARY_PATH',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  // AWS Batch's own, for scripts that coordinate the nodes of a multi-node job (MPI hosts, ranks).
  'AWS_BATCH_JOB_ID',
  ...Object.values(BATCH_NODE_ENV),
];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What every script gets besides the contract's variables. Credentials are deliberately not passed on: the
 * supervisor does the storage work, the script only sees files (and credentials.ts clears them from the
 * supervisor's own /proc/<pid>/environ, where the script could otherwise read them).
 */
export function baseEnvironment(env: NodeJS.ProcessEnv, tmpRoot: string): Record<string, string> {
  const base: Record<string, string> = { PATH: DEFAULT_PATH, HOME: tmpRoot, LANG: 'C.UTF-8' };
  for (const name of BASE_VARIABLES) {
    const value = env[name];
    if (value) base[name] = value;
  }
  // The supervisor's own libraries (the musl Node.js build on Alpine images) are not the script's business.
  const libraries = (base.LD_LIBRARY_PATH ?? '')
    .split(':')
    .filter((dir) => dir && dir !== SUPERVISOR_DIR && !dir.startsWith(`${SUPERVISOR_DIR}/`));
  if (libraries.length) base.LD_LIBRARY_PATH = libraries.join(':');
  else delete base.LD_LIBRARY_PATH;
  return base;
}
