// What the service needs (its adapters) and what a job definition says, the same locally and on AWS.
import type { Queue } from '@serverless-continuum/core/queue';
import type { StateStore } from '@serverless-continuum/core/state';
import type { Storage } from '@serverless-continuum/core/storage';

/** A bucket and a key prefix ('' or ending in '/'). */
export interface Location {
  bucket: string;
  prefix: string;
}

/** One `custom.tascaas.<name>` block, resolved: what the runtime needs of it. */
export interface JobDefinition {
  name: string;
  /** Initial partitions of a job that names none (TaScaaS init_workers). */
  partitions: number;
  /** Deadline growth stops here (TaScaaS max_workers). */
  maxPartitions: number;
  /** Seconds between reports; undefined: max(20, time / 20) per job. */
  reportInterval?: number;
  /** Deliveries of a partition before it is dead-lettered and the job fails. */
  maxAttempts: number;
  results: Location;
  /** Where job inputs live; an uploaded `*.config` there starts a job. */
  input?: Location;
  /** The service function that processes partitions from the queue, if any. */
  worker?: string;
}

/** Signed links to objects: S3 presigned URLs on AWS, the local server's signed URLs locally. */
export interface ObjectLinks {
  get(location: { bucket: string; key: string }, expiresSeconds: number): Promise<string>;
  put(location: { bucket: string; key: string }, expiresSeconds: number): Promise<string>;
}

export interface Services {
  state: StateStore;
  /** Each definition's partition queue and its dead-letter queue. */
  queues: Record<string, { partitions: Queue; deadLetters: Queue }>;
  storage: Storage;
  links: ObjectLinks;
  definitions: Record<string, JobDefinition>;
  /** The deployment's secret (TaScaaS's `secret`): registers infrastructures, authorizes the job API, keys the tokens. */
  secret: string;
  /** Seconds of a capacity-hint period (TaScaaS scaletime); leases last twice this. */
  scaleTime: number;
  /** Epoch milliseconds (tests pass a virtual clock). */
  now(): number;
  log?: (line: string) => void;
}

export interface ApiRequest {
  method: string;
  /** The path at the API's root, e.g. `/node/register`, without the query. */
  path: string;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: Buffer;
  /** The API's own base URL (e.g. `http://127.0.0.1:8080`), to build the links it hands out. */
  baseUrl: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
