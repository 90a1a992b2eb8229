// Which store an output goes to: S3 through the function's role, or a MinIO (S3-compatible) server, a WebDAV
// server or a Oneprovider an output names as `<type>.<id>`, reached with the credentials `container.secrets`
// holds for that account (storageSecretName), never the template.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createS3Storage, type S3StorageOptions, type Storage } from '@serverless-continuum/core/storage';
import { ACCOUNT_SECRET_KEYS, storageSecretName, type StorageAccounts } from './contract';
import { createOnedataStore, createWebdavStore, type OutputStore } from './http-stores';

export type { OutputStore } from './http-stores';

/** `minio.lab` -> minio, lab; plain `s3` -> s3, default (as SCAR's supervisor reads them). */
function entry(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}

export type StorageFor = (storage: string | undefined) => Promise<OutputStore>;

export interface StoreMakers {
  s3: (options: S3StorageOptions) => OutputStore;
  webdav: typeof createWebdavStore;
  onedata: typeof createOnedataStore;
}

const MAKERS: StoreMakers = { s3: createS3Storage, webdav: createWebdavStore, onedata: createOnedataStore };

/**
 * `s3` and `s3.<id>` are the role's S3 (`fallback`); any other store is made when first needed, and again when
 * its credentials change (a rotated secret).
 */
export function storageChooser(options: {
  fallback: Storage;
  accounts?: StorageAccounts;
  secrets?: () => Promise<Record<string, string>>;
  make?: Partial<StoreMakers>;
}): StorageFor {
  const make = { ...MAKERS, ...options.make };
  const made = new Map<string, { credentials: string; store: OutputStore }>();
  return async (storage) => {
    if (!storage) return options.fallback;
    const { type, id } = entry(storage);
    if (type === 's3') return options.fallback;
    const accounts = options.accounts ?? {};
    const account =
      type === 'minio' || type === 'webdav' || type === 'onedata' ? accounts[type]?.[id] : undefined;
    if (!account || !(type in ACCOUNT_SECRET_KEYS)) {
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `output storage ${storage}: no such account in CONTINUUM_STORAGE_PROVIDERS`,
      );
    }
    const names = ACCOUNT_SECRET_KEYS[type as keyof typeof ACCOUNT_SECRET_KEYS].map((key) =>
      storageSecretName(type, id, key),
    );
    const values = (await options.secrets?.()) ?? {};
    const missing = names.filter((name) => !values[name]);
    if (missing.length) {
      throw new ContinuumError(
        'CONTINUUM_SECRET',
        `output storage ${storage}: its credentials ${missing.join(' and ')} are not among the function's secrets`,
      );
    }
    const [first = '', second = ''] = names.map((name) => values[name] ?? '');
    const credentials = `${first}\n${second}`;
    const known = made.get(storage);
    if (known?.credentials === credentials) return known.store;
    const verify = account.verify === false ? { tlsVerify: false } : {};
    let store: OutputStore;
    if (type === 'minio') {
      const minio = accounts.minio![id]!;
      store = make.s3({
        endpoint: minio.endpoint,
        ...(minio.region ? { region: minio.region } : {}),
        credentials: { accessKeyId: first, secretAccessKey: second },
        ...verify,
      });
    } else if (type === 'webdav') {
      const webdav = accounts.webdav![id]!;
      store = make.webdav({ url: webdav.url, login: webdav.login, password: first, ...verify });
    } else {
      const onedata = accounts.onedata![id]!;
      store = make.onedata({ url: onedata.url, space: onedata.space, token: first, ...verify });
    }
    made.set(storage, { credentials, store });
    return store;
  };
}

/** Where an upload went, for the log: `s3://bucket/key`, or `minio.lab:bucket/key`. */
export function uploadLocation(storage: string | undefined, bucket: string, key: string): string {
  return !storage || entry(storage).type === 's3' ? `s3://${bucket}/${key}` : `${storage}:${bucket}/${key}`;
}
