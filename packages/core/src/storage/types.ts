// The one storage interface every plugin uses; adapters: `s3` (AWS S3 or any S3-compatible endpoint) and `local` (a folder).
import type { Readable } from 'node:stream';

/** A byte range: `start` inclusive, `end` exclusive. `end` omitted means "to the end of the object". */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  versionId?: string;
}

export type Body = Buffer | Uint8Array | string | Readable;

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
}

/** Pins a read to one state of the object, so that a later upload under the same key is never read by mistake. */
export interface GetOptions {
  /** Reads this version (a versioned S3 bucket). The `local` adapter keeps no versions and refuses it. */
  versionId?: string;
  /**
   * Reads only while the object's ETag is this one (quotes optional), else rejects with
   * CONTINUUM_PRECONDITION_FAILED. `local` computes the ETag S3 gives a one-part upload: the MD5 of the content.
   */
  ifMatch?: string;
}

export interface Storage {
  readonly kind: 's3' | 'local';
  /**
   * Streams an object, or a byte range of it. Rejects with code CONTINUUM_NOT_FOUND when absent (or when the
   * pinned version is), CONTINUUM_PRECONDITION_FAILED when `ifMatch` no longer holds.
   */
  get(bucket: string, key: string, range?: ByteRange, options?: GetOptions): Promise<Readable>;
  /** Reads an object (or a range) fully into memory. */
  getBytes(bucket: string, key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer>;
  /** Writes an object; large or streamed bodies go through multipart upload on S3. */
  put(bucket: string, key: string, body: Body, options?: PutOptions): Promise<void>;
  /** Every object under `prefix`, in key order, across pages. */
  list(bucket: string, prefix?: string): AsyncIterable<ObjectInfo>;
  /** Metadata, or undefined when the object does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Deletes one object; deleting an absent object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Deletes several objects (S3: up to 1,000 per request); absent objects are not an error. */
  deleteMany?(bucket: string, keys: string[]): Promise<void>;
}
