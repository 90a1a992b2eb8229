// Imports OSCAR's Function Definition Language (`functions.oscar[].<cluster>`, `storage_providers`) into the
// shared function model; OSCAR's own settings ride along in `oscar`, in the oscar-target plugin's key names.
// What cannot be honoured is reported with its path, never dropped silently.
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../errors';
import type { FunctionDefinition } from '../model';
import { isDict, Problems, readFdlFile, storageBindings, stringList, type Dict } from '../fdl';

/** OSCAR's service settings, as `functions.<name>` of an oscar-target service writes them. */
export type OscarSettings = Record<string, unknown>;

export interface OscarFunctionDefinition extends FunctionDefinition {
  /** The `<cluster>` key the FDL put the service under. */
  cluster: string;
  oscar: OscarSettings;
}

export interface OscarFdlImport {
  functions: OscarFunctionDefinition[];
  /** `storage_providers` the functions use, in `custom.oscar.storageProviders`' words (camelCase keys). */
  storageProviders: Record<string, Record<string, Record<string, unknown>>>;
  /** Things ignored on purpose (the AWS part, replica clusters' settings): print them. */
  notices: string[];
}

export interface OscarImportOptions {
  /** The FDL file (for messages and to resolve `script`). */
  file: string;
  /** The setting that named the file, in the caller's words (`custom.oscar.fdl`): the errors name it. */
  configPath: string;
}

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

// FDL key -> oscar-target key, and what the value must be.
const STRINGS: Record<string, string> = {
  cpu: 'cpu',
  memory: 'memory',
  log_level: 'logLevel',
  visibility: 'visibility',
  ephemeral_storage_request: 'ephemeralStorage',
  total_cpu: 'totalCpu',
  total_memory: 'totalMemory',
  isolation_level: 'isolationLevel',
  vo: 'vo',
  interlink_node_name: 'interlinkNodeName',
};
const BOOLEANS: Record<string, string> = {
  enable_gpu: 'gpu',
  image_prefetch: 'imagePrefetch',
  file_stage_in: 'fileStageIn',
  enable_sgx: 'enableSgx',
};
const LISTS: Record<string, string> = {
  allowed_users: 'allowedUsers',
  image_pull_secrets: 'imagePullSecrets',
};
const MAPS: Record<string, string> = { annotations: 'annotations', labels: 'labels' };
/** Objects whose snake_case keys become camelCase, one level. */
const OBJECTS: Record<string, string> = { synchronous: 'synchronous', expose: 'expose', volume: 'volume' };
/** Written by the cluster or by OSCAR-CLI, never by a user of this plugin. */
const SERVER_FIELDS = new Set([
  'token',
  'owner',
  'cluster_id',
  'namespace',
  'bucket_list',
  'deployment',
  'volume_status',
]);

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const UNIT_MIB: Record<string, number> = {
  '': 1 / 1048576,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1048576,
  k: 1e3 / 1048576,
  M: 1e6 / 1048576,
  G: 1e9 / 1048576,
  T: 1e12 / 1048576,
};

/** A Kubernetes memory quantity in MiB (the shared model's unit), when it is one. */
export function quantityMiB(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(quantity);
  const unit = match ? UNIT_MIB[match[2] ?? ''] : undefined;
  return match && unit !== undefined ? Math.ceil(Number(match[1]) * unit) : undefined;
}

function stringMap(value: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  if (!isDict(value)) {
    problems.add(path, 'must be a map of NAME: value');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === null || typeof v === 'object') problems.add(`${path}.${name}`, 'must be a value');
    else out[name] = String(v);
  }
  return out;
}

