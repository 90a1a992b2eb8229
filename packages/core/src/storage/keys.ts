// Object keys and storage paths: turning an untrusted key into a file path that stays inside its folder,
// and parsing the `bucket/prefix` and `s3://bucket/key` forms users write.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError, ContinuumError } from '../errors';

/** Why `key` cannot become a path, or undefined when it can. */
function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'the key is empty';
  if (key.includes('\0')) return 'the key contains a NUL byte';
  // Backslashes are separators on Windows and in zip entries: a key must be safe under both readings.
  if (key.startsWith('/') || key.startsWith('\\') || /^[A-Za-z]:/.test(key))
    return 'the key is an absolute path';
  for (const segment of key.split(/[/\\]/)) {
    if (segment === '..') return 'the key has a ".." segment';
    if (segment === '.') return 'the key has a "." segment';
    if (segment === '') return 'the key has an empty segment';
  }
  return undefined;
}

/** True when `key` can be used as a relative path: not empty, no NUL, not absolute, no `.`/`..`/empty segments. */
export function isSafeKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/**
 * The path of object `key` under `baseDir`. Keys that would land outside `baseDir` (or are not plain
 * relative paths) are refused with CONTINUUM_UNSAFE_KEY instead of being "cleaned up".
 */
export function safeJoin(baseDir: string, key: string): string {
  const base = resolve(baseDir);
  const fail = (reason: string): never => {
    throw new ContinuumError(
      'CONTINUUM_UNSAFE_KEY',
      `object key ${JSON.stringify(key)} would escape ${base} (${reason})`,
    );
  };
  const problem = keyProblem(key);
  if (problem) return fail(problem);
  const target = resolve(base, key);
  const inside = relative(base, target);
  // Second line of defence: whatever the checks above missed, the resolved path must be below `base`.
  if (!inside || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return fail('it resolves outside the folder');
  }
  return target;
}

/** Joins key parts with single slashes, dropping empty parts and slashes at the joins. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
}

export interface StoragePath {
  bucket: string;
  /** In the convention the caller asked for (see PrefixConvention); '' for the whole bucket. */
  prefix: string;
}

/**
 * How a parsed prefix is written; both write the whole bucket as ''.
 * - `bare`: `in/sub`, no slash at either end. Bindings, IAM resources and S3 notification filters are built
 *   from it, each adding the `/` it needs.
 * - `folder`: `in/sub/`, ready to put in front of a key name (mapreduce joins its run keys this way).
 */
export type PrefixConvention = 'bare' | 'folder';

export interface StoragePathOptions {
  /** `bare` unless told. */
  prefix?: PrefixConvention;
  /** Check the bucket against S3's naming rules here (where no schema did). */
  bucketName?: boolean;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The one parser of the `bucket[/prefix]` storage paths users write (FDL bindings, a function's `input`, a
 * job's input under `custom`). Surrounding blanks and leading slashes are dropped, a doubled slash in the
 * prefix reads as one, and the prefix has no `.` or `..` segment.
 * `configPath` names the setting in the error, e.g. `functions.thumb.input[0].path`.
 */
export function parseStoragePath(
  path: string,
  configPath = 'path',
  options: StoragePathOptions = {},
): StoragePath {
  const trimmed = typeof path === 'string' ? path.trim().replace(/^\/+/, '') : '';
  const [bucket = '', ...rest] = trimmed.split('/');
  if (!bucket) {
    throw new ConfigError(
      configPath,
      `${JSON.stringify(path)} names no bucket`,
      'write it as "bucket" or "bucket/prefix"',
    );
  }
  if (options.bucketName && !BUCKET_NAME.test(bucket)) {
    throw new ConfigError(configPath, `invalid bucket name ${JSON.stringify(bucket)}`, 'write bucket/prefix');
  }
  const segments = rest.filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new ConfigError(
      configPath,
      `${JSON.stringify(path)} has a . or .. segment`,
      'write bucket[/prefix]',
    );
  }
  const prefix = segments.join('/');
  return { bucket, prefix: options.prefix === 'folder' && prefix ? `${prefix}/` : prefix };
}

export interface S3Location {
  bucket: string;
  /** The object key (may be '' or end with '/' for a prefix). */
  key: string;
}

/** Parses `s3://bucket/key`; the key is kept as written (URL escapes are not decoded: S3 keys may contain `%`). */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(typeof url === 'string' ? url.trim() : '');
  if (!match || !match[1]) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `${JSON.stringify(url)} is not an s3://bucket/key URL`,
    );
  }
  return { bucket: match[1], key: match[2] ?? '' };
}
