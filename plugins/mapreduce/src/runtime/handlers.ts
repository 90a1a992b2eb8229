// The Lambda handlers of a mapreduce job: coordinator (S3-triggered), mapper and reducer. Each reads its job from
// the environment (see `ENV`), creates its AWS clients once per container, and is safe to run twice for one event.
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Storage } from '@serverless-continuum/core/storage';
import type { Storage } from '@serverless-continuum/core/storage';
import {
  ENV,
  isFailedInvocationRecord,
  type FailedInvocationRecord,
  type JobRuntimeConfig,
  type MapTaskEvent,
  type ReduceTaskEvent,
  type StragglerWatchEvent,
} from './contract';
import { DynamoRunStore } from './dynamo-run-store';
import { FilePartitionSink, runMapTask, splitStats } from './map-task';
import { runReduceTask } from './reduce-task';
import { buildReport, keys, makeRunId } from './report';
import { isOver, type Phase, type RunStore } from './run-store';
import { recordsOf, uploadOf } from '@serverless-continuum/core/lambda';
import { countSplits, planSplits, splitAt, type SplitPlan } from './splits';
import { planBackups } from './stragglers';
import type { FailureReport, Mapper, Reducer } from './types';

// @middy/core 6 is ESM-only: handlers are always bundled (esbuild) or run under tsx, both of which load it here.
const middy = (require('@middy/core') as { default: typeof middyCore }).default;

/** Bytes per ranged GET. */
export const FETCH_SIZE = 8 * 1024 * 1024;

interface LambdaContextLike {
  awsRequestId?: string;
  /** Lambda's; absent where handlers run outside Lambda (tests), and then the straggler watcher never hands over. */
  getRemainingTimeInMillis?: () => number;
}

/** The straggler watcher's longest sleep: a bound on how late it notices a change nobody told it about. */
const WATCH_POLL_MS = 30_000;
/** Its shortest sleep, so that a split crossing the limit right now does not make it spin. */
const WATCH_MIN_SLEEP_MS = 100;
/** The Lambda time a watcher keeps back to hand over to a fresh watcher before its timeout. */
const WATCH_MARGIN_MS = 15_000;
/** A run still mapping this long after it started is stuck; its watcher stops rather than hand over forever. */
const WATCH_MAX_MS = 12 * 3600 * 1000;

interface Runtime {
  job: JobRuntimeConfig;
  s3: S3Client;
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
function runtimeOnce(): () => Runtime {
  let runtime: Runtime | undefined;
  return () => {
    if (runtime) return runtime;
    const job = JSON.parse(requiredEnv(ENV.job)) as JobRuntimeConfig;
    const endpoint = process.env[ENV.s3Endpoint];
    // S3-compatible servers (MinIO, s3rver) are path-style and reject the SDK's default CRC checksum trailers.
    const s3 = new S3Client(
      endpoint
        ? {
            endpoint,
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
            ...(process.env.AWS_REGION ? {} : { region: 'us-east-1' }),
          }
        : {},
    );
    runtime = {
      job,
      s3,
      storage: createS3Storage({ client: s3 }),
      store: new DynamoRunStore(new DynamoDBClient({}), requiredEnv(ENV.table)),
      lambda: new LambdaClient({}),
      mapperFunction: process.env[ENV.mapperFunction] ?? '',
      reducerFunction: process.env[ENV.reducerFunction] ?? '',
    };
    return runtime;
  };
}

/** Where map and reduce tasks keep their files while they run. */
function workRoot(): string {
  return join(tmpdir(), 'mapreduce');
}

/**
 * In Lambda, an execution environment runs one invocation at a time, so files under `workRoot()` at the start of
 * one were left by an invocation that died (a timeout or a crash skips `finally`): a retry landing in the same
 * environment would otherwise find /tmp full of them. Outside Lambda (tests, other hosts) tasks may share the
 * folder at the same time, and nothing is removed.
 */
function clearDeadWork(): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) rmSync(workRoot(), { recursive: true, force: true });
}

function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ message, ...fields }));
}

