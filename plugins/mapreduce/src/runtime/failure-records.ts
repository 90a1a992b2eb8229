// Lambda's on-failure records of a mapreduce job: the coordinator receives the mapper's and reducer's, the
// mapper the coordinator's. Each is turned into what a caught failure of the same task would have done.
import {
  errorJson,
  invocationError,
  isFailedInvocationRecord,
  recordsOf,
} from '@serverless-continuum/core/lambda';
import type { FailedInvocationRecord, StragglerWatchEvent } from './contract';
import { retryOrFail, writeFailure } from './failures';
import { invoke, log, planOf, type Runtime } from './handler-runtime';
import { isOver, type Phase } from './run-store';
import { countSplits } from './splits';
import { runOfUpload } from './uploads';

/** True for an on-failure destination record of this job's functions rather than a task or an S3 event. */
export const isJobFailureRecord = isFailedInvocationRecord as (
  event: unknown,
) => event is FailedInvocationRecord;

/**
 * The coordinator is the mapper's and reducer's on-failure destination: Lambda reports here an invocation
 * that failed without the handler catching it (a crash, a timeout, running out of memory) or that waited past
 * its maximum event age. A map or reduce task then counts one failed attempt and is retried as the same owner
 * (see `MapTaskEvent.owner`) or fails the run, as a caught failure would; a failed backup is only logged,
 * because the original split still runs; a failed straggler watcher is replaced (`restartWatcher`).
 */
export async function retryFailedInvocation(rt: Runtime, record: FailedInvocationRecord) {
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

/**
 * The mapper function is the coordinator's on-failure destination: Lambda sends here an S3 event the coordinator
 * failed on, with its retries used up. Each upload of it whose run did not get going (no run yet, or one whose
 * first mappers were not all launched) is marked failed and gets `_FAILED.json`, so that the upload neither
 * waits forever nor starts a run later. A run the coordinator launched in full goes on.
 */
export async function failUnstartedRuns(rt: Runtime, record: FailedInvocationRecord) {
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
