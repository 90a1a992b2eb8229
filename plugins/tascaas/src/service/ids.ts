// Names the service hands out: job ids, the token-bearing partition ID of TaScaaS's configs, and object keys.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Location } from './types';

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TOKEN_LENGTH = 22;

export function newJobId(): string {
  return randomUUID();
}

export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}

/** A deterministic id for a job started by an upload, so that a duplicated S3 event starts the same job once. */
export function jobIdOf(...parts: string[]): string {
  const digest = createHmac('sha256', 'tascaas-job-id').update(parts.join('\n')).digest('hex');
  return `cfg-${digest.slice(0, 32)}`;
}

function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('tascaas-partition-token').digest();
}

/** The token of one attempt of one partition: refused for any other partition or attempt. */
export function partitionToken(secret: string, jobId: string, partition: number, attempt: number): string {
  return createHmac('sha256', tokenKey(secret))
    .update(`${jobId}/${partition}/${attempt}`)
    .digest('base64url')
    .slice(0, TOKEN_LENGTH);
}

/**
 * TaScaaS's `configs[].ID`: worker.py builds the program's lb-url and upload request from it, so the token rides
 * inside it to reach unmodified clients: `<jobId>.<attempt>.<token>`.
 */
export function partitionId(secret: string, jobId: string, partition: number, attempt: number): string {
  return `${jobId}.${attempt}.${partitionToken(secret, jobId, partition, attempt)}`;
}

export interface PartitionIdParts {
  jobId: string;
  attempt: number;
}

/** The job and attempt an ID names, when its token holds for `partition`; undefined otherwise. */
export function verifyPartitionId(
  secret: string,
  id: string,
  partition: number,
): PartitionIdParts | undefined {
  const parts = id.split('.');
  if (parts.length !== 3) return undefined;
  const [jobId = '', attemptText = '', token = ''] = parts;
  const attempt = Number(attemptText);
  if (!isJobId(jobId) || !/^[1-9][0-9]{0,8}$/.test(attemptText) || token.length !== TOKEN_LENGTH) {
    return undefined;
  }
  const expected = Buffer.from(partitionToken(secret, jobId, partition, attempt));
  const given = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { jobId, attempt };
}

const pad = (partition: number) => String(partition).padStart(5, '0');

export type AttemptObject = 'result' | 'checkpoint';

/** `<results prefix><jobId>/partition-00003/attempt-2.result` (or `.checkpoint`). */
export function attemptKey(
  results: Location,
  jobId: string,
  partition: number,
  attempt: number,
  kind: AttemptObject,
): string {
  return `${results.prefix}${jobId}/partition-${pad(partition)}/attempt-${attempt}.${kind}`;
}

/** What an uploaded result's key names, or undefined for any other key. */
export function parseAttemptKey(
  results: Location,
  key: string,
): { jobId: string; partition: number; attempt: number; kind: AttemptObject } | undefined {
  if (!key.startsWith(results.prefix)) return undefined;
  const match =
    /^([a-z0-9][a-z0-9-]{0,62})\/partition-(\d{5,})\/attempt-([1-9]\d{0,8})\.(result|checkpoint)$/.exec(
      key.slice(results.prefix.length),
    );
  if (!match) return undefined;
  return {
    jobId: match[1] ?? '',
    partition: Number(match[2]),
    attempt: Number(match[3]),
    kind: match[4] as AttemptObject,
  };
}

/** The manifest written when every partition finished and uploaded its result. */
export function manifestKey(results: Location, jobId: string): string {
  return `${results.prefix}${jobId}/_SUCCESS.json`;
}
