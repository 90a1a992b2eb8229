// The function-definition model shared by container-lambda and oscar-target, its schema, and FDL importers.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors';
import { importScarFdl, type FdlImport } from './scar';

export * from './schema';
export * from './model';
export * from './trigger-graph';
export * from './trigger-registry';
export * from './secrets';
// The storage-path parser, here too: a plugin that reads a `functions:` block need not load the S3 adapter.
export {
  parseStoragePath,
  type PrefixConvention,
  type StoragePath,
  type StoragePathOptions,
} from '../storage/keys';
export { importScarFdl, type FdlImport, type ScarImportOptions } from './scar';

/** Reads and parses an FDL file (YAML), naming the config path that pointed at it when that fails. */
export function readFdlFile(file: string, configPath = 'custom.containerLambda.fdl'): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(configPath, `cannot read ${file}`, 'give a path relative to the service folder');
  }
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(
      configPath,
      `${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/** Imports the AWS part of a SCAR FDL file. */
export function importScarFdlFile(file: string, options: { region?: string } = {}): FdlImport {
  return importScarFdl(readFdlFile(file), { file, region: options.region });
}

// OSCAR's FDL (`functions.oscar[].<cluster>`) maps onto the same model; its importer belongs here
// (`importOscarFdl`, next to importScarFdl) and is written with the oscar-target plugin.
