// What every FDL importer shares (SCAR's today, OSCAR's next): reading the file, collecting every problem
// before failing, and the parts both FDLs write alike: `storage_provider` ids and `{ storage_provider, path }` bindings.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors';
import type { StorageBinding } from './model';

/**
 * Reads and parses an FDL file (YAML). `configPath` is the setting that pointed at the file, in the caller's
 * words (`custom.<plugin>.fdl`): the errors name it.
 */
export function readFdlFile(file: string, configPath: string): unknown {
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

export type Dict = Record<string, unknown>;

export const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects every problem before failing, so one run tells the user everything to change. */
export class Problems {
  readonly list: string[] = [];
  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }
}

/** `<provider>[.<id>]`: `s3`, `s3.my_account`, `minio.my_minio`. */
export const STORAGE_ID = /^(s3|minio|onedata)(\.([A-Za-z0-9_-]+))?$/;

export function stringList(value: unknown, path: string, problems: Problems): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.length || !list.every((v) => typeof v === 'string' && v)) {
    problems.add(path, 'must be a list of strings');
    return undefined;
  }
  return list as string[];
}

/** `{ storage_provider, path, prefix, suffix }` entries; `checkStorage` adds what the target allows of a provider. */
export function storageBindings(
  value: unknown,
  path: string,
  problems: Problems,
  checkStorage?: (storage: string, path: string) => void,
  /** The provider ids this FDL knows (default: s3, minio, onedata). */
  ids: { pattern: RegExp; names: string } = { pattern: STORAGE_ID, names: 's3, minio or onedata' },
): StorageBinding[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(path, 'must be a list of { storage_provider, path }');
    return undefined;
  }
  const bindings: StorageBinding[] = [];
  value.forEach((item, index) => {
    const at = `${path}[${index}]`;
    if (!isDict(item)) {
      problems.add(at, 'must be { storage_provider, path }');
      return;
    }
    const binding: Partial<StorageBinding> = {};
    for (const [key, v] of Object.entries(item)) {
      if (key === 'storage_provider') {
        if (typeof v === 'string' && ids.pattern.test(v)) {
          binding.storage = v;
          checkStorage?.(v, `${at}.storage_provider`);
        } else problems.add(`${at}.storage_provider`, `must be ${ids.names}, optionally .<id>`);
      } else if (key === 'path') {
        if (typeof v === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v)) binding.path = v;
        else problems.add(`${at}.path`, 'must be bucket[/prefix] with a valid S3 bucket name');
      } else if (key === 'suffix' || key === 'prefix') {
        const list = stringList(v, `${at}.${key}`, problems);
        if (list) binding[key] = list;
      } else {
        problems.add(
          `${at}.${key}`,
          'not supported (a binding takes storage_provider, path, prefix, suffix)',
        );
      }
    }
    if (!binding.storage) problems.add(`${at}.storage_provider`, 'required');
    if (!binding.path) problems.add(`${at}.path`, 'required');
    if (binding.storage && binding.path) bindings.push(binding as StorageBinding);
  });
  return bindings;
}

/**
 * The `storage_providers` entry a binding reads, as SCAR's supervisor picks it: `s3.my_s3` reads
 * `storage_providers.s3.my_s3`, and plain `s3` the account `default`.
 */
export function storageProviderEntry(storage: string): { type: string; id: string } {
  const dot = storage.indexOf('.');
  return dot === -1
    ? { type: storage, id: 'default' }
    : { type: storage.slice(0, dot), id: storage.slice(dot + 1) };
}
