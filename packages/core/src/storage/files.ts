// Moving whole objects between a Storage and local files, without ever leaving a half-written file behind.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ContinuumError } from '../errors';
import { safeJoin } from './keys';
import { tempPathFor } from './local';
import { PART_SIZE } from './s3';
import type { PutOptions, Storage } from './types';

/**
 * Streams object `key` to `filePath` (parent folders are created). The data goes to a temporary file
 * beside it first, so `filePath` either appears complete or not at all.
 */
export async function downloadToFile(
  storage: Storage,
  bucket: string,
  key: string,
  filePath: string,
): Promise<void> {
  const target = resolve(filePath);
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    const body = await storage.get(bucket, key);
    await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof ContinuumError) throw error;
    throw new ContinuumError(
      'CONTINUUM_STORAGE',
      `could not download ${bucket}/${key} to ${target}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Downloads object `key` to `dir/<name>` (`name` defaults to the key). Refuses, with CONTINUUM_UNSAFE_KEY
 * and before any I/O, a name that would land outside `dir`. Returns the file path.
 */
export async function downloadIntoFolder(
  storage: Storage,
  bucket: string,
  key: string,
  dir: string,
  name: string = key,
): Promise<string> {
  const target = safeJoin(dir, name);
  await downloadToFile(storage, bucket, key, target);
  return target;
}

/** Uploads a local file as object `key`: small files in one request, big ones streamed (multipart on S3). */
export async function uploadFile(
  storage: Pick<Storage, 'put'>,
  bucket: string,
  key: string,
  filePath: string,
  options?: PutOptions,
): Promise<void> {
  let size: number;
  try {
    const stats = await stat(filePath);
    if (!stats.isFile()) throw new Error('not a regular file');
    size = stats.size;
  } catch (error) {
    throw new ContinuumError(
      'CONTINUUM_NOT_FOUND',
      `cannot upload ${filePath} to ${bucket}/${key}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const body = size <= PART_SIZE ? await readFile(filePath) : createReadStream(filePath);
  await storage.put(bucket, key, body, options);
}
