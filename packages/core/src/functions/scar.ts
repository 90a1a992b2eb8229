// Imports SCAR's Function Definition Language (`functions.aws[].lambda`, `storage_providers`, the legacy
// `image:` layout) into the shared function model. What we cannot honour is reported, never dropped silently.
import { dirname, isAbsolute, resolve } from 'node:path';
import { LOG_RETENTION_DAYS } from '../cfn/logs';
import { ConfigError } from '../errors';
import type { BatchResources, ExecutionMode, FunctionDefinition, StorageBinding } from './model';

export interface FdlImport {
  functions: FunctionDefinition[];
  /** Things that were ignored on purpose (the OSCAR part, SCAR's client settings): print them. */
  notices: string[];
}

export interface ScarImportOptions {
  /** The FDL file (for messages and to resolve `init_script`). */
  file: string;
  /** The service's region: a function pinned to another region cannot live in this stack. */
  region?: string;
}

type Dict = Record<string, unknown>;

const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects every problem before failing, so one run tells the user everything to change. */
class Problems {
  readonly list: string[] = [];
  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }
}

// SCAR client settings that have no meaning inside a Serverless service: accepted and reported.
const CLIENT_ONLY = {
  boto_profile: 'ignored (the framework picks credentials: --aws-profile or provider.profile)',
  log_level: 'ignored (the supervisor logs to CloudWatch at one level)',
} as const;

const STORAGE_ID = /^(s3|minio|onedata)(\.([A-Za-z0-9_-]+))?$/;

export function importScarFdl(document: unknown, options: ScarImportOptions): FdlImport {
  const problems = new Problems();
  const notices: string[] = [];
  const functions: FunctionDefinition[] = [];
  const baseDir = dirname(resolve(options.file));

  if (!isDict(document)) {
    throw new ConfigError('custom.containerLambda.fdl', `${options.file} is not a SCAR FDL document`);
  }
  for (const key of Object.keys(document)) {
    if (key !== 'functions' && key !== 'storage_providers') problems.add(key, 'not a SCAR FDL key');
  }
  const fdlFunctions = document.functions;
  if (!isDict(fdlFunctions)) {
    problems.add('functions', 'required (SCAR FDL lists functions under functions.aws)');
  } else {
    for (const provider of Object.keys(fdlFunctions)) {
      if (provider === 'oscar') {
        const count = Array.isArray(fdlFunctions.oscar) ? fdlFunctions.oscar.length : 0;
        notices.push(
          `functions.oscar: ${count} OSCAR service(s) not imported: the OSCAR part is for the oscar-target plugin`,
        );
      } else if (provider !== 'aws') {
        problems.add(`functions.${provider}`, 'unknown provider (SCAR knows aws and oscar)');
      }
    }
    const aws = fdlFunctions.aws;
    if (aws === undefined) {
      problems.add(
        'functions.aws',
        'no AWS functions to import (the OSCAR part is for the oscar-target plugin)',
      );
    } else if (!Array.isArray(aws)) {
      problems.add('functions.aws', 'must be a list of { lambda: ... } entries');
    } else {
      aws.forEach((entry, index) => {
        const fn = importAwsEntry(
          entry,
          `functions.aws[${index}]`,
          baseDir,
          { ...options, storageProviders: document.storage_providers },
          problems,
          notices,
        );
        if (fn) functions.push(fn);
      });
    }
  }
  checkStorageProviders(document.storage_providers, functions, notices);
  const seen = new Set<string>();
  functions.forEach((fn, index) => {
    if (seen.has(fn.name))
      problems.add(`functions.aws[${index}].lambda.name`, `"${fn.name}" is defined twice`);
    seen.add(fn.name);
  });

  if (problems.list.length) {
    throw new ConfigError(
      'custom.containerLambda.fdl',
      `${options.file} cannot be imported as is:\n  - ${problems.list.join('\n  - ')}`,
    );
  }
  return { functions, notices };
}

