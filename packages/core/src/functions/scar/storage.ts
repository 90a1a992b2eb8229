// SCAR FDL on AWS: what becomes of `storage_providers`. A binding reaches S3 through the function's own role,
// so an account's settings are not read, and credentials written there are refused rather than deployed.
import type { FunctionDefinition } from '../model';
import { isDict, storageProviderEntry, type Problems } from '../fdl';

/** Keys of a storage account that hold credentials (SCAR: access_key, secret_key; OSCAR/Onedata: password, token). */
const CREDENTIAL_KEY = /key|secret|password|passwd|pass$|token|credential/i;

/**
 * On AWS a binding is S3, through the function's own role: no other provider, and no credentials in the FDL
 * (they would end up in the template).
 */
export function checkAwsStorage(storage: string, path: string, providers: unknown, problems: Problems): void {
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