function variableMap(value: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  const map = stringMap(value, path, problems);
  for (const name of Object.keys(map ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.add(`${path}.${name}`, 'not a variable name');
  }
  return map;
}

function importEntry(
  item: unknown,
  path: string,
  baseDir: string,
  options: OscarImportOptions,
  problems: Problems,
  notices: string[],
): OscarFunctionDefinition | undefined {
  if (!isDict(item) || Object.keys(item).length !== 1) {
    problems.add(path, 'must be { <cluster id>: { name, image, script, ... } }');
    return undefined;
  }
  const [cluster, service] = Object.entries(item)[0]!;
  const sp = `${path}.${cluster}`;
  if (!isDict(service)) {
    problems.add(sp, 'must be an OSCAR service { name, image, script, ... }');
    return undefined;
  }
  const name = service.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,37}[a-z0-9])?$/.test(name)) {
    problems.add(`${sp}.name`, 'required: an OSCAR service name (lowercase letters, digits and -)');
    return undefined;
  }
  const fn: OscarFunctionDefinition = {
    name,
    cluster,
    container: { image: '' },
    oscar: {},
    source: `${options.file} ${sp}`,
  };
  for (const [key, value] of Object.entries(service)) {
    const at = `${sp}.${key}`;
    if (key === 'name') continue;
    if (key === 'image') {
      if (typeof value === 'string' && value && !/[<>\s]/.test(value)) fn.container.image = value;
      else problems.add(at, 'must be an image name');
    } else if (key === 'script') {
      if (typeof value === 'string' && value)
        fn.container.script = isAbsolute(value) ? value : resolve(baseDir, value);
      else problems.add(at, 'must be the path of the script');
    } else if (key === 'alpine') {
      if (typeof value === 'boolean') fn.container.alpine = value;
      else problems.add(at, 'must be true or false');
    } else if (key in STRINGS) {
      const text = typeof value === 'number' ? String(value) : value;
      if (typeof text !== 'string' || !text) problems.add(at, 'must be a string');
      else if (
        (key === 'memory' || key.endsWith('_memory') || key === 'ephemeral_storage_request') &&
        !QUANTITY.test(text)
      )
        problems.add(at, `"${text}" is not a Kubernetes quantity (e.g. 512Mi, 2Gi)`);
      else {
        fn.oscar[STRINGS[key]!] =
          key === 'isolation_level' || key === 'log_level' ? text.toUpperCase() : text;
        if (key === 'memory') {
          const mib = quantityMiB(text);
          if (mib !== undefined) fn.memory = mib;
        }
      }
    } else if (key in BOOLEANS) {
      if (typeof value === 'boolean') fn.oscar[BOOLEANS[key]!] = value;
      else problems.add(at, 'must be true or false');
    } else if (key in LISTS) {
      const list = stringList(value, at, problems);
      if (list) fn.oscar[LISTS[key]!] = list;
    } else if (key in MAPS) {
      const map = stringMap(value, at, problems);
      if (map) fn.oscar[MAPS[key]!] = map;
    } else if (key in OBJECTS) {
      if (isDict(value))
        fn.oscar[OBJECTS[key]!] = Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), v]));
      else problems.add(at, 'must be an object');
    } else if (key === 'environment') {
      importEnvironment(value, at, fn, problems);
    } else if (key === 'input' || key === 'output') {
      const bindings = storageBindings(value, at, problems);
      if (bindings) fn[key] = bindings;
    } else if (key === 'mount') {
      if (!isDict(value)) problems.add(at, 'must be { storage_provider, path }');
      else {
        const { options: mountOptions, ...binding } = value;
        const [mount] = storageBindings([binding], at, problems) ?? [];
        if (mount)
          fn.oscar.mount = {
            storage: mount.storage,
            path: mount.path,
            ...(typeof mountOptions === 'string' ? { options: mountOptions } : {}),
          };
      }
    } else if (
      key === 'replicas' ||
      (key === 'federation' && isDict(value) && Object.keys(value).every((k) => k === 'members'))
    ) {
      const list = key === 'replicas' ? value : (value as Dict).members;
      if (!Array.isArray(list) || !list.every(isDict))
        problems.add(at, 'must be a list of { type, cluster_id, service_name | url }');
      else
        fn.oscar.replicas = list.map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [camel(k), v])),
        );
    } else if (SERVER_FIELDS.has(key)) {
      notices.push(`${at}: ignored (the cluster sets it)`);
    } else if (key === 'storage_providers' || key === 'clusters') {
      problems.add(
        at,
        `write it at the top level of the file (storage_providers:)${key === 'clusters' ? '; replica clusters are not supported' : ''}`,
      );
    } else {
      problems.add(at, 'not supported by the oscar-target plugin');
    }
  }
  if (!fn.container.image) problems.add(`${sp}.image`, 'required: the container image to run');
  if (!fn.container.script)
    problems.add(`${sp}.script`, 'required: the script OSCAR runs on every invocation');
  return fn;
}

function importEnvironment(
  value: unknown,
  at: string,
  fn: OscarFunctionDefinition,
  problems: Problems,
): void {
  if (!isDict(value)) {
    problems.add(at, 'must be { variables: {...}, secrets: {...} }');
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    // `Variables` is how clusters before v3.4 wrote it; both are accepted.
    if (key === 'variables' || key === 'Variables') {
      const vars = variableMap(v, `${at}.${key}`, problems);
      if (vars) fn.container.environment = { ...fn.container.environment, ...vars };
    } else if (key === 'secrets') {
      const secrets = variableMap(v, `${at}.${key}`, problems);
      if (secrets) fn.oscar.secrets = secrets;
    } else problems.add(`${at}.${key}`, 'not supported (environment takes variables and secrets)');
  }
}

const ACCOUNT_KEYS: Record<string, string[]> = {
  s3: ['access_key', 'secret_key', 'region'],
  minio: ['endpoint', 'verify', 'access_key', 'secret_key', 'region'],
  onedata: ['oneprovider_host', 'token', 'space'],
};
const REQUIRED: Record<string, string[]> = {
  s3: ['access_key', 'secret_key'],
  minio: ['endpoint', 'access_key', 'secret_key'],
  onedata: ['oneprovider_host', 'token', 'space'],
};

function accountOf(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}