async function invoke(
  rt: Runtime,
  functionName: string,
  payload: MapTaskEvent | ReduceTaskEvent | StragglerWatchEvent,
): Promise<void> {
  if (!functionName)
    throw new Error('no function to invoke: the mapper/reducer function name is not configured');
  await rt.lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

function mapEvent(
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

function planOf(job: JobRuntimeConfig): SplitPlan {
  return {
    ...(job.chunkSize !== undefined ? { chunkSize: job.chunkSize } : {}),
    ...(job.mappers !== undefined ? { mappers: job.mappers } : {}),
  };
}

async function startReducers(rt: Runtime, runId: string): Promise<void> {
  const partitions = Array.from({ length: rt.job.reducers }, (_, r) => r);
  await forEachLimited(partitions, 50, (partition) =>
    invoke(rt, rt.reducerFunction, { kind: 'reduce', runId, partition, attempt: 1 }),
  );
}

function errorJson(error: unknown): FailureReport['error'] {
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: e.message, name: e.name, ...(e.stack ? { stack: e.stack } : {}) };
}

/**
 * After the last retry: marks the run failed (once) and writes `_FAILED.json`; intermediates stay. The run
 * fails from the task's phase, or from the next one when this very task (same owner) ended its phase and then
 * died handing over (nobody else starts the reducers or publishes then). A late copy of a task whose phase
 * another one ended fails nothing.
 */
async function failRun(
  rt: Runtime,
  runId: string,
  owner: string,
  failure: TaskFailure & { phase: 'map' | 'reduce' },
): Promise<void> {
  const { store } = rt;
  const next = failure.phase === 'map' ? 'reduce' : 'finalizing';
  const failed =
    (await store.transition(runId, failure.phase, 'failed', owner)) ||
    // True only when the run is in `next` by this owner's own transition (it never moves the run).
    ((await store.transition(runId, failure.phase, next, owner)) &&
      (await store.transition(runId, next, 'failed', owner)));
  if (!failed) return;
  const run = await store.getRun(runId);
  await writeFailure(rt, runId, run?.input ?? { bucket: '', key: '', size: 0 }, failure);
}

type TaskFailure = Omit<FailureReport, 'runId' | 'job' | 'status' | 'failedAt' | 'input'>;

/** Writes `_FAILED.json`, once the run has been marked failed (or could not be). */
async function writeFailure(
  rt: Runtime,
  runId: string,
  input: FailureReport['input'],
  failure: TaskFailure,
): Promise<void> {
  const report: FailureReport = {
    runId,
    job: rt.job.name,
    status: 'failed',
    ...failure,
    input,
    failedAt: new Date().toISOString(),
  };
  await rt.storage.put(
    rt.job.output.bucket,
    keys.failed(rt.job, runId),
    `${JSON.stringify(report, null, 2)}\n`,
    {
      contentType: 'application/json',
    },
  );
  log('run failed', { runId, phase: failure.phase, error: failure.error.message });
}

/**
 * A map or reduce task that threw: recorded, then sent again as the next attempt while the job's retries
 * allow and another attempt could help (not a `PermanentError`); after that the run fails with `_FAILED.json`.
 */
async function retryOrFail(
  rt: Runtime,
  owner: string,
  event: MapTaskEvent | ReduceTaskEvent,
  error: unknown,
): Promise<{ retried: true } | { failed: true }> {
  const task =
    event.kind === 'map'
      ? { phase: 'map' as const, index: event.split.index, failure: { split: event.split } }
      : { phase: 'reduce' as const, index: event.partition, failure: { partition: event.partition } };
  const failures = await rt.store.recordFailure(event.runId, task.phase, task.index);
  log(task.phase === 'map' ? 'split failed' : 'partition failed', {
    runId: event.runId,
    ...(task.phase === 'map' ? { split: task.index } : { partition: task.index }),
    attempt: event.attempt,
    error: (error as Error)?.message,
  });
  if (failures <= rt.job.retries && !(error instanceof PermanentError)) {
    await invoke(rt, task.phase === 'map' ? rt.mapperFunction : rt.reducerFunction, {
      ...event,
      attempt: event.attempt + 1,
    });
    return { retried: true };
  }
  await failRun(rt, event.runId, owner, {
    phase: task.phase,
    ...task.failure,
    attempts: failures,
    error: errorJson(error),
  });
  return { failed: true };
}

/**
 * The coordinator is the mapper's and reducer's on-failure destination: Lambda reports here an invocation
 * that failed without the handler catching it (a crash, a timeout, running out of memory) or that waited past
 * its maximum event age. A map or reduce task then counts one failed attempt and is retried as the same owner
 * (see `MapTaskEvent.owner`) or fails the run, as a caught failure would; a failed backup is only logged,
 * because the original split still runs; a failed straggler watcher is replaced (`restartWatcher`).
 */
async function retryFailedInvocation(rt: Runtime, record: FailedInvocationRecord) {
  const { requestContext: request, requestPayload: task } = record;
  if (!('kind' in task) || (task.kind !== 'map' && task.kind !== 'reduce' && task.kind !== 'watch')) {
    // The mapper failed on the coordinator's own failure record: nothing is left to retry.
    log('failed invocation ignored: not a task', { requestId: request.requestId });
    return { failedInvocation: request.requestId, retried: false };
  }
  const error = invocationError(task.kind === 'reduce' ? 'reducer' : 'mapper', record);
  if (task.kind === 'map' && task.backup) {
    log('backup failed', { runId: task.runId, split: task.split.index, error: error.message });
    return { failedInvocation: request.requestId, retried: false };
  }
  const phase = (await rt.store.getRun(task.runId))?.phase;
  if (phase === undefined || isOver(phase)) {
    log('failed invocation ignored: the run is over', { runId: task.runId, phase, error: error.message });
    return { failedInvocation: request.requestId, retried: false };
  }
  if (task.kind === 'watch') return restartWatcher(rt, task, request.requestId, phase, error);
  const owner = task.owner ?? request.requestId;
  const outcome = await retryOrFail(rt, owner, { ...task, owner }, error);
  return { failedInvocation: request.requestId, ...outcome };
}

/**
 * A straggler watcher that died is replaced while the run maps, at most `retries` times per run; after that the
 * run goes on without one (a completion still launches the backups due then). Its death fails nothing.
 */
async function restartWatcher(
  rt: Runtime,
  watch: StragglerWatchEvent,
  requestId: string,
  phase: Phase,
  error: Error,
) {
  const restarts = (watch.restarts ?? 0) + 1;
  if (phase !== 'map' || restarts > rt.job.retries) {
    log('straggler watch failed, not replaced', {
      runId: watch.runId,
      phase,
      restarts: restarts - 1,
      error: error.message,
    });
    return { failedInvocation: requestId, retried: false };
  }
  await invoke(rt, rt.mapperFunction, { ...watch, restarts } satisfies StragglerWatchEvent);
  log('straggler watch restarted', { runId: watch.runId, restarts, error: error.message });
  return { failedInvocation: requestId, retried: true };
}

/** The error a failure record tells of, for logs and `_FAILED.json`. */
function invocationError(role: 'coordinator' | 'mapper' | 'reducer', record: FailedInvocationRecord): Error {
  const { requestContext: request, responsePayload: response } = record;
  const what = `${role} invocation ${request.requestId}`;
  const cause = response?.errorMessage ?? response?.errorType ?? 'no error message';
  const error = new Error(
    request.condition === 'EventAgeExceeded'
      ? `the ${what} was not run before its maximum event age (${cause})`
      : `the ${what} failed (${request.condition}): ${cause}`,
  );
  if (response?.errorType) error.name = response.errorType;
  return error;
}

/**
 * The mapper function is the coordinator's on-failure destination: Lambda sends here an S3 event the coordinator
 * failed on, with its retries used up. Each upload of it whose run did not get going (no run yet, or one whose
 * first mappers were not all launched) is marked failed and gets `_FAILED.json`, so that the upload neither
 * waits forever nor starts a run later. A run the coordinator launched in full goes on.
 */
async function failUnstartedRuns(rt: Runtime, record: FailedInvocationRecord) {
  const { requestContext: request, requestPayload } = record;
  const records = recordsOf(requestPayload);
  const uploads = 'skip' in records ? [] : records;
  const error = invocationError('coordinator', record);
  const owner = request.requestId;
  const failed: string[] = [];
  for (const s3Record of uploads) {
    const upload = await runOfUpload(rt, s3Record);
    if ('skip' in upload) continue;
    const { runId, input } = upload;
    let markFailed = true;
    try {
      const run = await rt.store.getRun(runId);
      if (run && (run.phase !== 'map' || run.launchedAll)) {
        markFailed = false;
      } else {
        if (!run) {
          await rt.store.createRun({
            runId,
            job: rt.job.name,
            input,
            splits: countSplits(input.size, planOf(rt.job)),
            reducers: rt.job.reducers,
            launched: 0,
            createdAt: new Date().toISOString(),
            phase: 'map',
            owner,
          });
        }
        markFailed = await rt.store.transition(runId, 'map', 'failed', owner);
      }
    } catch (storeError) {
      // The run table may be what the coordinator failed on: the marker is written all the same.
      log('run table unusable while failing the run', { runId, error: (storeError as Error).message });
    }
    if (!markFailed) continue;
    await writeFailure(rt, runId, input, {
      phase: 'start',
      attempts: request.approximateInvokeCount ?? 1,
      error: errorJson(error),
    });
    failed.push(runId);
  }
  return { failedInvocation: request.requestId, failed };
}

/** A failure that another attempt cannot fix: it fails the run at once instead of using up the retries. */
class PermanentError extends Error {
  readonly permanent = true;
}

/**
 * The run's input object changed or disappeared after the run started (its reads are pinned to the version or
 * ETag of the upload that started it): no attempt can read it any more, and a new upload starts a new run.
 */
function inputGone(error: unknown, input: MapTaskEvent['input']): PermanentError | undefined {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const where = `s3://${input.bucket}/${input.key}${input.versionId ? ` (version ${input.versionId})` : ''}`;
  if (e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412) {
    return new PermanentError(
      `${where} changed after the run started (its ETag is no longer "${input.etag}"); this run cannot finish: the new upload starts its own run`,
    );
  }
  if (e?.name === 'NoSuchKey' || e?.name === 'NoSuchVersion') {
    return new PermanentError(`${where} was deleted after the run started; this run cannot finish`);
  }
  return undefined;
}

function isUnder(bucket: string, key: string, location: { bucket: string; prefix: string }): boolean {
  return bucket === location.bucket && key.startsWith(location.prefix);
}

/**
 * Coordinator: one run per uploaded object version; plans splits and launches the first `concurrency` mappers.
 * It is also where Lambda reports mapper and reducer invocations that failed uncaught (`retryFailedInvocation`).
 */
export function createCoordinatorHandler() {
  const runtime = runtimeOnce();
  return middy(async (event: unknown, context: LambdaContextLike) => {
    const rt = runtime();
    return isFailedInvocationRecord(event)
      ? retryFailedInvocation(rt, event)
      : startRuns(rt, event, context?.awsRequestId);
  });
}

/** The run an S3 record of the input starts: its id and pinned input, or why the record starts none. */
async function runOfUpload(
  rt: Runtime,
  record: unknown,
): Promise<{ runId: string; input: MapTaskEvent['input'] } | { bucket: string; key: string; skip: string }> {
  const { job } = rt;
  const upload = uploadOf(record);
  if ('skip' in upload) return upload;
  const { bucket, key } = upload;
  if (!isUnder(bucket, key, job.input)) return { bucket, key, skip: 'not under the job input' };
  if (isUnder(bucket, key, job.output) || isUnder(bucket, key, job.temp)) {
    return { bucket, key, skip: 'under the job output' };
  }
  if (key.endsWith('/')) return { bucket, key, skip: 'a folder marker' };
  let size = upload.size;
  if (size === undefined) {
    const head = await rt.storage.head(bucket, key);
    if (!head) return { bucket, key, skip: 'the object no longer exists' };
    size = head.size;
  }
  const version = {
    ...(upload.versionId ? { versionId: upload.versionId } : {}),
    ...(upload.etag ? { etag: upload.etag } : {}),
  };
  return {
    runId: makeRunId({
      bucket,
      key,
      ...version,
      ...(upload.sequencer ? { sequencer: upload.sequencer } : {}),
      size,
    }),
    input: { bucket, key, size, ...version },
  };
}

/**
 * One run per uploaded object version of the event: plans its splits and launches its first mappers. A record
 * that starts no run (malformed, or not an upload of the input) is logged with the reason and skipped.
 */
async function startRuns(rt: Runtime, event: unknown, owner: string | undefined) {
  const { job } = rt;
  const started: string[] = [];
  const skipped: Array<{ key: string; reason: string }> = [];
  const skip = (bucket: string, key: string, reason: string): void => {
    skipped.push({ key, reason });
    log('skipped', { bucket, key, reason });
  };
  const records = recordsOf(event);
  if ('skip' in records) {
    skip('', '', records.skip);
    return { started, skipped };
  }
  for (const record of records) {
    const upload = await runOfUpload(rt, record);
    if ('skip' in upload) {
      skip(upload.bucket, upload.key, upload.skip);
      continue;
    }
    const { runId, input } = upload;
    const splits = planSplits(input.size, planOf(job));
    const launched = Math.min(job.concurrency, splits.length);
    const created = await rt.store.createRun({
      runId,
      job: job.name,
      input,
      splits: splits.length,
      reducers: job.reducers,
      launched,
      createdAt: new Date().toISOString(),
      phase: splits.length ? 'map' : 'reduce',
      ...(owner ? { owner } : {}),
    });
    // Lambda retries a failed invocation with the same request id: that retry finishes launching its run
    // (launches are idempotent); any other invocation for the same object version is a duplicated event.
    if (!created && !(owner && (await rt.store.getRun(runId))?.owner === owner)) {
      skip(input.bucket, input.key, `run ${runId} already exists (a duplicated event)`);
      continue;
    }
    log('run started', {
      runId,
      bucket: input.bucket,
      key: input.key,
      size: input.size,
      splits: splits.length,
      reducers: job.reducers,
    });
    started.push(runId);
    if (!splits.length) await startReducers(rt, runId);
    else
      await forEachLimited(splits.slice(0, launched), 50, (s) =>
        invoke(rt, rt.mapperFunction, { kind: 'map', runId, input, split: s, attempt: 1 }),
      );
    // From here on the run goes on by itself, even if this invocation fails later (on another record).
    await rt.store.markLaunchedAll(runId);
  }
  return { started, skipped };
}

/** The mapper function's events: a map task, the straggler watch, or the coordinator's failure record. */
type MapperEvent = MapTaskEvent | StragglerWatchEvent | FailedInvocationRecord;

export interface MapperHandlerOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  map: Mapper<any, any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  combine?: Reducer<any, any, any>;
}

