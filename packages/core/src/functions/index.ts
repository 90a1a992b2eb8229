// The function-definition model shared by container-lambda and oscar-target, its schema, and FDL importers.

export * from './schema';
export * from './model';
export * from './resolve';
export * from './notifications';
export * from './trigger-graph';
export * from './trigger-registry';
export * from './secrets';
export * from './targets';
// The storage-path parser, here too: a plugin that reads a `functions:` block need not load the S3 adapter.
export {
  parseStoragePath,
  type PrefixConvention,
  type StoragePath,
  type StoragePathOptions,
} from '../storage/keys';
export { readFdlFile } from './fdl';
export { importScarFdl, importScarFdlFile, type FdlImport, type ScarImportOptions } from './scar/index';
export {
  importOscarFdl,
  importOscarFdlFile,
  quantityMiB,
  type OscarFdlImport,
  type OscarFunctionDefinition,
  type OscarImportOptions,
  type OscarSettings,
} from './oscar/index';