function importAwsEntry(
  entry: unknown,
  path: string,
  baseDir: string,
  options: ScarImportOptions & { storageProviders?: unknown },
  problems: Problems,
  notices: string[],
): FunctionDefinition | undefined {
  if (!isDict(entry) || !isDict(entry.lambda)) {
    problems.add(`${path}.lambda`, 'required (each AWS entry is { lambda: { name, container, ... } })');
    return undefined;
  }
  for (const key of Object.keys(entry)) {
    if (!['lambda', 'iam', 'api_gateway', 'cloudwatch', 'batch'].includes(key)) {
      problems.add(`${path}.${key}`, 'not a SCAR FDL key');
    }
  }
  const lambda = entry.lambda;
  const lp = `${path}.lambda`;
  const name = lambda.name;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) {
    problems.add(`${lp}.name`, 'required: a function name (letters, digits, - and _)');
    return undefined;
  }

  const fn: FunctionDefinition = { name, container: { image: '' }, source: `${options.file} ${lp}` };
  let containerTimeoutThreshold: number | undefined;
  for (const [key, value] of Object.entries(lambda)) {
    const at = `${lp}.${key}`;
    switch (key) {
      case 'name':
        break;
      case 'memory':
        if (typeof value === 'number' && Number.isInteger(value) && value >= 128 && value <= 10240)
          fn.memory = value;
        else problems.add(at, 'must be MiB between 128 and 10240');
        break;
      case 'timeout':
        if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 900)
          fn.timeout = value;
        else problems.add(at, 'must be seconds between 1 and 900');
        break;
      case 'execution_mode':
        if (value === 'lambda' || value === 'batch' || value === 'lambda-batch')
          fn.execution = value as ExecutionMode;
        else problems.add(at, 'must be lambda, batch or lambda-batch');
        break;
      case 'init_script':
        if (typeof value === 'string' && value) {
          fn.container.script = isAbsolute(value) ? value : resolve(baseDir, value);
        } else problems.add(at, 'must be the path of the script');
        break;
      case 'image':
        // The layout of older SCAR releases: the image right under `lambda`.
        if (typeof value === 'string' && value) fn.container.image = value;
        else problems.add(at, 'must be an image name');
        break;
      case 'container': {
        if (!isDict(value)) {
          problems.add(at, 'must be { image, environment }');
          break;
        }
        for (const [ckey, cvalue] of Object.entries(value)) {
          const cat = `${at}.${ckey}`;
          if (ckey === 'image') {
            if (typeof cvalue === 'string' && cvalue) fn.container.image = cvalue;
            else problems.add(cat, 'must be an image name');
          } else if (ckey === 'environment') {
            const vars = variables(cvalue, cat, problems);
            if (vars) fn.container.environment = vars;
          } else if (ckey === 'secrets') {
            // Our extension of SCAR FDL: references only, checked like container.secrets once imported.
            const secrets = secretReferences(cvalue, cat, problems);
            if (secrets) fn.container.secrets = secrets;
          } else if (ckey === 'timeout_threshold') {
            if (typeof cvalue === 'number' && cvalue >= 1) containerTimeoutThreshold = Math.round(cvalue);
            else problems.add(cat, 'must be seconds');
          } else {
            problems.add(
              cat,
              'not supported (container takes image, environment, timeout_threshold, and our secrets)',
            );
          }
        }
        break;
      }
      case 'environment': {
        const vars = variables(value, at, problems);
        if (vars) fn.functionEnvironment = vars;
        break;
      }
      case 'input':
      case 'output': {
        const bindings = storageBindings(value, at, problems, options.storageProviders);
        if (bindings) fn[key] = bindings;
        break;
      }
      case 'region':
        if (options.region && value !== options.region) {
          problems.add(
            at,
            `"${String(value)}" differs from the service's region ${options.region} (one stack lives in one region: deploy with --region ${String(value)})`,
          );
        }
        break;
      case 'supervisor':
        notices.push(`${at}: ignored (the plugin bundles its own supervisor into the image)`);
        break;
      case 'layers':
        problems.add(at, 'not supported: Lambda functions packaged as container images cannot use layers');
        break;
      default:
        if (key in CLIENT_ONLY) notices.push(`${at}: ${CLIENT_ONLY[key as keyof typeof CLIENT_ONLY]}`);
        else problems.add(at, 'not supported by the container-lambda plugin');
    }
  }
  if (!fn.container.image) {
    problems.add(`${lp}.container.image`, 'required: the container image to run');
  } else if (/[<>\s]/.test(fn.container.image)) {
    problems.add(
      `${lp}.container.image`,
      `"${fn.container.image}" is not an image name (fill in the placeholder)`,
    );
  }

  importApiGateway(entry.api_gateway, `${path}.api_gateway`, fn, problems, notices);
  importCloudwatch(entry.cloudwatch, `${path}.cloudwatch`, fn, problems, notices);
  importIam(entry.iam, `${path}.iam`, problems, notices);
  const batch = importBatch(entry.batch, `${path}.batch`, problems, notices);
  if (batch) fn.batch = batch;
  if (containerTimeoutThreshold !== undefined) {
    fn.batch = {
      ...fn.batch,
      fallback: { ...fn.batch?.fallback, deadlineMarginSeconds: containerTimeoutThreshold },
    };
  }
  return fn;
}

