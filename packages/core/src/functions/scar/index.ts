// Imports SCAR's Function Definition Language (`functions.aws[].lambda`, `storage_providers`, the legacy
// `image:` layout) into the shared function model. What we cannot honour is reported, never dropped silently.
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../errors';
import type { FunctionDefinition } from '../model';
import { isDict, Problems, readFdlFile } from '../fdl';
import { importAwsEntry } from './lambda';
import { checkStorageProviders, outputAccounts, type StorageAccountsConfig } from './storage';

export interface FdlImport {
  functions: FunctionDefinition[];
  /** Things that were ignored on purpose (the OSCAR part, SCAR's client settings): print them. */
  notices: string[];
  /** The MinIO, WebDAV and Onedata accounts the outputs write to (without credentials). */
  storageProviders?: StorageAccountsConfig;
}

export interface ScarImportOptions {
  /** The FDL file (for messages and to resolve `init_script`). */
  file: string;
  /** The setting that named the file, in the caller's words (`custom.<plugin>.fdl`): the errors name it. */
  configPath: string;
  /** The service's region: a function pinned to another region cannot live in this stack. */
  region?: string;
  /**
   * Functions whose image the service gives prebuilt (for container-lambda, `custom.containerLambda.images`):
   * their FDL image may be a placeholder, and their init_script absent here.
   */
  prebuilt?: ReadonlySet<string>;
}

export function importScarFdl(document: unknown, options: ScarImportOptions): FdlImport {
  const problems = new Problems();
  const notices: string[] = [];
  const functions: FunctionDefinition[] = [];
  const baseDir = dirname(resolve(options.file));

  if (!isDict(document)) {
    throw new ConfigError(options.configPath, `${options.file} is not a SCAR FDL document`);
  }
  for (const key of Object.keys(document)) {
    if (key !== 'functions' && key !== 'storage_providers') problems.add(key, 'not a SCAR FDL key');
  }
  const fdlFunctions = document.functions;
  if (!isDict(fdlFunctions)) {
    problems.add('functions', 'required (SCAR FDL lists functions under functions.aws)');
  } else {
    for (const provider of Object.keys(fdlFunctions)) {
      if (provider === 'oscar') {
        const count = Array.isArray(fdlFunctions.oscar) ? fdlFunctions.oscar.length : 0;
        notices.push(
          `functions.oscar: ${count} OSCAR service(s) not imported: the OSCAR part is for the oscar-target plugin`,
        );
      } else if (provider !== 'aws') {
        problems.add(`functions.${provider}`, 'unknown provider (SCAR knows aws and oscar)');
      }
    }
    const aws = fdlFunctions.aws;
    if (aws === undefined) {
      problems.add(
        'functions.aws',
        'no AWS functions to import (the OSCAR part is for the oscar-target plugin)',
      );
    } else if (!Array.isArray(aws)) {
      problems.add('functions.aws', 'must be a list of { lambda: ... } entries');
    } else {
      aws.forEach((entry, index) => {
        const fn = importAwsEntry(
          entry,
          `functions.aws[${index}]`,
          baseDir,
          { ...options, storageProviders: document.storage_providers },
          problems,
          notices,
        );
        if (fn) functions.push(fn);
      });
    }
  }
  checkStorageProviders(document.storage_providers, functions, notices);
  const accounts = outputAccounts(document.storage_providers, functions, problems);
  const seen = new Set<string>();
  functions.forEach((fn, index) => {
    if (seen.has(fn.name))
      problems.add(`functions.aws[${index}].lambda.name`, `"${fn.name}" is defined twice`);
    seen.add(fn.name);
  });

  if (problems.list.length) {
    throw new ConfigError(
      options.configPath,
      `${options.file} cannot be imported as is:\n  - ${problems.list.join('\n  - ')}`,
    );
  }
  return { functions, notices, ...(Object.keys(accounts).length ? { storageProviders: accounts } : {}) };
}

/** Reads a SCAR FDL file and imports its AWS part. */
export function importScarFdlFile(file: string, options: Omit<ScarImportOptions, 'file'>): FdlImport {
  return importScarFdl(readFdlFile(file, options.configPath), { ...options, file });
}
