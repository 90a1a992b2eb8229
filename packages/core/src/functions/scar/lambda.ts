// SCAR FDL's `functions.aws[]` entries: `lambda` (with the legacy `image:` layout) here, the sections beside it
// through sections.ts and batch.ts. What has no meaning in a Serverless service is a notice or a problem.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ExecutionMode, FunctionDefinition } from '../model';
import { isDict, storageBindings, type Problems } from '../fdl';
import { importBatch } from './batch';
import {
  BOTO_PROFILE_NOTICE,
  flag,
  importApiGateway,
  importCloudwatch,
  importEcr,
  importIam,
  importS3,
} from './sections';
import { checkAwsStorage, SCAR_STORAGE_IDS } from './storage';
import type { ScarImportOptions } from './index';

// SCAR settings that have no meaning inside a Serverless service: accepted and reported, with the reason.
const CLIENT_ONLY = {
  boto_profile: BOTO_PROFILE_NOTICE,
  log_level: 'ignored (the supervisor logs to CloudWatch at one level)',
  invocation_type:
    'ignored (how SCAR invoked the function; sls invoke and the HTTP endpoint choose per call)',
  asynchronous: 'ignored (how SCAR invoked the function; sls invoke and the HTTP endpoint choose per call)',
  log_type: 'ignored (how SCAR invoked the function: sls invoke --log shows the log)',
} as const;

/** Lambda's FileSystemConfig: an EFS access point ARN and a folder under /mnt. */
const ACCESS_POINT_ARN =
  /^arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d:\d{12}:access-point\/fsap-[a-f0-9]{17}$/;
const MOUNT_PATH = /^\/mnt\/[a-zA-Z0-9-_.]+$/;

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
    if (!['lambda', 'iam', 'api_gateway', 'cloudwatch', 'batch', 'ecr', 's3'].includes(key)) {
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
          } else if (ckey === 'alpine') {
            // SCAR picks its musl supervisor build; the plugin brings the musl Node.js for the supervisor.
            const alpine = flag(cvalue, cat, problems);
            if (alpine !== undefined) fn.container.alpine = alpine;
          } else if (ckey === 'timeout_threshold"') {
            // SCAR's fdl-example.yaml has this stray quote; SCAR reads no such key and keeps its default.
            notices.push(`${cat}: ignored, as SCAR ignores it (a stray quote: timeout_threshold is the key)`);
          } else if (ckey === 'timeout_threshold') {
            if (typeof cvalue === 'number' && cvalue >= 1) containerTimeoutThreshold = Math.round(cvalue);
            else problems.add(cat, 'must be seconds');
          } else {
            problems.add(
              cat,
              'not supported (container takes image, environment, alpine, timeout_threshold, create_image, and our secrets)',
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
        const bindings = storageBindings(
          value,
          at,
          problems,
          (storage, where) => checkAwsStorage(storage, where, key, options.storageProviders, problems),
          SCAR_STORAGE_IDS,
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
      case 'supervisor': {
        const version = isDict(value) && typeof value.version === 'string' ? ` ${value.version}` : '';
        notices.push(
          `${at}: ignored (SCAR downloads faas-supervisor${version}; the plugin bundles its own supervisor, of the plugin's version, into the image)`,
        );
        break;
      }
      case 'description':
        if (typeof value === 'string') fn.description = value;
        else problems.add(at, 'must be a string');
        break;
      case 'file_system':
        importFileSystem(value, at, fn, problems);
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
        if (!isDict(value)) {
          problems.add(at, 'must be an object');
          break;
        }
        for (const dkey of Object.keys(value)) {
          if (dkey === 'bucket')
            notices.push(
              `${at}.bucket: ignored (SCAR uploads its zip there; an image function has no zip, and the framework keeps its files in its own deployment bucket, provider.deploymentBucket)`,
            );
          else if (dkey === 'max_payload_size' || dkey === 'max_s3_payload_size')
            notices.push(
              `${at}.${dkey}: ignored (a limit on SCAR's zip; an image function has none, its image may be up to 10 GB)`,
            );
          else problems.add(`${at}.${dkey}`, 'not supported (deployment takes bucket, max_payload_size)');
        }
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
        if (Array.isArray(value) && !value.length) break;
        notices.push(
          `${at}: ignored (Lambda attaches no layers to a container-image function, and SCAR's image runtime drops them too; put what they carry into the image)`,
        );
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
  importIam(entry.iam, `${path}.iam`, fn, problems, notices);
  importEcr(entry.ecr, `${path}.ecr`, fn, problems);
  importS3(entry.s3, `${path}.s3`, problems, notices);
  if (fn.fileSystem && !fn.vpc) {
    problems.add(
      `${lp}.file_system`,
      'EFS is reached through a VPC: add lambda.vpc { SubnetIds, SecurityGroupIds } (subnets with a mount target of the file system)',
    );
  }
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

function importFileSystem(value: unknown, path: string, fn: FunctionDefinition, problems: Problems): void {
  const list = isDict(value) ? [value] : value;
  if (!Array.isArray(list) || list.length !== 1) {
    problems.add(
      path,
      'must be a list of one { Arn, LocalMountPath } (Lambda mounts one EFS access point per function)',
    );
    return;
  }
  const [entry] = list as unknown[];
  const at = `${path}[0]`;
  if (!isDict(entry)) {
    problems.add(at, 'must be { Arn, LocalMountPath }');
    return;
  }
  for (const key of Object.keys(entry)) {
    if (key !== 'Arn' && key !== 'LocalMountPath')
      problems.add(`${at}.${key}`, 'not supported (a file system takes Arn, LocalMountPath)');
  }
  const arn = entry.Arn;
  const mount = entry.LocalMountPath;
  if (typeof arn !== 'string' || !ACCESS_POINT_ARN.test(arn))
    problems.add(
      `${at}.Arn`,
      'must be an EFS access point ARN (arn:aws:elasticfilesystem:<region>:<account>:access-point/fsap-...)',
    );
  if (typeof mount !== 'string' || !MOUNT_PATH.test(mount))
    problems.add(`${at}.LocalMountPath`, 'must be a folder right under /mnt (/mnt/<name>)');
  if (
    typeof arn === 'string' &&
    typeof mount === 'string' &&
    ACCESS_POINT_ARN.test(arn) &&
    MOUNT_PATH.test(mount)
  )
    fn.fileSystem = { arn, localMountPath: mount };
}
