// Which store an output goes to: S3 through the function's role, or a MinIO (S3-compatible) server an output
// names as `minio.<id>`, reached with the credentials `container.secrets` holds for it (never the template).
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createS3Storage, type S3StorageOptions, type Storage } from '@serverless-continuum/core/storage';
import { storageSecretName, type StorageAccounts } from './contract';

/** `minio.lab` -> minio, lab; plain `s3` -> s3, default (as SCAR's supervisor reads them). */
function entry(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}

export type StorageFor = (storage: string | undefined) => Promise<Storage>;

/**
 * `s3` and `s3.<id>` are the role's S3 (`fallback`); `minio.<id>` a client for that server, made when first
 * needed and again when its credentials change (a rotated secret).
 */
export function storageChooser(options: {
  fallback: Storage;
  accounts?: StorageAccounts;
  secrets?: () => Promise<Record<string, string>>;
  make?: (options: S3StorageOptions) => Storage;
}): StorageFor {
  const make = options.make ?? createS3Storage;
  const made = new Map<string, { credentials: string; storage: Storage }>();
  return async (storage) => {
    if (!storage) return options.fallback;
    const { type, id } = entry(storage);
    if (type === 's3') return options.fallback;
    const account = type === 'minio' ? options.accounts?.minio?.[id] : undefined;
    if (!account) {
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `output storage ${storage}: no such account in CONTINUUM_STORAGE_PROVIDERS`,
      );
    }
    const values = (await options.secrets?.()) ?? {};
    const accessKeyId = values[storageSecretName(type, id, 'access_key')];
    const secretAccessKey = values[storageSecretName(type, id, 'secret_key')];
    if (!accessKeyId || !secretAccessKey) {
      throw new ContinuumError(
        'CONTINUUM_SECRET',
        `output storage ${storage}: its credentials ${storageSecretName(type, id, 'access_key')} and ${storageSecretName(type, id, 'secret_key')} are not among the function's secrets`,
      );
    }
    const credentials = `${accessKeyId}\n${secretAccessKey}`;
    const known = made.get(storage);
    if (known?.credentials === credentials) return known.storage;
    const client = make({
      endpoint: account.endpoint,
      ...(account.region ? { region: account.region } : {}),
      credentials: { accessKeyId, secretAccessKey },
      ...(account.verify === false ? { tlsVerify: false } : {}),
    });
    made.set(storage, { credentials, storage: client });
    return client;
  };
}

/** Where an upload went, for the log: `s3://bucket/key`, or `minio.lab:bucket/key`. */
export function uploadLocation(storage: string | undefined, bucket: string, key: string): string {
  return !storage || entry(storage).type === 's3' ? `s3://${bucket}/${key}` : `${storage}:${bucket}/${key}`;
}