/**
 * Mapper: maps one split into one intermediate object per partition, then records the split done (once).
 * The same function runs a run's straggler watcher (`stragglers: true`).
 */
export function createMapperHandler(options: MapperHandlerOptions) {
  const runtime = runtimeOnce();
  return middy(async (event: MapperEvent, context: LambdaContextLike) => {
    const rt = runtime();
    if (isFailedInvocationRecord(event)) return failUnstartedRuns(rt, event);
    if (event.kind === 'watch') return watchStragglers(rt, event, context);
    clearDeadWork();
    const { job, store } = rt;
    const { runId, split, input } = event;
    const requestId =
      context?.awsRequestId ?? `${runId}-map-${split.index}-${event.attempt}${event.backup ? '-backup' : ''}`;
    const owner = event.owner ?? requestId;
    const run = await store.getRun(runId);
    if (!run || run.phase !== 'map') {
      // A retry of the mapper that ended the map phase (same owner) may have died before starting the reducers.
      if (run?.phase === 'reduce' && (await store.transition(runId, 'map', 'reduce', owner))) {
        log('map phase done (retried)', { runId, splits: run.splits });
        await startReducers(rt, runId);
        return { split: split.index, reducing: true };
      }
      log('split skipped: the run is not mapping', { runId, split: split.index, phase: run?.phase });
      return { skipped: true };
    }
    const started = Date.now();
    if (job.stragglers) await store.markSplitStarted(runId, split.index, started);
    if (event.backup) log('backup started', { runId, split: split.index });
    const workDir = join(workRoot(), runId, `map-${split.index}-${requestId}`);
    const sink = new FilePartitionSink(workDir);
    let partitions: number[] = [];
    try {
      const result = await runMapTask({
        read: async (start, end) => {
          const out = await rt.s3
            .send(
              new GetObjectCommand({
                Bucket: input.bucket,
                Key: input.key,
                Range: `bytes=${start}-${end - 1}`,
                ...(input.versionId
                  ? { VersionId: input.versionId }
                  : input.etag
                    ? { IfMatch: `"${input.etag}"` }
                    : {}),
              }),
            )
            .catch((error: unknown) => {
              throw inputGone(error, input) ?? error;
            });
          return Buffer.from(await out.Body!.transformToByteArray());
        },
        size: input.size,
        split,
        records: job.records,
        reducers: job.reducers,
        map: options.map,
        ...(options.combine ? { combine: options.combine } : {}),
        ctx: { runId, job: job.name, input, split, attempt: event.attempt },
        sink,
        fetchSize: FETCH_SIZE,
      });
      const written = sink.close();
      partitions = written.map((w) => w.partition);
      for (const w of written) {
        await rt.storage.put(
          job.temp.bucket,
          keys.intermediate(job, runId, split.index, w.partition),
          createReadStream(w.file),
        );
      }
      await store.putSplitStats(runId, splitStats(split.index, result, written, started));
    } catch (error) {
      sink.close();
      // The original is still running and retried on failure as usual; a failed backup only gives up.
      if (event.backup) {
        log('backup failed', { runId, split: split.index, error: (error as Error)?.message });
        return { split: split.index, backupFailed: true };
      }
      return await retryOrFail(rt, owner, event, error);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    const { first, done } = await store.markSplitDone(runId, split.index, run.splits);
    if (event.backup) log(first ? 'backup won' : 'backup lost', { runId, split: split.index });
    if (!first) await dropLateIntermediates(rt, runId, split.index, partitions);
    // Each first completion launches the lowest split nobody has claimed, so a slow split holds up no other. A
    // retry of a dead attempt (its owner inherited) launches again what that attempt claimed, or a split whose
    // claimer died between the counter and the claim, and claims a new one only when there is none. Another copy
    // of the split (a backup, a duplicated event) finishing second launches nothing. Past the last split, with
    // stragglers, the completion watches the tail instead.
    const retry = event.owner !== undefined;
    const launches = retry ? await store.reclaimLaunches(runId, owner) : [];
    if ((first || retry) && !launches.length) {
      const next = await store.claimNextSplit(runId, owner);
      if (next !== undefined) launches.push(next);
      else if (job.stragglers && done < run.splits) await watchTail(rt, runId, input);
    }
    for (const next of launches) {
      const nextEvent = mapEvent(runId, input, job, next, 1);
      if (nextEvent) await invoke(rt, rt.mapperFunction, nextEvent);
    }
    if (done === run.splits && (await store.transition(runId, 'map', 'reduce', owner))) {
      log('map phase done', { runId, splits: run.splits });
      await startReducers(rt, runId);
    }
    return { split: split.index, first, done };
  });
}

/**
 * A duplicate completion (a straggler's slower copy, a retried coordinator's second mapper) rewrote its
 * intermediates; if the run has published meanwhile, its cleanup may have listed them already, so the
 * duplicate removes them itself. Before that, the cleanup's list still sees them (S3 lists are consistent).
 */
async function dropLateIntermediates(
  rt: Runtime,
  runId: string,
  split: number,
  partitions: number[],
): Promise<void> {
  const phase = (await rt.store.getRun(runId))?.phase;
  if ((phase !== 'finalizing' && phase !== 'done') || !partitions.length) return;
  for (const p of partitions)
    await rt.storage.delete(rt.job.temp.bucket, keys.intermediate(rt.job, runId, split, p));
  log('late duplicate: intermediates removed', { runId, split });
}

/**
 * A split finished with every split already claimed, and some still run (or are about to start): back up those
 * past the limit now, and start the run's watcher (once), because a completion is the only other moment
 * anyone looks.
 */
async function watchTail(rt: Runtime, runId: string, input: MapTaskEvent['input']): Promise<void> {
  await launchDueBackups(rt, runId, input);
  if (await rt.store.claimWatcher(runId)) {
    log('straggler watch started', { runId });
    await invoke(rt, rt.mapperFunction, { kind: 'watch', runId, input });
  }
}

/** Launches one backup for each running split past twice the median duration of the finished ones. */
async function launchDueBackups(rt: Runtime, runId: string, input: MapTaskEvent['input']) {
  const [running, finished] = await Promise.all([
    rt.store.listRunningSplits(runId),
    rt.store.listSplitStats(runId),
  ]);
  const now = Date.now();
  const plan = planBackups({ now, durations: finished.map((s) => s.durationMs), running });
  for (const split of plan.due) {
    const event = mapEvent(runId, input, rt.job, split, 1, true);
    if (!event || !(await rt.store.claimBackup(runId, split))) continue;
    const runningMs = now - (running.find((r) => r.split === split)?.startedAt ?? now);
    log('backup launched', { runId, split, runningMs, limitMs: plan.limit });
    await invoke(rt, rt.mapperFunction, event);
  }
  return { ...plan, running };
}

/**
 * The straggler watcher: looks again whenever a running split would cross the limit, launches its backup,
 * and stops when the map phase ends or every split is done or backed up. Before its own Lambda timeout it
 * sends its event again to a fresh watcher.
 */
async function watchStragglers(rt: Runtime, event: StragglerWatchEvent, context: LambdaContextLike) {
  if (!rt.job.stragglers) return { watched: false };
  const started = Date.now();
  try {
    return await watchUntilDone(rt, event, context);
  } finally {
    // Its time is billed as the mapper function's: counted for the report's cost estimate.
    await rt.store.countWatcher(event.runId, Date.now() - started);
  }
}

async function watchUntilDone(rt: Runtime, event: StragglerWatchEvent, context: LambdaContextLike) {
  const { runId, input } = event;
  const remaining = context?.getRemainingTimeInMillis?.();
  const deadline =
    remaining === undefined ? Infinity : Date.now() + remaining - Math.min(WATCH_MARGIN_MS, remaining / 2);
  for (;;) {
    const run = await rt.store.getRun(runId);
    if (!run || run.phase !== 'map') {
      log('straggler watch ended: the run is not mapping', { runId, phase: run?.phase });
      return { watched: true };
    }
    if (Date.now() - Date.parse(run.createdAt) > WATCH_MAX_MS) {
      log('straggler watch ended: the run has been mapping too long', { runId, createdAt: run.createdAt });
      return { watched: true };
    }
    const plan = await launchDueBackups(rt, runId, input);
    // Launched but not started yet (an invoke still queued): neither done nor running.
    const waiting = run.splits - run.doneSplits - plan.running.length;
    const covered = plan.running.every((r) => r.backup || plan.due.includes(r.split));
    if (waiting <= 0 && covered) {
      log('straggler watch ended: every split is done or backed up', { runId });
      return { watched: true };
    }
    const now = Date.now();
    let wakeAt = Math.min(plan.nextAt ?? Infinity, now + WATCH_POLL_MS);
    // A split starting now crosses the limit one limit from now at the earliest.
    if (waiting > 0 && plan.limit !== undefined) wakeAt = Math.min(wakeAt, now + plan.limit);
    wakeAt = Math.max(wakeAt, now + WATCH_MIN_SLEEP_MS);
    if (wakeAt > deadline) {
      await invoke(rt, rt.mapperFunction, event);
      log('straggler watch handed over', { runId });
      return { watched: true, handedOver: true };
    }
    await new Promise((resolve) => setTimeout(resolve, wakeAt - now));
  }
}

export interface ReducerHandlerOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reduce: Reducer<any, any, any>;
}

