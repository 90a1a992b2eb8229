// What every mapreduce handler shares: its job and clients (created once per container), its work folder,
// JSON logs, and the asynchronous invocations that start the next tasks.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaClient, createS3Client, invokeAsync, logJson } from '@serverless-continuum/core/lambda';
import { createS3Storage, type Storage } from '@serverless-continuum/core/storage';
import {
  ENV,
  type JobRuntimeConfig,
  type MapTaskEvent,
  type ReduceTaskEvent,
  type StragglerWatchEvent,
} from './contract';
import { DynamoRunStore } from './dynamo-run-store';
import type { RunStore } from './run-store';
import { splitAt, type SplitPlan } from './splits';

// @middy/core 6 is ESM-only: handlers are always bundled (esbuild) or run under tsx, both of which load it here.
export const middy = (require('@middy/core') as { default: typeof middyCore }).default;

/** Bytes per ranged GET. */
export const FETCH_SIZE = 8 * 1024 * 1024;

/**
 * Throttles (DynamoDB's ProvisionedThroughputExceededException and ThrottlingException, S3's SlowDown) are
 * retried with the SDK's adaptive mode: jittered exponential backoff, and a client-side rate that backs off
 * with them. Every task of a run shares the run's partition keys and prefixes, so more attempts than the SDK's
 * default 3 are worth their wait: a task that still fails is retried as a whole, at a higher cost.
 */
export const SDK_RETRY = { mode: 'adaptive', maxAttempts: 8 } as const;

export interface LambdaContextLike {
  awsRequestId?: string;
  /** Lambda's; absent where handlers run outside Lambda (tests), and then the straggler watcher never hands over. */
  getRemainingTimeInMillis?: () => number;
}

export interface Runtime {
  job: JobRuntimeConfig;
  storage: Storage;
  store: RunStore;
  lambda: LambdaClient;
  mapperFunction: string;
  reducerFunction: string;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`environment variable ${name} is not set (the mapreduce plugin sets it at deploy time)`);
  return value;
}

/** Clients are created on the first invocation and reused by every later one in the same container. */
export function runtimeOnce(): () => Runtime {
  let runtime: Runtime | undefined;
  return () => {
    if (runtime) return runtime;
    const job = JSON.parse(requiredEnv(ENV.job)) as JobRuntimeConfig;
    const endpoint = process.env[ENV.s3Endpoint];
    runtime = {
      job,
      storage: createS3Storage({
        client: createS3Client({ ...(endpoint ? { endpoint } : {}), retry: SDK_RETRY }),
      }),
      store: new DynamoRunStore(
        new DynamoDBClient({ retryMode: SDK_RETRY.mode, maxAttempts: SDK_RETRY.maxAttempts }),
        requiredEnv(ENV.table),
      ),
      lambda: createLambdaClient(),
      mapperFunction: process.env[ENV.mapperFunction] ?? '',
      reducerFunction: process.env[ENV.reducerFunction] ?? '',
    };
    return runtime;
  };
}

/** Where map and reduce tasks keep their files while they run. */
export function workRoot(): string {
  return join(tmpdir(), 'mapreduce');
}

/**
 * In Lambda, an execution environment runs one invocation at a time, so files under `workRoot()` at the start of
 * one were left by an invocation that died (a timeout or a crash skips `finally`): a retry landing in the same
 * environment would otherwise find /tmp full of them. Outside Lambda (tests, other hosts) tasks may share the
 * folder at the same time, and nothing is removed.
 */
export function clearDeadWork(): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) rmSync(workRoot(), { recursive: true, force: true });
}

export const log = logJson;

export async function invoke(
  rt: Runtime,
  functionName: string,
  payload: MapTaskEvent | ReduceTaskEvent | StragglerWatchEvent,
): Promise<void> {
  if (!functionName)
    throw new Error('no function to invoke: the mapper/reducer function name is not configured');
  await invokeAsync(rt.lambda, functionName, payload);
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function forEachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

export function planOf(job: JobRuntimeConfig): SplitPlan {
  return {
    ...(job.chunkSize !== undefined ? { chunkSize: job.chunkSize } : {}),
    ...(job.mappers !== undefined ? { mappers: job.mappers } : {}),
  };
}

/** The map task of split `index`, or undefined past the last split. */
export function mapEvent(
  runId: string,
  input: MapTaskEvent['input'],
  job: JobRuntimeConfig,
  index: number,
  attempt: number,
  backup = false,
) {
  const split = splitAt(input.size, planOf(job), index);
  if (!split) return undefined;
  return { kind: 'map', runId, input, split, attempt, ...(backup ? { backup } : {}) } satisfies MapTaskEvent;
}

export async function startReducers(rt: Runtime, runId: string): Promise<void> {
  const partitions = Array.from({ length: rt.job.reducers }, (_, r) => r);
  await forEachLimited(partitions, 50, (partition) =>
    invoke(rt, rt.reducerFunction, { kind: 'reduce', runId, partition, attempt: 1 }),
  );
}