function variables(value: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  if (!isDict(value) || !isDict(value.Variables) || Object.keys(value).length !== 1) {
    problems.add(path, 'must be { Variables: { NAME: value } }');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value.Variables)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      problems.add(`${path}.Variables.${name}`, 'not a variable name');
    else if (v === null || typeof v === 'object')
      problems.add(`${path}.Variables.${name}`, 'must be a value');
    else out[name] = String(v);
  }
  return out;
}

function secretReferences(
  value: unknown,
  path: string,
  problems: Problems,
): Record<string, string> | undefined {
  if (!isDict(value)) {
    problems.add(path, 'must be { NAME: <SSM parameter name or ARN, or Secrets Manager ARN> }');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, reference] of Object.entries(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.add(`${path}.${name}`, 'not a variable name');
    else if (typeof reference !== 'string' || !reference)
      problems.add(`${path}.${name}`, 'must be an SSM parameter name or ARN, or a Secrets Manager ARN');
    else out[name] = reference;
  }
  return out;
}

function stringList(value: unknown, path: string, problems: Problems): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.length || !list.every((v) => typeof v === 'string' && v)) {
    problems.add(path, 'must be a list of strings');
    return undefined;
  }
  return list as string[];
}

function storageBindings(
  value: unknown,
  path: string,
  problems: Problems,
  storageProviders: unknown,
): StorageBinding[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(path, 'must be a list of { storage_provider, path }');
    return undefined;
  }
  const bindings: StorageBinding[] = [];
  value.forEach((item, index) => {
    const at = `${path}[${index}]`;
    if (!isDict(item)) {
      problems.add(at, 'must be { storage_provider, path }');
      return;
    }
    const binding: Partial<StorageBinding> = {};
    for (const [key, v] of Object.entries(item)) {
      if (key === 'storage_provider') {
        if (typeof v === 'string' && STORAGE_ID.test(v)) {
          binding.storage = v;
          checkAwsStorage(v, `${at}.storage_provider`, storageProviders, problems);
        } else problems.add(`${at}.storage_provider`, 'must be s3, minio or onedata, optionally .<id>');
      } else if (key === 'path') {
        if (typeof v === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v)) binding.path = v;
        else problems.add(`${at}.path`, 'must be bucket[/prefix] with a valid S3 bucket name');
      } else if (key === 'suffix' || key === 'prefix') {
        const list = stringList(v, `${at}.${key}`, problems);
        if (list) binding[key] = list;
      } else {
        problems.add(
          `${at}.${key}`,
          'not supported (a binding takes storage_provider, path, prefix, suffix)',
        );
      }
    }
    if (!binding.storage) problems.add(`${at}.storage_provider`, 'required');
    if (!binding.path) problems.add(`${at}.path`, 'required');
    if (binding.storage && binding.path) bindings.push(binding as StorageBinding);
  });
  return bindings;
}

