// The `s3` Storage adapter: AWS S3, or any S3-compatible endpoint (MinIO, s3rver) through `endpoint` + path-style.
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ContinuumError } from '../errors';
import { checkRange, emptyStream, readAll, toBuffer } from './streams';
import type { Body, ByteRange, GetOptions, ObjectInfo, PutOptions, Storage } from './types';

export interface S3StorageOptions {
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:9000`; AWS S3 when omitted. */
  endpoint?: string;
  /** Defaults to the SDK's own resolution (AWS_REGION, profile), or `us-east-1` with a custom endpoint. */
  region?: string;
  /**
   * Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need: the default with an
   * `endpoint`; `false` keeps virtual-hosted URLs there.
   */
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
  /** A ready client (the other options are then ignored); the caller keeps ownership of it. */
  client?: S3Client;
  /** `false` accepts self-signed certificates on an https endpoint. Only when the user asks for it. */
  tlsVerify?: boolean;
}

/** Multipart part size, and the largest body sent as one PutObject. */
export const PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight per upload: bounds memory to about PART_SIZE * (QUEUE_SIZE + 1). */
const QUEUE_SIZE = 4;

export function createS3Storage(options: S3StorageOptions = {}): Storage {
  const client = options.client ?? new S3Client(s3ClientConfig(options));
  return new S3Storage(client);
}

/** The client config of an `S3StorageOptions`: also what core's Lambda kit builds a handler's S3 client from. */
export function s3ClientConfig(options: Omit<S3StorageOptions, 'client'>): S3ClientConfig {
  const config: S3ClientConfig = {};
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // Many S3-compatible servers reject the SDK's default CRC checksums (aws-chunked trailers).
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  const region = options.region ?? (options.endpoint ? 'us-east-1' : undefined);
  if (region) config.region = region;
  const pathStyle = options.forcePathStyle ?? (options.endpoint ? true : undefined);
  if (pathStyle !== undefined) config.forcePathStyle = pathStyle;
  if (options.credentials) config.credentials = options.credentials;
  if (options.tlsVerify === false) {
    config.requestHandler = { httpsAgent: new HttpsAgent({ keepAlive: true, rejectUnauthorized: false }) };
  }
  return config;
}

function location(bucket: string, key?: string): string {
  return key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`;
}

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  const e = error as SdkError | null;
  return e?.name ?? e?.Code ?? 'Error';
}

