// Small stream and range helpers shared by the storage adapters.
import { Readable } from 'node:stream';
import { ContinuumError } from '../errors';
import type { Body, ByteRange } from './types';

/** Refuses ranges that are not whole non-negative numbers; `where` names the object in the error. */
export function checkRange(range: ByteRange | undefined, where: string): void {
  if (!range) return;
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= 0));
  if (!valid) {
    throw new ContinuumError(
      'CONTINUUM_STORAGE',
      `invalid byte range {start: ${String(start)}, end: ${String(end)}} for ${where}: use whole numbers >= 0`,
    );
  }
}

/** Reads a stream to its end into one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** A non-stream body as bytes (strings are UTF-8), without copying Buffers. */
export function toBuffer(body: Exclude<Body, Readable>): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** A byte stream with no bytes (what reading an empty range gives). */
export function emptyStream(): Readable {
  return Readable.from([], { objectMode: false });
}
