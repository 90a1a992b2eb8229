// SCAR FDL on AWS: what becomes of `storage_providers`. An S3 binding reaches S3 through the function's own role,
// so an account's settings are not read; an output may go to a MinIO server, whose keys are the function's
// secrets. Credentials written in the file are refused rather than deployed.
import { MINIO_SECRET_KEYS, storageSecretName } from '../../storage/accounts';
import type { FunctionDefinition } from '../model';
import { isDict, storageProviderEntry, type Problems } from '../fdl';

/** Keys of a storage account that hold credentials (SCAR: access_key, secret_key; Onedata: token; WebDAV: password). */
const CREDENTIAL_KEY = /key|secret|password|passwd|pass$|token|credential/i;

/** faas-supervisor's provider types: SCAR's three, and WebDAV. */
export const SCAR_STORAGE_IDS = {
  pattern: /^(s3|minio|onedata|webdav)(\.([A-Za-z0-9_-]+))?$/,
  names: 's3, minio, onedata or webdav',
};

/** A MinIO server an output names, as the plugin describes it (no credentials). */
export interface MinioServer {
  endpoint: string;
  region?: string;
  verify?: boolean;
}

/**
 * On AWS an input is S3 (the only store that triggers a Lambda function, as in SCAR); an output is S3, through the
 * function's role, or MinIO. No credentials in the FDL: they would end up in the template.
 */
export function checkAwsStorage(
  storage: string,
  path: string,
  direction: 'input' | 'output',
  providers: unknown,
  problems: Problems,
): void {
  const { type, id } = storageProviderEntry(storage);
  if (direction === 'input' && type !== 's3') {
    problems.add(
      path,
      `${storage} is not supported on AWS as an input: only S3 notifies a Lambda function (SCAR sets no trigger for it either); use an S3 input here, or the OSCAR part for ${type}`,
    );
    return;
  }
  if (type === 'onedata' || type === 'webdav') {
    problems.add(
      path,
      `${storage}: outputs to ${type === 'onedata' ? 'Onedata' : 'WebDAV'} are not written by this plugin's supervisor yet (S3 and MinIO are); write them from the script, or deploy the function to OSCAR, whose faas-supervisor does`,
    );
    return;
  }
  const accounts = isDict(providers) && isDict(providers[type]) ? providers[type] : undefined;
  const account = accounts?.[id];
  const at = `storage_providers.${type}.${id}`;
  if (type === 'minio' && !isDict(account)) {
    problems.add(path, `${storage} names no MinIO server: describe it in ${at} { endpoint: https://... }`);
    return;
  }
  if (!isDict(account)) return;
  const credentials = Object.keys(account).filter((key) => CREDENTIAL_KEY.test(key));
  // Said once per account, however many bindings use it; the values are never repeated.
  if (!credentials.length || problems.list.some((line) => line.startsWith(`${at}.`))) return;
  const where =
    type === 'minio'
      ? `store them in SSM Parameter Store or Secrets Manager and name them in lambda.container.secrets as ${MINIO_SECRET_KEYS.map((key) => storageSecretName(type, id, key)).join(' and ')}`
      : 'the function reads and writes S3 with its own IAM role; credentials the script itself needs belong in SSM Parameter Store or Secrets Manager, named in container.secrets';
  problems.add(
    credentials.map((key) => `${at}.${key}`).join(', '),
    `storage credentials are not taken from an FDL file (${path} uses this account): ${where}`,
  );
}

/**
 * The MinIO servers the functions' outputs use, as the plugin's `storageProviders.minio`: endpoint (https),
 * region, verify. Problems name the FDL path.
 */
export function minioServers(
  value: unknown,
  functions: FunctionDefinition[],
  problems: Problems,
): Record<string, MinioServer> {
  const servers: Record<string, MinioServer> = {};
  const minio = isDict(value) && isDict(value.minio) ? value.minio : undefined;
  if (!minio) return servers;
  const used = new Set(
    functions.flatMap((fn) =>
      (fn.output ?? [])
        .map((binding) => storageProviderEntry(binding.storage))
        .filter((entry) => entry.type === 'minio')
        .map((entry) => entry.id),
    ),
  );
  for (const id of used) {
    const account = minio[id];
    const at = `storage_providers.minio.${id}`;
    if (!isDict(account)) continue;
    const server: Partial<MinioServer> = {};
    for (const [key, v] of Object.entries(account)) {
      if (key === 'endpoint') {
        if (typeof v === 'string' && /^https:\/\/[^\s/]+(\/.*)?$/.test(v)) server.endpoint = v;
        else
          problems.add(
            `${at}.endpoint`,
            'must be an https:// URL (the keys cross the network: http would send them in clear)',
          );
      } else if (key === 'region') {
        if (typeof v === 'string' && v) server.region = v;
        else problems.add(`${at}.region`, 'must be a region name');
      } else if (key === 'verify') {
        if (v === false || v === 'False' || v === 'false') server.verify = false;
        else if (!(v === true || v === 'True' || v === 'true'))
          problems.add(`${at}.verify`, 'must be true or false');
      } else if (!CREDENTIAL_KEY.test(key))
        problems.add(`${at}.${key}`, 'not supported (endpoint, region, verify)');
    }
    if (account.endpoint === undefined)
      problems.add(`${at}.endpoint`, 'required: the https:// URL of the server');
    if (server.endpoint) servers[id] = server as MinioServer;
  }
  return servers;
}

/**
 * Says what becomes of each `storage_providers` entry: an S3 one a function uses is reached through the
 * function's role (its settings are not read); a MinIO one an output uses is the plugin's server; the others
 * (the OSCAR part's, leftovers) are ignored. An entry is `<type>.<id>`, or the whole `<type>` when it is not a
 * map of accounts (SCAR's older lists).
 */
export function checkStorageProviders(
  value: unknown,
  functions: FunctionDefinition[],
  notices: string[],
): void {
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
      else if (type === 'minio') {
        notices.push(
          `storage_providers.${entry}: the MinIO server ${names.join(' and ')} write${names.length === 1 ? 's' : ''} to (custom.containerLambda.storageProviders.${entry}), with the keys of the function's secrets`,
        );
      } else if (
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