/** `storage_providers` entries the functions use, checked; the others are reported as ignored. */
function importStorageProviders(
  value: unknown,
  functions: OscarFunctionDefinition[],
  problems: Problems,
  notices: string[],
): OscarFdlImport['storageProviders'] {
  const used = new Set(
    functions.flatMap((fn) =>
      [
        ...(fn.input ?? []),
        ...(fn.output ?? []),
        ...(isDict(fn.oscar.mount) ? [fn.oscar.mount as { storage: string }] : []),
      ].map((b) => {
        const { type, id } = accountOf(b.storage);
        return `${type}.${id}`;
      }),
    ),
  );
  const out: OscarFdlImport['storageProviders'] = {};
  const unused: string[] = [];
  if (value === undefined) return out;
  if (!isDict(value)) {
    problems.add('storage_providers', 'must be { s3 | minio | onedata: { <id>: { ... } } }');
    return out;
  }
  for (const [type, accounts] of Object.entries(value)) {
    if (!(type in ACCOUNT_KEYS)) {
      problems.add(`storage_providers.${type}`, 'not supported (s3, minio and onedata are)');
      continue;
    }
    if (!isDict(accounts)) {
      problems.add(`storage_providers.${type}`, 'must be { <id>: { ... } }');
      continue;
    }
    for (const [id, account] of Object.entries(accounts)) {
      const at = `storage_providers.${type}.${id}`;
      if (!used.has(`${type}.${id}`)) {
        unused.push(at);
        continue;
      }
      if (!isDict(account)) {
        problems.add(at, 'must be an object');
        continue;
      }
      const converted: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(account)) {
        if (!ACCOUNT_KEYS[type]!.includes(key)) problems.add(`${at}.${key}`, 'not supported');
        else if (v !== null && v !== '')
          converted[camel(key)] = key === 'verify' ? v === true || v === 'True' || v === 'true' : String(v);
      }
      for (const key of REQUIRED[type]!)
        if (converted[camel(key)] === undefined) problems.add(`${at}.${key}`, 'required');
      (out[type] ??= {})[id] = converted;
    }
  }
  if (unused.length) notices.push(`${unused.join(', ')}: not used by the imported services, ignored`);
  return out;
}

export function importOscarFdl(document: unknown, options: OscarImportOptions): OscarFdlImport {
  const problems = new Problems();
  const notices: string[] = [];
  const functions: OscarFunctionDefinition[] = [];
  const baseDir = dirname(resolve(options.file));
  if (!isDict(document))
    throw new ConfigError(options.configPath, `${options.file} is not an OSCAR FDL document`);
  for (const key of Object.keys(document)) {
    if (key === 'clusters') {
      notices.push(
        'clusters: ignored (services deploy to provider.endpoint; replica clusters keep their own settings)',
      );
    } else if (key !== 'functions' && key !== 'storage_providers') problems.add(key, 'not an OSCAR FDL key');
  }
  const fdlFunctions = document.functions;
  if (!isDict(fdlFunctions)) {
    problems.add('functions', 'required (OSCAR FDL lists services under functions.oscar)');
  } else {
    for (const provider of Object.keys(fdlFunctions)) {
      if (provider === 'aws') {
        const count = Array.isArray(fdlFunctions.aws) ? fdlFunctions.aws.length : 0;
        notices.push(
          `functions.aws: ${count} AWS function(s) not imported: the AWS part is for the container-lambda plugin`,
        );
      } else if (provider !== 'oscar')
        problems.add(`functions.${provider}`, 'unknown provider (OSCAR FDL knows oscar, SCAR FDL aws)');
    }
    const oscar = fdlFunctions.oscar;
    if (oscar === undefined) problems.add('functions.oscar', 'no OSCAR services to import');
    else if (!Array.isArray(oscar))
      problems.add('functions.oscar', 'must be a list of { <cluster id>: { name, ... } } entries');
    else {
      oscar.forEach((entry, index) => {
        const fn = importEntry(entry, `functions.oscar[${index}]`, baseDir, options, problems, notices);
        if (fn) functions.push(fn);
      });
    }
  }
  const storageProviders = importStorageProviders(document.storage_providers, functions, problems, notices);
  const seen = new Map<string, string>();
  for (const fn of functions) {
    const where = fn.source?.slice(options.file.length + 1) ?? fn.name;
    const first = seen.get(fn.name);
    if (first) problems.add(`${where}.name`, `"${fn.name}" is also defined at ${first}`);
    else seen.set(fn.name, where);
  }
  if (problems.list.length) {
    throw new ConfigError(
      options.configPath,
      `${options.file} cannot be imported as is:\n  - ${problems.list.join('\n  - ')}`,
    );
  }
  return { functions, storageProviders, notices };
}

/** Reads an OSCAR FDL file and imports its services. */
export function importOscarFdlFile(file: string, options: Omit<OscarImportOptions, 'file'>): OscarFdlImport {
  return importOscarFdl(readFdlFile(file, options.configPath), { ...options, file });
}
