// How a mapreduce run fails: a task that threw is retried while the job's retries allow, then the run is marked
// failed once and `_FAILED.json` written. Lambda's on-failure records (a crash, a timeout) come through
// `failure-records.ts` to the same place.
import { errorJson } from '@serverless-continuum/core/lambda';
import type { MapTaskEvent, ReduceTaskEvent } from './contract';
import { invoke, log, type Runtime } from './handler-runtime';
import { keys } from './report';
import type { FailureReport } from './types';

/** A failure that another attempt cannot fix: it fails the run at once instead of using up the retries. */
export class PermanentError extends Error {
  readonly permanent = true;
}

/**
 * The run's input object changed or disappeared after the run started (its reads are pinned to the version or
 * ETag of the upload that started it): no attempt can read it any more, and a new upload starts a new run.
 */
export function inputGone(error: unknown, input: MapTaskEvent['input']): PermanentError | undefined {
  // Storage's coded error, or the S3 answer it wraps.
  const coded = error as { code?: string; cause?: unknown } | null;
  const e = (coded?.cause ?? error) as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const where = `s3://${input.bucket}/${input.key}${input.versionId ? ` (version ${input.versionId})` : ''}`;
  if (
    coded?.code === 'CONTINUUM_PRECONDITION_FAILED' ||
    e?.name === 'PreconditionFailed' ||
    e?.$metadata?.httpStatusCode === 412
  ) {
    return new PermanentError(
      `${where} changed after the run started (its ETag is no longer "${input.etag}"); this run cannot finish: the new upload starts its own run`,
    );
  }
  if (e?.name === 'NoSuchKey' || e?.name === 'NoSuchVersion') {
    return new PermanentError(`${where} was deleted after the run started; this run cannot finish`);
  }
  return undefined;
}

export type TaskFailure = Omit<FailureReport, 'runId' | 'job' | 'status' | 'failedAt' | 'input'>;

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
  if (await store.transition(runId, failure.phase, 'failed', owner)) return failedRun(rt, runId, failure);
  // True only when the run is in `next` by this owner's own transition (it never moves the run).
  if (!(await store.transition(runId, failure.phase, next, owner))) return;
  // This owner was publishing: once `_SUCCESS.json` exists the run has succeeded, whatever failed after it.
  if (next === 'finalizing' && (await rt.storage.head(rt.job.output.bucket, keys.success(rt.job, runId)))) {
    await store.transition(runId, 'finalizing', 'done', owner);
    log('run succeeded; its publisher failed after _SUCCESS.json', { runId, error: failure.error.message });
    return;
  }
  if (await store.transition(runId, next, 'failed', owner)) await failedRun(rt, runId, failure);
}

async function failedRun(
  rt: Runtime,
  runId: string,
  failure: TaskFailure & { phase: 'map' | 'reduce' },
): Promise<void> {
  const { store } = rt;
  const run = await store.getRun(runId);
  await writeFailure(rt, runId, run?.input ?? { bucket: '', key: '', size: 0 }, failure);
}

/** Writes `_FAILED.json`, once the run has been marked failed (or could not be). */
export async function writeFailure(
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
export async function retryOrFail(
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