function importApiGateway(
  value: unknown,
  path: string,
  fn: FunctionDefinition,
  problems: Problems,
  notices: string[],
): void {
  if (value === undefined) return;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return;
  }
  fn.api = true;
  for (const key of Object.keys(value)) {
    if (key === 'name')
      notices.push(
        `${path}.name: the endpoint is the service's REST API, route /${fn.name} (the name is not used)`,
      );
    else if (key === 'boto_profile' || key === 'region') notices.push(`${path}.${key}: ignored`);
    else problems.add(`${path}.${key}`, 'not supported (api_gateway takes name)');
  }
}

function importCloudwatch(
  value: unknown,
  path: string,
  fn: FunctionDefinition,
  problems: Problems,
  notices: string[],
): void {
  if (value === undefined) return;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'log_retention_policy_in_days') {
      if ((LOG_RETENTION_DAYS as readonly unknown[]).includes(v)) fn.logRetentionInDays = v as number;
      else
        problems.add(
          `${path}.${key}`,
          `${JSON.stringify(v)} is not a retention CloudWatch offers (${LOG_RETENTION_DAYS.join(', ')} days)`,
        );
    } else if (key === 'boto_profile' || key === 'region') notices.push(`${path}.${key}: ignored`);
    else problems.add(`${path}.${key}`, 'not supported (cloudwatch takes log_retention_policy_in_days)');
  }
}

function importIam(value: unknown, path: string, problems: Problems, notices: string[]): void {
  if (value === undefined) return;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'role' && (v === '' || v === null)) continue;
    if (key === 'boto_profile') notices.push(`${path}.${key}: ignored`);
    else if (key === 'role') {
      problems.add(
        `${path}.role`,
        'not supported: the plugin creates a least-privilege role for each function (remove iam.role)',
      );
    } else problems.add(`${path}.${key}`, 'not supported');
  }
}

const COMPUTE_KEYS: Record<string, keyof BatchResources> = {
  security_group_ids: 'securityGroupIds',
  subnets: 'subnets',
  instance_types: 'instanceTypes',
  max_v_cpus: 'maxVcpus',
  min_v_cpus: 'minVcpus',
  desired_v_cpus: 'desiredVcpus',
};

function importBatch(
  value: unknown,
  path: string,
  problems: Problems,
  notices: string[],
): BatchResources | undefined {
  if (value === undefined) return undefined;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return undefined;
  }
  const batch: BatchResources = {};
  const integer = (v: unknown, at: string, min: number): number | undefined => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    problems.add(at, `must be an integer >= ${min}`);
    return undefined;
  };
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    switch (key) {
      case 'vcpus':
        batch.vcpus = integer(v, at, 1);
        break;
      case 'memory':
        batch.memory = integer(v, at, 128);
        break;
      case 'enable_gpu':
        if (v === true || v === 'True' || v === 'true') batch.gpu = 1;
        else if (!(v === false || v === 'False' || v === 'false')) problems.add(at, 'must be true or false');
        break;
      case 'multi_node_parallel':
        if (isDict(v) && (v.enabled === false || v.enabled === 'False')) break;
        problems.add(
          at,
          'not supported: multi-node parallel Batch jobs (MPI) are not supported by the container-lambda plugin',
        );
        break;
      case 'compute_resources':
        if (!isDict(v)) {
          problems.add(at, 'must be an object');
          break;
        }
        for (const [ckey, cv] of Object.entries(v)) {
          const cat = `${at}.${ckey}`;
          const target = COMPUTE_KEYS[ckey];
          if (target === 'subnets' || target === 'securityGroupIds' || target === 'instanceTypes') {
            const list = stringList(cv, cat, problems);
            if (list) batch[target] = list.flatMap((item) => item.split(/\s+/).filter(Boolean));
          } else if (target) {
            batch[target as 'maxVcpus' | 'minVcpus' | 'desiredVcpus'] = integer(
              cv,
              cat,
              target === 'maxVcpus' ? 1 : 0,
            );
          } else if (ckey === 'instance_role') {
            problems.add(cat, 'not supported: the plugin creates the instance role and profile (remove it)');
          } else problems.add(cat, 'not supported');
        }
        break;
      case 'service_role':
        problems.add(
          at,
          "not supported: the compute environment uses AWS Batch's service-linked role (remove it)",
        );
        break;
      case 'environment':
        problems.add(
          at,
          'not supported: Batch jobs get the container environment (use lambda.container.environment)',
        );
        break;
      case 'boto_profile':
      case 'region':
        notices.push(`${at}: ignored`);
        break;
      default:
        problems.add(at, 'not supported');
    }
  }
  return batch;
}