/** Maps an SDK error to a ContinuumError that names the bucket and key (never the credentials). */
function storageError(error: unknown, action: string, bucket: string, key?: string): ContinuumError {
  if (error instanceof ContinuumError) return error;
  const name = nameOf(error);
  const where = location(bucket, key);
  if (name === 'NoSuchBucket') {
    return new ContinuumError(
      'CONTINUUM_NOT_FOUND',
      `bucket "${bucket}" does not exist (${action} ${where})`,
      {
        cause: error,
      },
    );
  }
  if (name === 'NoSuchVersion') {
    return new ContinuumError('CONTINUUM_NOT_FOUND', `object ${where} not found (no such version)`, {
      cause: error,
    });
  }
  if (name === 'PreconditionFailed' || statusOf(error) === 412) {
    return new ContinuumError(
      'CONTINUUM_PRECONDITION_FAILED',
      `object ${where} changed (${action} pinned to an ETag)`,
      {
        cause: error,
      },
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404) {
    return new ContinuumError('CONTINUUM_NOT_FOUND', `object ${where} not found`, { cause: error });
  }
  const message = (error as SdkError | null)?.message;
  return new ContinuumError(
    'CONTINUUM_STORAGE',
    `could not ${action} ${where}: ${name}${message && message !== name ? `: ${message}` : ''}`,
    { cause: error },
  );
}

function contentRangeStart(contentRange: string | undefined): number | undefined {
  const match = /^bytes (\d+)-/.exec(contentRange ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The bytes of `source` from offset `skip`, at most `length` of them; stops reading once they are out. */
async function* sliceStream(
  source: Readable,
  skip: number,
  length: number | undefined,
): AsyncGenerator<Buffer> {
  let toSkip = skip;
  let left = length ?? Infinity;
  for await (const data of source) {
    let chunk = data as Buffer;
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(dropped);
      toSkip -= dropped;
    }
    if (chunk.length > left) chunk = chunk.subarray(0, left);
    if (chunk.length > 0) yield chunk;
    left -= chunk.length;
    if (left <= 0) break; // leaving the loop destroys `source`: the rest is never downloaded
  }
}

function etagOf(value: string | undefined): string | undefined {
  return value?.replace(/^"|"$/g, '');
}

/** If-Match takes the ETag as S3 sends it, in double quotes. */
function quotedEtag(etag: string): string {
  return `"${etagOf(etag)}"`;
}

class S3Storage implements Storage {
  readonly kind = 's3' as const;

  constructor(readonly client: S3Client) {}

  async get(bucket: string, key: string, range?: ByteRange, options: GetOptions = {}): Promise<Readable> {
    checkRange(range, location(bucket, key));
    if (range?.end !== undefined && range.end <= range.start) return emptyStream();
    // HTTP ranges are inclusive at both ends; ours exclude `end`.
    const header = range ? `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` : undefined;
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: header,
          ...(options.versionId ? { VersionId: options.versionId } : {}),
          ...(options.ifMatch ? { IfMatch: quotedEtag(options.ifMatch) } : {}),
        }),
      );
      const body = (response.Body as Readable | undefined) ?? emptyStream();
      if (!range) return body;
      // A server may answer a Range with more than asked (HTTP allows ignoring it; s3rver widens `bytes=0-0`
      // to the whole object): cut the answer down to exactly the requested bytes.
      const servedStart = contentRangeStart(response.ContentRange) ?? 0;
      const wanted = range.end === undefined ? undefined : range.end - range.start;
      const skip = range.start - servedStart;
      if (skip === 0 && (wanted === undefined || (response.ContentLength ?? Infinity) <= wanted)) return body;
      if (skip < 0) {
        body.destroy();
        throw new ContinuumError(
          'CONTINUUM_STORAGE',
          `server answered ${header} with ${response.ContentRange} for ${location(bucket, key)}`,
        );
      }
      return Readable.from(sliceStream(body, skip, wanted), { objectMode: false });
    } catch (error) {
      // A range that starts at or past the end is an empty read, as with a local file.
      if (range && (nameOf(error) === 'InvalidRange' || statusOf(error) === 416)) return emptyStream();
      throw storageError(error, 'read', bucket, key);
    }
  }

  async getBytes(bucket: string, key: string, range?: ByteRange, options?: GetOptions): Promise<Buffer> {
    const stream = await this.get(bucket, key, range, options);
    try {
      return await readAll(stream);
    } catch (error) {
      throw storageError(error, 'read', bucket, key);
    }
  }

  async put(bucket: string, key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const params = {
      Bucket: bucket,
      Key: key,
      ContentType: options.contentType,
      Metadata: options.metadata,
    };
    try {
      if (!(body instanceof Readable)) {
        const bytes = toBuffer(body);
        if (bytes.length <= PART_SIZE) {
          await this.client.send(new PutObjectCommand({ ...params, Body: bytes }));
          return;
        }
        body = bytes;
      }
      // lib-storage aborts the multipart upload on failure: no partial object ever becomes visible.
      const upload = new Upload({
        client: this.client,
        params: { ...params, Body: body },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      throw storageError(error, 'write', bucket, key);
    }
  }

  async *list(bucket: string, prefix = ''): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix || undefined,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw storageError(error, 'list', bucket, prefix);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          ...(object.ETag ? { etag: etagOf(object.ETag) } : {}),
          ...(object.LastModified ? { lastModified: object.LastModified } : {}),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: response.ContentLength ?? 0,
        ...(response.ETag ? { etag: etagOf(response.ETag) } : {}),
        ...(response.LastModified ? { lastModified: response.LastModified } : {}),
        ...(response.VersionId ? { versionId: response.VersionId } : {}),
      };
    } catch (error) {
      // HEAD responses have no body, so a missing bucket also looks like a plain 404 here.
      if (statusOf(error) === 404 || nameOf(error) === 'NotFound' || nameOf(error) === 'NoSuchKey')
        return undefined;
      throw storageError(error, 'inspect', bucket, key);
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (nameOf(error) === 'NoSuchKey') return;
      throw storageError(error, 'delete', bucket, key);
    }
  }

  async deleteMany(bucket: string, keys: string[]): Promise<void> {
    // DeleteObjects takes at most 1,000 keys per request.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let response;
      try {
        response = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (error) {
        throw storageError(error, 'delete objects in', bucket, batch[0]);
      }
      const failed = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      const first = failed[0];
      if (first) {
        throw new ContinuumError(
          'CONTINUUM_STORAGE',
          `could not delete ${failed.length} object(s) in s3://${bucket}, first ${location(bucket, first.Key ?? '?')}: ${first.Code ?? 'Error'}${first.Message ? `: ${first.Message}` : ''}`,
        );
      }
    }
  }
}