/** Reducer: merges one partition from every split, writes its part; the last one publishes `_SUCCESS.json`. */
export function createReducerHandler(options: ReducerHandlerOptions) {
  const runtime = runtimeOnce();
  return middy(async (event: ReduceTaskEvent, context: LambdaContextLike) => {
    const rt = runtime();
    const { job, store, storage } = rt;
    const { runId, partition } = event;
    clearDeadWork();
    const requestId = context?.awsRequestId ?? `${runId}-reduce-${partition}-${event.attempt}`;
    const owner = event.owner ?? requestId;
    const run = await store.getRun(runId);
    if (!run || run.phase !== 'reduce') {
      // A retry of the reducer that ended the reduce phase (same owner) may have died before publishing.
      if (run?.phase === 'finalizing' && (await store.transition(runId, 'reduce', 'finalizing', owner))) {
        log('reduce phase done (retried)', { runId, partitions: job.reducers });
        await finalize(rt, runId, owner);
        return { partition, publishing: true };
      }
      log('partition skipped: the run is not reducing', { runId, partition, phase: run?.phase });
      return { skipped: true };
    }
    const started = Date.now();
    const workDir = join(workRoot(), runId, `reduce-${partition}-${requestId}`);
    mkdirSync(workDir, { recursive: true });
    try {
      const splits = await store.listSplitStats(runId);
      const outFile = join(workDir, 'part');
      const result = await runReduceTask({
        inputs: splits
          .filter((s) => s.partitions.includes(partition))
          .map(
            (s) => async () =>
              (await storage.get(
                job.temp.bucket,
                keys.intermediate(job, runId, s.split, partition),
              )) as Readable,
          ),
        reduce: options.reduce,
        ctx: { runId, job: job.name, partition, combining: false },
        format: job.outputFormat,
        memoryBudget: job.reducerMemoryBudget,
        spillDir: join(workDir, 'spill'),
        outFile,
        prefetch: 8,
      });
      await storage.put(job.output.bucket, keys.part(job, runId, partition), createReadStream(outFile), {
        contentType: job.outputFormat === 'jsonl' ? 'application/x-ndjson' : 'text/tab-separated-values',
      });
      await store.putPartStats(runId, { partition, ...result, durationMs: Date.now() - started });
    } catch (error) {
      return await retryOrFail(rt, owner, event, error);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    const { done } = await store.markPartDone(runId, partition);
    if (done === job.reducers && (await store.transition(runId, 'reduce', 'finalizing', owner))) {
      await finalize(rt, runId, owner);
    }
    return { partition, done };
  });
}

/** Publishes `_SUCCESS.json` once every part exists, then deletes the run's intermediates. */
async function finalize(rt: Runtime, runId: string, owner: string): Promise<void> {
  const { job, store, storage } = rt;
  for (let r = 0; r < job.reducers; r++) {
    if (!(await storage.head(job.output.bucket, keys.part(job, runId, r)))) {
      throw new Error(`run ${runId}: ${keys.part(job, runId, r)} is missing; not publishing _SUCCESS.json`);
    }
  }
  const run = (await store.getRun(runId))!;
  const report = buildReport({
    job,
    run,
    splits: await store.listSplitStats(runId),
    parts: await store.listPartStats(runId),
    finishedAt: new Date(),
    fetchSize: FETCH_SIZE,
    basis: 'lambda',
    // Lambda sets AWS_REGION: the run is priced where it ran.
    ...(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}),
  });
  await storage.put(job.output.bucket, keys.success(job, runId), `${JSON.stringify(report, null, 2)}\n`, {
    contentType: 'application/json',
  });
  log('run succeeded', { runId, records: report.records, totalMs: report.times.totalMs });
  for await (const object of storage.list(job.temp.bucket, keys.intermediatePrefix(job, runId))) {
    await storage.delete(job.temp.bucket, object.key);
  }
  await store.transition(runId, 'finalizing', 'done', owner);
}
