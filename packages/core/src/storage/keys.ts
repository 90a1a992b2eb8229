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
  /** Without leading or trailing slashes; '' for the whole bucket. */
  prefix: string;
}

/**
 * Parses `bucket`, `bucket/prefix` or `bucket/prefix/sub` (FDL's storage path form).
 * `configPath` names the setting in the error, e.g. `functions.thumb.input[0].path`.
 */
export function parseStoragePath(path: string, configPath = 'path'): StoragePath {
  const trimmed = typeof path === 'string' ? path.trim().replace(/^\/+/, '') : '';
  const slash = trimmed.indexOf('/');
  const bucket = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash === -1 ? '' : trimmed.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!bucket) {
    throw new ConfigError(
      configPath,
      `${JSON.stringify(path)} names no bucket`,
      'write it as "bucket" or "bucket/prefix"',
    );
  }
  return { bucket, prefix };
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
