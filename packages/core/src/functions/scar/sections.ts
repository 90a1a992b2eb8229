// SCAR FDL's sections beside `lambda` in a `functions.aws[]` entry: `api_gateway`, `cloudwatch`, `iam`, `ecr` and
// scar.cfg's `s3` (`batch` is batch.ts). Each key maps, or is a notice saying why it is ignored, or a problem.
import { LOG_RETENTION_DAYS } from '../../cfn/logs';
import type { FunctionDefinition } from '../model';
import { isDict, type Problems } from '../fdl';

/** What SCAR's `boto_profile` (under any section) becomes: the framework's own choice of credentials. */
export const BOTO_PROFILE_NOTICE =
  "ignored (the framework's --aws-profile or provider.profile picks the credentials)";

const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const HTTP_METHODS = ['ANY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** A section's keys and values; undefined (with a problem when it is there but not an object) otherwise. */
function sectionEntries(
  value: unknown,
  path: string,
  problems: Problems,
): Array<[string, unknown]> | undefined {
  if (value === undefined) return undefined;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return undefined;
  }
  return Object.entries(value);
}

export function importApiGateway(
  value: unknown,
  path: string,
  fn: FunctionDefinition,
  problems: Problems,
  notices: string[],
): void {
  const entries = sectionEntries(value, path, problems);
  if (!entries) return;
  fn.api = true;
  for (const [key, v] of entries) {
    const at = `${path}.${key}`;
    if (key === 'name') {
      if (typeof v === 'string' && v) {
        fn.apiName = v;
        notices.push(
          `${at}: the endpoint is the service's REST API, route /${fn.name}; "${v}" names that API unless the service names it (provider.apiName)`,
        );
      } else problems.add(at, 'must be the name of the REST API');
    } else if (key === 'http_method') {
      const method = typeof v === 'string' ? v.toUpperCase() : '';
      if (HTTP_METHODS.includes(method)) fn.apiMethod = method;
      else problems.add(at, `must be one of ${HTTP_METHODS.join(', ')}`);
    } else if (key === 'stage_name' || key === 'stage') {
      notices.push(
        `${at}: ${JSON.stringify(v)} ignored (the REST API's stage is the service's stage: deploy with --stage ${typeof v === 'string' ? v : '<stage>'} for the same path)`,
      );
    } else if (key === 'boto_profile') notices.push(`${at}: ${BOTO_PROFILE_NOTICE}`);
    else if (key === 'region') notices.push(`${at}: ignored (the API lives in the service's region)`);
    else if (SCAR_API_INTERNALS.includes(key)) {
      notices.push(
        `${at}: ignored (SCAR's own wiring of its API; here a Lambda proxy route /${fn.name} that passes X-Amz-Invocation-Type through, as SCAR's does)`,
      );
    } else problems.add(at, 'not supported (api_gateway takes name, http_method, stage_name)');
  }
}

export function importCloudwatch(
  value: unknown,
  path: string,
  fn: FunctionDefinition,
  problems: Problems,
  notices: string[],
): void {
  for (const [key, v] of sectionEntries(value, path, problems) ?? []) {
    if (key === 'log_retention_policy_in_days') {
      if ((LOG_RETENTION_DAYS as readonly unknown[]).includes(v)) fn.logRetentionInDays = v as number;
      else
        problems.add(
          `${path}.${key}`,
          `${JSON.stringify(v)} is not a retention CloudWatch offers (${LOG_RETENTION_DAYS.join(', ')} days)`,
        );
    } else if (key === 'boto_profile') notices.push(`${path}.${key}: ${BOTO_PROFILE_NOTICE}`);
    else if (key === 'region')
      notices.push(`${path}.${key}: ignored (the logs live in the service's region)`);
    else problems.add(`${path}.${key}`, 'not supported (cloudwatch takes log_retention_policy_in_days)');
  }
}

export function importIam(
  value: unknown,
  path: string,
  fn: FunctionDefinition,
  problems: Problems,
  notices: string[],
): void {
  for (const [key, v] of sectionEntries(value, path, problems) ?? []) {
    // SCAR's default configuration has `role: ""`: no role given, the plugin makes one.
    if (key === 'role' && (v === '' || v === null)) continue;
    if (key === 'boto_profile') notices.push(`${path}.${key}: ${BOTO_PROFILE_NOTICE}`);
    else if (key === 'role') {
      if (typeof v === 'string' && ROLE_ARN.test(v)) {
        fn.role = v;
        notices.push(
          `${path}.role: ${fn.name} runs with this existing role instead of the least-privilege one the plugin makes: reading its inputs, writing its outputs and its logs, and submitting to Batch are then yours to grant`,
        );
      } else problems.add(`${path}.role`, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
    } else problems.add(`${path}.${key}`, 'not supported (iam takes role, boto_profile)');
  }
}

export function importEcr(value: unknown, path: string, fn: FunctionDefinition, problems: Problems): void {
  for (const [key, v] of sectionEntries(value, path, problems) ?? []) {
    if (key === 'delete_image') {
      const remove = flag(v, `${path}.${key}`, problems);
      if (remove === false) fn.keepImage = true;
    } else problems.add(`${path}.${key}`, 'not supported (ecr takes delete_image)');
  }
}

/** scar.cfg's `s3` block: the client SCAR's commands used, and the event `scar run` sent. */
export function importS3(value: unknown, path: string, problems: Problems, notices: string[]): void {
  for (const [key] of sectionEntries(value, path, problems) ?? []) {
    if (key === 'boto_profile') notices.push(`${path}.${key}: ${BOTO_PROFILE_NOTICE}`);
    else if (key === 'region')
      notices.push(`${path}.${key}: ignored (buckets the service creates live in its region)`);
    else if (key === 'event')
      notices.push(
        `${path}.${key}: ignored (the event shape SCAR's scar run sent; sls container run uploads the file and S3 sends the event)`,
      );
    else problems.add(`${path}.${key}`, 'not supported (s3 takes boto_profile, region, event)');
  }
}

/** SCAR writes booleans as YAML booleans or as the strings True/False (its Python defaults). */
export function flag(value: unknown, path: string, problems: Problems): boolean | undefined {
  if (value === true || value === 'True' || value === 'true') return true;
  if (value === false || value === 'False' || value === 'false') return false;
  problems.add(path, 'must be true or false');
  return undefined;
}

/** The keys of SCAR's scar.cfg `api_gateway` block that only wire SCAR's own API calls. */
const SCAR_API_INTERNALS = [
  'endpoint',
  'request_parameters',
  'method',
  'integration',
  'path_part',
  'service_id',
  'source_arn_testing',
  'source_arn_invocation',
];
