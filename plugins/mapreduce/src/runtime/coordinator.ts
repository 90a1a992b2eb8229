// The coordinator: S3-triggered, one run per uploaded object version; it plans the splits and launches the
// first mappers. It is also the mapper's and reducer's on-failure destination (see `failure-records.ts`).
import { recordsOf } from '@serverless-continuum/core/lambda';
import { isJobFailureRecord, retryFailedInvocation } from './failure-records';
import {
  forEachLimited,
  invoke,
  log,
  middy,
  planOf,
  runtimeOnce,
  startReducers,
  type LambdaContextLike,
  type Runtime,
} from './handler-runtime';
import { planSplits } from './splits';
import { runOfUpload } from './uploads';

/**
 * Coordinator: one run per uploaded object version; plans splits and launches the first `concurrency` mappers.
 * It is also where Lambda reports mapper and reducer invocations that failed uncaught (`retryFailedInvocation`).
 */
export function createCoordinatorHandler() {
  const runtime = runtimeOnce();
  return middy(async (event: unknown, context: LambdaContextLike) => {
    const rt = runtime();
    return isJobFailureRecord(event)
      ? retryFailedInvocation(rt, event)
      : startRuns(rt, event, context?.awsRequestId);
  });
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
