// Pure helpers over the events the supervisor receives (S3 notifications, API Gateway proxy calls, anything
// else), and the S3 notification it gets for one object, which the local runner and `run --existing` send.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { decodeS3Key } from '@serverless-continuum/core/lambda';
import { passesFilters } from '@serverless-continuum/core/local';
import type { StorageBindingRuntime } from './contract';

export interface S3Record {
  bucket: string;
  /** The decoded object key (S3 notifications URL-encode keys, with `+` for spaces); as received when invalid. */
  key: string;
  /** Set when the key is not valid URL encoding: this record fails alone, the others are still processed. */
  invalidKey?: ContinuumError;
  size?: number;
  eventTime?: string;
  /** The record as received, for handing it to Batch unchanged. */
  raw: unknown;
}

export interface HttpCall {
  body: Buffer;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The caller asked not to wait (`X-Amz-Invocation-Type: Event` or `InvocationType: Event`). */
  async: boolean;
}

export type ClassifiedEvent =
  { kind: 's3'; records: S3Record[] } | { kind: 'http'; call: HttpCall } | { kind: 'direct' };

/** A record's key decoded by core's `decodeS3Key`; CONTINUUM_UNSAFE_KEY names a key that is not valid URL encoding. */
export function decodeRecordKey(raw: string): string {
  const key = decodeS3Key(raw);
  if (key === undefined)
    throw new ContinuumError('CONTINUUM_UNSAFE_KEY', `object key "${raw}" is not valid URL encoding`);
  return key;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lowerCaseKeys(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function stringValues(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function classifyEvent(event: unknown): ClassifiedEvent {
  // S3 sends this once when a notification is configured: there is nothing to process.
  if (isObject(event) && event.Event === 's3:TestEvent') return { kind: 's3', records: [] };
  if (isObject(event) && Array.isArray(event.Records)) {
    const records: S3Record[] = [];
    for (const raw of event.Records) {
      if (!isObject(raw) || !isObject(raw.s3)) continue;
      const s3 = raw.s3;
      const bucket = isObject(s3.bucket) && typeof s3.bucket.name === 'string' ? s3.bucket.name : undefined;
      const object = isObject(s3.object) ? s3.object : undefined;
      if (!bucket || !object || typeof object.key !== 'string') continue;
      let record: S3Record;
      try {
        record = { bucket, key: decodeRecordKey(object.key), raw };
      } catch (error) {
        record = { bucket, key: object.key, raw, invalidKey: error as ContinuumError };
      }
      if (typeof object.size === 'number') record.size = object.size;
      if (typeof raw.eventTime === 'string') record.eventTime = raw.eventTime;
      records.push(record);
    }
    return { kind: 's3', records };
  }
  const requestContext = isObject(event) ? event.requestContext : undefined;
  const isHttp =
    isObject(event) &&
    (typeof event.httpMethod === 'string' || (isObject(requestContext) && isObject(requestContext.http)));
  if (isHttp) {
    const headers = lowerCaseKeys(event.headers);
    const query = stringValues(event.queryStringParameters);
    const body =
      typeof event.body === 'string'
        ? Buffer.from(event.body, event.isBase64Encoded === true ? 'base64' : 'utf8')
        : Buffer.alloc(0);
    const invocationType =
      headers['x-amz-invocation-type'] ?? headers['invocationtype'] ?? query['InvocationType'];
    return { kind: 'http', call: { body, headers, query, async: invocationType?.toLowerCase() === 'event' } };
  }
  return { kind: 'direct' };
}

/** The part of `key` under `prefix` (no leading slash), or undefined when `key` is not under it. */
export function relativeTo(prefix: string, key: string): string | undefined {
  if (!prefix) return key;
  return key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : undefined;
}

/** The outputs' filter rule is core's (the local runners share it): inputs pass the same test. */
export { passesFilters };

/** The binding an object belongs to (same bucket, under its prefix, through its filters), if any. */
export function matchBinding(
  bindings: readonly StorageBindingRuntime[],
  bucket: string,
  key: string,
): StorageBindingRuntime | undefined {
  return bindings.find((b) => {
    if (b.bucket !== bucket) return false;
    const rel = relativeTo(b.prefix, key);
    return rel !== undefined && rel !== '' && passesFilters(b, rel);
  });
}

/** Last path segment of an object key: the name the script sees in TMP_INPUT_DIR. Empty for folder markers. */
export function keyBasename(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 1] ?? '';
}

/**
 * A file name an HTTP caller may choose (`X-Continuum-Filename` header or `filename` query parameter), or the
 * request id. Anything that is not a plain single name falls back to the request id.
 */
export function httpInputName(call: HttpCall, requestId: string): string {
  const wanted = call.headers['x-continuum-filename'] ?? call.query['filename'];
  if (wanted && isPlainName(wanted)) return wanted;
  return isPlainName(requestId) ? requestId : 'input';
}

/** One path segment that cannot point anywhere else: no separators, not `.`/`..`, no NUL, not too long. */
export function isPlainName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= 255 &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('\0')
  );
}

/** An S3 notification (ObjectCreated:Put) for one object, shaped like the ones AWS sends (key form-encoded). */
export function storageEvent(
  bucket: string,
  key: string,
  size: number,
  eventTime: string,
  region = 'us-east-1',
): unknown {
  const encodedKey = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime,
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodedKey, size },
        },
      },
    ],
  };
}
