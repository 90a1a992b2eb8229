// Reading S3 notifications: every field is checked before use, so that a malformed
// record (null, no key, a key that is not valid URL encoding) is skipped with its reason and never stops the
// other records of its event.

/** An object upload told by one record of an S3 event. */
export interface Upload {
  bucket: string;
  /** Decoded (S3 URL-encodes keys in events, with `+` for spaces). */
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

/** A record that tells of no upload: why, and what of its bucket and key could be read (for the log). */
export interface SkippedRecord {
  skip: string;
  bucket: string;
  key: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringAt(value: unknown, name: string): string | undefined {
  const field = isObject(value) ? value[name] : undefined;
  return typeof field === 'string' && field !== '' ? field : undefined;
}

/** The records of an event, or why it has none to read. */
export function recordsOf(event: unknown): unknown[] | { skip: string } {
  // S3 sends this once when a notification is configured: there is nothing to do.
  if (isObject(event) && event.Event === 's3:TestEvent') return { skip: 'an S3 test event' };
  if (!isObject(event) || !Array.isArray(event.Records))
    return { skip: 'not an S3 event (it has no Records list)' };
  return event.Records;
}

/** S3 event keys are form-encoded: `+` is a space, then percent-decoding; undefined when that is not valid. */
export function decodeS3Key(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The upload one record of an S3 event tells of, or why it tells of none. */
export function uploadOf(record: unknown): Upload | SkippedRecord {
  if (!isObject(record) || !isObject(record.s3))
    return { skip: 'not an S3 event record', bucket: '', key: '' };
  const object = record.s3.object;
  const bucket = stringAt(record.s3.bucket, 'name');
  const raw = stringAt(object, 'key');
  if (!bucket) return { skip: 'the record names no bucket', bucket: '', key: raw ?? '' };
  if (!raw || !isObject(object)) return { skip: 'the record names no object key', bucket, key: '' };
  const key = decodeS3Key(raw);
  if (key === undefined) return { skip: 'the object key is not valid URL encoding', bucket, key: raw };
  const size = object.size;
  if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) >= 0))
    return { skip: `the object size ${JSON.stringify(size)} is not a byte count`, bucket, key };
  const etag = stringAt(object, 'eTag')?.replace(/"/g, '');
  const versionId = stringAt(object, 'versionId');
  const sequencer = stringAt(object, 'sequencer');
  return {
    bucket,
    key,
    ...(size !== undefined ? { size: size as number } : {}),
    ...(etag ? { etag } : {}),
    ...(versionId ? { versionId } : {}),
    ...(sequencer ? { sequencer } : {}),
  };
}