/**
 * The `storage_providers` entry a binding reads, as SCAR's supervisor picks it: `s3.my_s3` reads
 * `storage_providers.s3.my_s3`, and plain `s3` the account `default`.
 */
function storageProviderEntry(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}

/** Keys of a storage account that hold credentials (SCAR: access_key, secret_key; OSCAR/Onedata: password, token). */
const CREDENTIAL_KEY = /key|secret|password|passwd|pass$|token|credential/i;

/**
 * On AWS a binding is S3, through the function's own role: no other provider, and no credentials in the FDL
 * (they would end up in the template).
 */
function checkAwsStorage(storage: string, path: string, providers: unknown, problems: Problems): void {
  const { type, id } = storageProviderEntry(storage);
  if (type !== 's3') {
    problems.add(
      path,
      `${storage} is not supported on AWS: Lambda functions read and write S3 (as in SCAR; MinIO and Onedata are for OSCAR)`,
    );
    return;
  }
  const account = isDict(providers) && isDict(providers.s3) ? providers.s3[id] : undefined;
  if (!isDict(account)) return;
  const credentials = Object.keys(account).filter((key) => CREDENTIAL_KEY.test(key));
  const at = `storage_providers.s3.${id}`;
  // Said once per account, however many bindings use it; the values are never repeated.
  if (!credentials.length || problems.list.some((line) => line.startsWith(`${at}.`))) return;
  problems.add(
    credentials.map((key) => `${at}.${key}`).join(', '),
    `storage credentials are not taken from an FDL file (${path} uses this account): the function reads and writes S3 with its own IAM role; credentials the script itself needs belong in SSM Parameter Store or Secrets Manager, named in container.secrets`,
  );
}

/**
 * Says what becomes of each `storage_providers` entry: one an imported function uses is reached through
 * the function's role (its settings are not read); the others (the OSCAR part's, leftovers) are ignored.
 * An entry is `<type>.<id>`, or the whole `<type>` when it is not a map of accounts (SCAR's older lists).
 */
function checkStorageProviders(value: unknown, functions: FunctionDefinition[], notices: string[]): void {
  if (!isDict(value)) return;
  const users = (type: string, id?: string): string[] =>
    functions
      .filter((fn) =>
        [...(fn.input ?? []), ...(fn.output ?? [])].some((binding) => {
          const entry = storageProviderEntry(binding.storage);
          return entry.type === type && (id === undefined || entry.id === id);
        }),
      )
      .map((fn) => fn.name);
  const unused: string[] = [];
  for (const [type, accounts] of Object.entries(value)) {
    const entries: Array<[string, string | undefined, unknown]> = isDict(accounts)
      ? Object.entries(accounts).map(([id, settings]) => [`${type}.${id}`, id, settings])
      : [[type, undefined, accounts]];
    for (const [entry, id, settings] of entries) {
      const names = users(type, id);
      if (!names.length) unused.push(`storage_providers.${entry}`);
      else if (
        settings !== null &&
        settings !== undefined &&
        !(isDict(settings) && !Object.keys(settings).length)
      ) {
        const account = id === undefined || id === 'default' ? 'the account of plain "s3", ' : '';
        const one = names.length === 1;
        notices.push(
          `storage_providers.${entry}: ${account}used by ${names.join(' and ')}; ${one ? 'it reaches' : 'they reach'} S3 through ${one ? 'its' : 'their'} own IAM role, so its settings are not read`,
        );
      }
    }
  }
  if (unused.length) notices.push(`${unused.join(', ')}: not used by the AWS functions, ignored`);
}
