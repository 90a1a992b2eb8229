// SCAR FDL's `functions.aws[]` entries: `lambda` (with the legacy `image:` layout), `api_gateway`, `cloudwatch`,
// `iam`, and `batch` through batch.ts. What has no meaning in a Serverless service is a notice or a problem.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LOG_RETENTION_DAYS } from '../../cfn/logs';
import type { ExecutionMode, FunctionDefinition } from '../model';
import { isDict, storageBindings, type Problems } from '../fdl';
import { importBatch } from './batch';
import { checkAwsStorage } from './storage';
import type { ScarImportOptions } from './index';

// SCAR client settings that have no meaning inside a Serverless service: accepted and reported.
const CLIENT_ONLY = {
  boto_profile: 'ignored (the framework picks credentials: --aws-profile or provider.profile)',
  log_level: 'ignored (the supervisor logs to CloudWatch at one level)',
} as const;

export function importAwsEntry(
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
          } else if (ckey === 'create_image') {
            // false: the image is prepared already, which is how images are used here.
            if (cvalue === true) {
              problems.add(
                cat,
                'not supported: the plugin builds no image from SCAR settings; build and push it, then name it in container.image',
              );
            } else if (cvalue !== false) problems.add(cat, 'must be true or false');
          } else if (ckey === 'image_file') {
            problems.add(
              cat,
              'not supported: load the image into a registry Lambda can pull from (docker load, docker push) and name it in container.image',
            );
          } else if (ckey === 'timeout_threshold') {
            if (typeof cvalue === 'number' && cvalue >= 1) containerTimeoutThreshold = Math.round(cvalue);
            else problems.add(cat, 'must be seconds');
          } else {
            problems.add(
              cat,
              'not supported (container takes image, environment, timeout_threshold, create_image, and our secrets)',
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
        const bindings = storageBindings(value, at, problems, (storage, where) =>
          checkAwsStorage(storage, where, options.storageProviders, problems),
        );
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
      case 'runtime':
        // SCAR's container-image mode is how every function runs here.
        if (value === 'image') break;
        if (typeof value === 'string' && /^python3(\.\d+)?$/.test(value)) {
          notices.push(
            `${at}: ignored (SCAR's ${value} zip carries its supervisor; here the function is its container image, with the plugin's supervisor)`,
          );
        } else problems.add(at, 'must be image (or a python3.x zip runtime, which is not needed here)');
        break;
      case 'vpc': {
        const ids = (name: string, prefix: string): string[] | undefined => {
          const pattern = new RegExp(`^${prefix}-[0-9a-f]+$`);
          const list = isDict(value) ? value[name] : undefined;
          if (
            Array.isArray(list) &&
            list.length &&
            list.every((id) => typeof id === 'string' && pattern.test(id))
          ) {
            return list as string[];
          }
          problems.add(`${at}.${name}`, `must be a list of ${prefix}-... ids`);
          return undefined;
        };
        if (!isDict(value)) {
          problems.add(at, 'must be { SubnetIds: [...], SecurityGroupIds: [...] }');
          break;
        }
        const subnetIds = ids('SubnetIds', 'subnet');
        const securityGroupIds = ids('SecurityGroupIds', 'sg');
        if (subnetIds && securityGroupIds) fn.vpc = { subnetIds, securityGroupIds };
        break;
      }
      case 'architectures':
        // SCAR's list holds one architecture, as Lambda's `Architectures` does.
        if (Array.isArray(value) && value.length === 1 && (value[0] === 'x86_64' || value[0] === 'arm64'))
          fn.architecture = value[0];
        else problems.add(at, 'must be [x86_64] or [arm64]');
        break;
      case 'tags':
        if (isDict(value) && Object.values(value).every((tag) => typeof tag === 'string')) {
          fn.tags = value as Record<string, string>;
        } else problems.add(at, 'must be { name: value } with string values');
        break;
      case 'deployment':
        notices.push(`${at}: ignored (the framework uploads the function to its own deployment bucket)`);
        break;
      case 'preheat':
        notices.push(
          `${at}: ignored (SCAR invoked the function once after deploying it: sls invoke does that)`,
        );
        break;
      case 'extra_payload':
        problems.add(
          at,
          'not supported: a container-image function takes no extra zip payload; copy those files into the image',
        );
        break;
      case 'layers':
        problems.add(at, 'not supported: Lambda functions packaged as container images cannot use layers');
        break;
      default:
        if (key in CLIENT_ONLY) notices.push(`${at}: ${CLIENT_ONLY[key as keyof typeof CLIENT_ONLY]}`);
        else problems.add(at, 'not supported by the container-lambda plugin');
    }
  }
  const prebuilt = options.prebuilt?.has(name) ?? false;
  if (prebuilt) {
    // The image is given prebuilt elsewhere (digest-pinned, with its script inside): the FDL's image may be
    // a placeholder, and its init_script a path on the machine that built that image.
    if (fn.container.script && !existsSync(fn.container.script)) {
      notices.push(
        `${lp}.init_script: ${fn.container.script} is not here; the prebuilt image of ${name} carries its script`,
      );
      delete fn.container.script;
    }
    fn.container.image ||= 'prebuilt';
  } else if (!fn.container.image) {
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

/** `{ Variables: { NAME: value } }`, as SCAR writes every environment. */
export function variables(
  value: unknown,
  path: string,
  problems: Problems,
): Record<string, string> | undefined {
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
