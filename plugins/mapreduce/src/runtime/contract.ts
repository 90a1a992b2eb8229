// The contract between the mapreduce compile step and its runtime: handler factories, environment variables, payloads.
// The compile step bundles, per role, a generated entry that imports the user's module and calls a factory below.

// Types only from core/lambda: the compile step loads this file at package time, without the SDK clients.
import type { FailedInvocationRecord as LambdaFailureRecord } from '@serverless-continuum/core/lambda';
import type { StreamingPrograms } from './streaming/programs';

export const ENV = {
  /** JSON `JobRuntimeConfig`. */
  job: 'MAPREDUCE_JOB',
  /** DynamoDB table holding run state, key schema `pk` (S, hash) + `sk` (S, range); absent in local mode, which uses a local run store. */
  table: 'MAPREDUCE_TABLE',
  /** Function names (not ARNs) the coordinator and mappers invoke asynchronously. */
  mapperFunction: 'MAPREDUCE_MAPPER_FUNCTION',
  reducerFunction: 'MAPREDUCE_REDUCER_FUNCTION',
  /** Optional S3-compatible endpoint (tests, MinIO), path-style. */
  s3Endpoint: 'MAPREDUCE_S3_ENDPOINT',
} as const;

export interface JobRuntimeConfig {
  name: string;
  input: { bucket: string; prefix: string };
  output: { bucket: string; prefix: string };
  /** Where intermediates go: `<output prefix>/_temporary` unless configured. */
  temp: { bucket: string; prefix: string };
  records: 'lines' | 'jsonl';
  outputFormat: 'tsv' | 'jsonl';
  chunkSize?: number;
  mappers?: number;
  reducers: number;
  concurrency: number;
  retries: number;
  /** Reducer memory budget for in-memory merging, bytes; larger partitions spill sorted runs to disk. */
  reducerMemoryBudget: number;
  stragglers: boolean;
  /** Price inputs for the cost estimate in `_SUCCESS.json`. */
  mapperMemoryMb: number;
  reducerMemoryMb: number;
  /** A streaming job's programs (Hadoop Streaming's contract), run in place of JavaScript modules. */
  streaming?: StreamingPrograms;
}

/** Run-table items carry this attribute (epoch seconds) so DynamoDB's TTL removes them some days after the run. */
export const RUN_TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** The payload the coordinator (and mappers, for the next split or a retry) send to the mapper function. */
export interface MapTaskEvent {
  kind: 'map';
  runId: string;
  /** `versionId` (versioned buckets) or `etag` pins the reads to the object version that started the run. */
  input: { bucket: string; key: string; versionId?: string; etag?: string; size: number };
  split: { index: number; start: number; end: number };
  /** 1 for the first attempt. */
  attempt: number;
  /** A straggler's backup copy, running beside the original (`stragglers: true`); the first to finish wins. */
  backup?: boolean;
  /**
   * Set on a retry of an attempt that Lambda reported failed (a crash, a timeout): that attempt's owner (its
   * Lambda request id). The retry claims and transitions as the dead attempt did, so it carries on whatever
   * that one had claimed (launching the next split, starting the reducers, publishing) instead of finding it
   * taken. Absent otherwise: the owner is the invocation's own request id.
   */
  owner?: string;
}

/**
 * The mapper function's other payload (`stragglers: true`): watch the run's running splits and launch their
 * backups when they cross the limit; sent once per run, then by the watcher to itself when its time runs out.
 */
export interface StragglerWatchEvent {
  kind: 'watch';
  runId: string;
  /** The run's input, for the backups' map events. */
  input: MapTaskEvent['input'];
  /**
   * How many times a watcher of this run died (a crash, a timeout) and the coordinator started a new one; at
   * most the job's `retries`. Absent for the first watcher; a hand-over passes it on.
   */
  restarts?: number;
}

/** The payload sent to the reducer function, one per partition. */
export interface ReduceTaskEvent {
  kind: 'reduce';
  runId: string;
  partition: number;
  attempt: number;
  /** As on `MapTaskEvent`. */
  owner?: string;
}

/**
 * What Lambda sends to a function's on-failure destination when an asynchronous invocation failed and no retry
 * is left: the coordinator for the mapper and reducer (whose own Lambda retries are 0, so the job's `retries`
 * count every failure once), the mapper for the coordinator. Its payload is a task's event (mapper, reducer), or
 * the S3 event the coordinator failed on.
 */
export type FailedInvocationRecord = LambdaFailureRecord<
  MapTaskEvent | ReduceTaskEvent | StragglerWatchEvent | { Records?: unknown[] }
>;
