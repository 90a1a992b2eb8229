// Where a storage account's credentials live when they may not be written down: one variable of the function's
// secrets per credential, named after the account, so an importer's refusal and the runtime agree on the name.

/**
 * `minio.my_minio`'s `access_key` is `MINIO_MY_MINIO_ACCESS_KEY`: type, id and key upper-cased, any other
 * character an underscore.
 */
export function storageSecretName(type: string, id: string, key: string): string {
  return [type, id, key].map((part) => part.toUpperCase().replace(/[^A-Z0-9]/g, '_')).join('_');
}

/** The credentials each kind of account takes, in faas-supervisor's words. */
export const ACCOUNT_SECRET_KEYS = {
  minio: ['access_key', 'secret_key'],
  webdav: ['password'],
  onedata: ['token'],
} as const;

export type AccountType = keyof typeof ACCOUNT_SECRET_KEYS;
