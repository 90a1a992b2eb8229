// The `local` Storage adapter: a folder where each bucket is a sub-folder and each key a file path under it.
// Writes go to a temporary file beside the target and are renamed into place, so readers never see half an object.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContinuumError } from '../errors';
import { safeJoin } from './keys';
import { checkRange, emptyStream, readAll, toBuffer } from './streams';
import type { Body, ByteRange, GetOptions, ObjectInfo, PutOptions, Storage } from './types';

/** Temporary files end with this marker plus random hex; `list` never shows them. */
const TEMP_MARKER = '.continuum-tmp-';
const TEMP_NAME = /\.continuum-tmp-[0-9a-f]{16}$/;

/** A fresh temporary name in the same folder as `path` (same file system, so the rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARKER}${randomBytes(8).toString('hex')}`);
}

export function isTempPath(path: string): boolean {
  return TEMP_NAME.test(path);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** UTF-8 byte order, the order S3 lists keys in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function createLocalStorage(rootDir: string): Storage {
  return new LocalStorage(resolve(rootDir));
}

class LocalStorage implements Storage {
  readonly kind = 'local' as const;

  constructor(readonly rootDir: string) {}

  private bucketDir(bucket: string): string {
    if (bucket.includes('/') || bucket.includes('\\')) {
      throw new ContinuumError(
        'CONTINUUM_UNSAFE_KEY',
        `bucket name ${JSON.stringify(bucket)} would escape ${this.rootDir} (it contains a slash)`,
      );
    }
    return safeJoin(this.rootDir, bucket);
  }

  /**
   * The file of `bucket`/`key`. Besides the key checks of safeJoin, the folders on the way must not be
   * symbolic links leading out of the root: otherwise `link/passwd` could read or overwrite a file elsewhere.
   */
  private async objectPath(bucket: string, key: string): Promise<string> {
    const path = safeJoin(this.bucketDir(bucket), key);
    const root = await realpath(this.rootDir).catch(() => this.rootDir);
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      let real: string;
      try {
        real = await realpath(dir);
      } catch (error) {
        if (errno(error) !== 'ENOENT' || dir === this.rootDir || dir === dirname(dir)) return path;
        continue; // not created yet: check the nearest folder that exists
      }
      if (real === root || real.startsWith(root + sep)) return path;
      throw new ContinuumError(
        'CONTINUUM_UNSAFE_KEY',
        `object key ${JSON.stringify(key)} would escape ${this.rootDir} (a folder on its path links to ${real})`,
      );
    }
  }

  private where(bucket: string, key: string): string {
    return `local://${bucket}/${key}`;
  }

  private storageError(error: unknown, action: string, bucket: string, key: string): ContinuumError {
    if (error instanceof ContinuumError) return error;
    const code = errno(error);
    const detail =
      code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST' ? ' (a key is also used as a folder)' : '';
    return new ContinuumError(
      'CONTINUUM_STORAGE',
      `could not ${action} ${this.where(bucket, key)}${detail}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  private async fileInfo(path: string): Promise<{ size: number; mtime: Date } | undefined> {
    try {
      const stats = await lstat(path);
      return stats.isFile() ? { size: stats.size, mtime: stats.mtime } : undefined;
    } catch (error) {
      const code = errno(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  async get(bucket: string, key: string, range?: ByteRange, options: GetOptions = {}): Promise<Readable> {
    const path = await this.objectPath(bucket, key);
    checkRange(range, this.where(bucket, key));
    if (options.versionId) {
      // Ignoring the pin could read a newer file than the caller asked for: refuse it instead.
      throw new ContinuumError(
        'CONTINUUM_UNSUPPORTED',
        `cannot read version ${options.versionId} of ${this.where(bucket, key)}: local storage keeps no versions`,
      );
    }
    let info;
    try {
      info = await this.fileInfo(path);
    } catch (error) {
      throw this.storageError(error, 'read', bucket, key);
    }
    if (!info) throw new ContinuumError('CONTINUUM_NOT_FOUND', `object ${this.where(bucket, key)} not found`);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? info.size, info.size);
    if (options.ifMatch !== undefined) return this.getIfMatch(bucket, key, path, options.ifMatch, start, end);
    if (end <= start) return emptyStream();
    // createReadStream's `end` is inclusive.
    return createReadStream(path, { start, end: end - 1 });
  }

  /**
   * Hashes and reads through one open file: a put renames a new file into place, so the bytes read are those
   * of the file whose ETag matched even when the key is replaced meanwhile.
   */
  private async getIfMatch(
    bucket: string,
    key: string,
    path: string,
    ifMatch: string,
    start: number,
    end: number,
  ): Promise<Readable> {
    const file = await open(path, 'r').catch((error: unknown) => {
      throw this.storageError(error, 'read', bucket, key);
    });
    try {
      const hash = createHash('md5');
      for await (const chunk of file.createReadStream({ start: 0, autoClose: false }))
        hash.update(chunk as Buffer);
      const etag = hash.digest('hex');
      if (etag !== ifMatch.replace(/^"|"$/g, '')) {
        throw new ContinuumError(
          'CONTINUUM_PRECONDITION_FAILED',
          `object ${this.where(bucket, key)} changed (its ETag is "${etag}", not "${ifMatch.replace(/^"|"$/g, '')}")`,
        );
      }
    } catch (error) {
      await file.close();
      throw this.storageError(error, 'read', bucket, key);
    }
    if (end <= start) {
      await file.close();
      return emptyStream();
    }
    return file.createReadStream({ start, end: end - 1 });
  }

  async getBytes(bucket: string, key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    const stream = await this.get(bucket, key, range, options);
    try {
      return await readAll(stream);
    } catch (error) {
      throw this.storageError(error, 'read', bucket, key);
    }
  }

  async put(bucket: string, key: string, body: Body, _options?: PutOptions): Promise<void> {
    const path = await this.objectPath(bucket, key);
    const temp = tempPathFor(path);
    try {
      await mkdir(dirname(path), { recursive: true });
      const source = body instanceof Readable ? body : Readable.from([toBuffer(body)]);
      await pipeline(source, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw this.storageError(error, 'write', bucket, key);
    }
  }

  async *list(bucket: string, prefix = ''): AsyncIterable<ObjectInfo> {
    const bucketDir = this.bucketDir(bucket);
    // Only walk the folder the prefix points into: `a/b/c` can only match under `a/b/`.
    const lastSlash = prefix.lastIndexOf('/');
    const startKey = lastSlash === -1 ? '' : prefix.slice(0, lastSlash);
    let startDir = bucketDir;
    if (startKey) {
      try {
        startDir = safeJoin(bucketDir, startKey);
      } catch {
        return; // a prefix no stored key can have (e.g. with `..`) matches nothing
      }
    }
    const found: ObjectInfo[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        const code = errno(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw this.storageError(error, 'list', bucket, prefix);
      }
      for (const entry of entries) {
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) {
          const asFolder = `${key}/`;
          if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder))
            await walk(join(dir, entry.name), asFolder);
        } else if (entry.isFile() && !isTempPath(entry.name) && key.startsWith(prefix)) {
          const info = await this.fileInfo(join(dir, entry.name)).catch(() => undefined);
          if (info) found.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    await walk(startDir, startKey ? `${startKey}/` : '');
    found.sort((a, b) => compareKeys(a.key, b.key));
    yield* found;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const path = await this.objectPath(bucket, key);
    try {
      const info = await this.fileInfo(path);
      return info ? { key, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      throw this.storageError(error, 'inspect', bucket, key);
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const path = await this.objectPath(bucket, key);
    try {
      if (await this.fileInfo(path)) await unlink(path);
    } catch (error) {
      if (errno(error) === 'ENOENT') return;
      throw this.storageError(error, 'delete', bucket, key);
    }
  }

  async deleteMany(bucket: string, keys: string[]): Promise<void> {
    for (const key of keys) await this.delete(bucket, key);
  }
}
