// SCAR FDL on AWS: what becomes of `storage_providers`. An S3 binding reaches S3 through the function's own role,
// so an account's settings are not read; an output may go to a MinIO, WebDAV or Onedata account, whose
// credentials are the function's secrets. Credentials written in the file are refused rather than deployed.
import { ACCOUNT_SECRET_KEYS, storageSecretName, type AccountType } from '../../storage/accounts';
import type { FunctionDefinition } from '../model';
import { isDict, storageProviderEntry, type Problems } from '../fdl';

/** Keys of a storage account that hold credentials (SCAR: access_key, secret_key; Onedata: token; WebDAV: password). */
const CREDENTIAL_KEY = /key|secret|password|passwd|pass$|token|credential/i;

/** faas-supervisor's provider types: SCAR's three, and WebDAV. */
export const SCAR_STORAGE_IDS = {
  pattern: /^(s3|minio|onedata|webdav)(\.([A-Za-z0-9_-]+))?$/,
  names: 's3, minio, onedata or webdav',
};

/** The accounts outputs name, as the plugin's `storageProviders` describes them (no credentials). */
export interface StorageAccountsConfig {
  minio?: Record<string, { endpoint: string; region?: string; verify?: boolean }>;
  webdav?: Record<string, { hostname: string; login: string; verify?: boolean }>;
  onedata?: Record<string, { oneproviderHost: string; space: string; verify?: boolean }>;
}

const ACCOUNT_TYPES: AccountType[] = ['minio', 'webdav', 'onedata'];

/** faas-supervisor's keys of each account type, the plugin's name for each, and which are required. */
const ACCOUNT_KEYS: Record<AccountType, Record<string, { name: string; required?: true }>> = {
  minio: {
    endpoint: { name: 'endpoint', required: true },
    region: { name: 'region' },
    verify: { name: 'verify' },
  },
  webdav: {
    hostname: { name: 'hostname', required: true },
    login: { name: 'login', required: true },
    verify: { name: 'verify' },
  },
  onedata: {
    oneprovider_host: { name: 'oneproviderHost', required: true },
    space: { name: 'space', required: true },
    verify: { name: 'verify' },
  },
};

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
  const accounts = isDict(providers) && isDict(providers[type]) ? providers[type] : undefined;
  const account = accounts?.[id];
  const at = `storage_providers.${type}.${id}`;
  if (type !== 's3' && !isDict(account)) {
    const keys = Object.entries(ACCOUNT_KEYS[type as AccountType])
      .filter(([, key]) => key.required)
      .map(([name]) => name);
    problems.add(path, `${storage} names no ${type} account: describe it in ${at} { ${keys.join(', ')} }`);
    return;
  }
  if (!isDict(account)) return;
  const credentials = Object.keys(account).filter((key) => CREDENTIAL_KEY.test(key));
  // Said once per account, however many bindings use it; the values are never repeated.
  if (!credentials.length || problems.list.some((line) => line.startsWith(`${at}.`))) return;
  const where =
    type !== 's3'
      ? `store ${type === 'minio' ? 'them' : 'it'} in SSM Parameter Store or Secrets Manager and name ${type === 'minio' ? 'them' : 'it'} in lambda.container.secrets as ${ACCOUNT_SECRET_KEYS[type as AccountType].map((key) => storageSecretName(type, id, key)).join(' and ')}`
      : 'the function reads and writes S3 with its own IAM role; credentials the script itself needs belong in SSM Parameter Store or Secrets Manager, named in container.secrets';
  problems.add(
    credentials.map((key) => `${at}.${key}`).join(', '),
    `storage credentials are not taken from an FDL file (${path} uses this account): ${where}`,
  );
}

/**
 * The MinIO, WebDAV and Onedata accounts the functions' outputs use, in the plugin's `storageProviders` words
 * (https only: the credentials cross the network). Problems name the FDL path.
 */
export function outputAccounts(
  value: unknown,
  functions: FunctionDefinition[],
  problems: Problems,
): StorageAccountsConfig {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const type of ACCOUNT_TYPES) {
    const accounts = isDict(value) && isDict(value[type]) ? value[type] : undefined;
    if (!accounts) continue;
    const used = new Set(
      functions.flatMap((fn) =>
        (fn.output ?? [])
          .map((binding) => storageProviderEntry(binding.storage))
          .filter((entry) => entry.type === type)
          .map((entry) => entry.id),
      ),
    );
    for (const id of used) {
      const account = accounts[id];
      const at = `storage_providers.${type}.${id}`;
      if (!isDict(account)) continue;
      const converted: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(account)) {
        const known = ACCOUNT_KEYS[type][key];
        if (CREDENTIAL_KEY.test(key)) continue; // refused in checkAwsStorage, never read
        if (!known) {
          problems.add(`${at}.${key}`, `not supported (${Object.keys(ACCOUNT_KEYS[type]).join(', ')})`);
        } else if (key === 'verify') {
          if (v === false || v === 'False' || v === 'false') converted.verify = false;
          else if (!(v === true || v === 'True' || v === 'true'))
            problems.add(`${at}.verify`, 'must be true or false');
        } else if (key === 'endpoint') {
          if (typeof v === 'string' && /^https:\/\/[^\s/]+(\/.*)?$/.test(v)) converted.endpoint = v;
          else
            problems.add(
              `${at}.endpoint`,
              'must be an https:// URL (the keys cross the network: http would send them in clear)',
            );
        } else if (typeof v === 'string' && v) converted[known.name] = v;
        else problems.add(`${at}.${key}`, 'must be a string');
      }
      for (const [key, { required }] of Object.entries(ACCOUNT_KEYS[type])) {
        if (required && account[key] === undefined) problems.add(`${at}.${key}`, 'required');
      }
      (out[type] ??= {})[id] = converted;
    }
  }
  return out as StorageAccountsConfig;
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
      else if (type !== 's3') {
        notices.push(
          `storage_providers.${entry}: the ${type} account ${names.join(' and ')} write${names.length === 1 ? 's' : ''} to, with the credentials of the function's secrets`,
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
