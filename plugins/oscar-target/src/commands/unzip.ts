// Unpacks the zip OSCAR's /run answers with when a script writes several files; entries can never escape the folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { safeJoin } from '@serverless-continuum/core/storage';
import { ContinuumError } from '@serverless-continuum/core/errors';

export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 22 && bytes.readUInt32LE(0) === 0x04034b50;
}

/** Writes every file of the archive under `dir`; returns their paths, in archive order. */
export function unzipInto(bytes: Buffer, dir: string): string[] {
  // The end-of-central-directory record sits in the last 22 bytes plus an optional comment.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0)
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      'the answer looks like a zip but has no central directory',
    );
  const count = bytes.readUInt16LE(end + 10);
  let offset = bytes.readUInt32LE(end + 16);
  const written: string[] = [];
  for (let n = 0; n < count; n++) {
    const method = bytes.readUInt16LE(offset + 10);
    const compressed = bytes.readUInt32LE(offset + 20);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const local = bytes.readUInt32LE(offset + 42);
    const name = bytes.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(dataStart, dataStart + compressed);
    const content = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
    if (!content)
      throw new ContinuumError(
        'CONTINUUM_RUN_FAILED',
        `${name}: zip compression method ${method} is not supported`,
      );
    const target = safeJoin(dir, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    written.push(target);
  }
  return written;
}
