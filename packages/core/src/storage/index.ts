// Storage: one interface (`types`), two adapters (`s3`, `local`), key safety and path parsing, file transfers.
export * from './types';
export { isSafeKey, joinKey, parseS3Url, parseStoragePath, safeJoin } from './keys';
export type { PrefixConvention, S3Location, StoragePath, StoragePathOptions } from './keys';
export { createS3Storage, PART_SIZE } from './s3';
export type { S3StorageOptions } from './s3';
export { createLocalStorage, isTempPath } from './local';
export { downloadIntoFolder, downloadToFile, uploadFile } from './files';
export { readAll } from './streams';
export { ACCOUNT_SECRET_KEYS, storageSecretName, type AccountType } from './accounts';
