// The mapper: maps one split into one intermediate object per partition, records the split done (once), and
// launches what comes next (the next split, the reducers, the straggler watch). Its reads of the input are
// pinned to the object version that started the run.
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GetOptions } from '@serverless-continuum/core/storage';
import type { FailedInvocationRecord, MapTaskEvent, StragglerWatchEvent } from './contract';
import { failUnstartedRuns, isJobFailureRecord } from './failure-records';
import { inputGone, retryOrFail } from './failures';
import {
  clearDeadWork,
  FETCH_SIZE,
  invoke,
  log,
  mapEvent,
  middy,
  runtimeOnce,
  workRoot,
  type LambdaContextLike,
  type Runtime,
} from './handler-runtime';
import { FilePartitionSink, runMapTask, splitStats } from './map-task';
import { endMapPhase } from './phase-end';
import { keys } from './report';
import { watchStragglers, watchTail } from './straggler-watcher';
import { deadlineOf, streamingDir, streamingPrograms } from './streaming/lambda';
import { runStreamingMapTask } from './streaming/map';
import type { Mapper, Reducer } from './types';

/** The version pin of every read of a run's input: its version in a versioned bucket, else its ETag. */
function pinOf(input: MapTaskEvent['input']): GetOptions {
  if (input.versionId) return { versionId: input.versionId };
  return input.etag ? { ifMatch: input.etag } : {};
}

/** The mapper function's events: a map task, the straggler watch, or the coordinator's failure record. */
type MapperEvent = MapTaskEvent | StragglerWatchEvent | FailedInvocationRecord;

/** A JavaScript job's functions, or `streaming`: the job's programs (in its runtime config) run instead. */
export type MapperHandlerOptions =
  | {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      map: Mapper<any, any, any>;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      combine?: Reducer<any, any, any>;
    }
  | { streaming: true };

/**
 * Mapper: maps one split into one intermediate object per partition, then records the split done (once).
 * The same function runs a run's straggler watcher (`stragglers: true`).
 */
export function createMapperHandler(options: MapperHandlerOptions) {
  const runtime = runtimeOnce();
  return middy(async (event: MapperEvent, context: LambdaContextLike) => {
    const rt = runtime();
    if (isJobFailureRecord(event)) return failUnstartedRuns(rt, event);
    if (event.kind === 'watch') return watchStragglers(rt, event, context);
    clearDeadWork();
    return runSplit(rt, options, event, context);
  });
}

/** One map task: skipped unless the run maps; mapped, written, counted once, then what comes next launched. */
async function runSplit(
  rt: Runtime,
  options: MapperHandlerOptions,
  event: MapTaskEvent,
  context: LambdaContextLike,
) {
  const { job, store } = rt;
  const { runId, split } = event;
  const requestId =
    context?.awsRequestId ?? `${runId}-map-${split.index}-${event.attempt}${event.backup ? '-backup' : ''}`;
  const owner = event.owner ?? requestId;
  const run = await store.getRun(runId);
  if (!run || run.phase !== 'map') {
    // A retry of the mapper that ended the map phase (same owner) may have died before starting the reducers.
    if (run?.phase === 'reduce' && (await store.transition(runId, 'map', 'reduce', owner))) {
      log('map phase done (retried)', { runId, splits: run.splits });
      await endMapPhase(rt, runId, run.splits);
      return { split: split.index, reducing: true };
    }
    log('split skipped: the run is not mapping', { runId, split: split.index, phase: run?.phase });
    return { skipped: true };
  }
  const started = Date.now();
  if (job.stragglers) await store.markSplitStarted(runId, split.index, started, run.splits);
  if (event.backup) log('backup started', { runId, split: split.index });
  const workDir = join(workRoot(), runId, `map-${split.index}-${requestId}`);
  let partitions: number[];
  try {
    partitions = await mapSplit(rt, options, event, workDir, started, run.splits, deadlineOf(context));
  } catch (error) {
    // The original is still running and retried on failure as usual; a failed backup only gives up.
    if (event.backup) {
      log('backup failed', { runId, split: split.index, error: (error as Error)?.message });
      return { split: split.index, backupFailed: true };
    }
    return await retryOrFail(rt, owner, event, error);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return completeSplit(rt, event, owner, run, partitions);
}

/** Maps the split into `workDir`, uploads one intermediate per partition and records the split's stats. */
async function mapSplit(
  rt: Runtime,
  options: MapperHandlerOptions,
  event: MapTaskEvent,
  workDir: string,
  started: number,
  splits: number,
  deadlineAt: number | undefined,
): Promise<number[]> {
  const { job, store } = rt;
  const { runId, split, input } = event;
  const sink = new FilePartitionSink(workDir);
  const read = (start: number, end: number) =>
    rt.storage.getBytes(input.bucket, input.key, { start, end }, pinOf(input)).catch((error: unknown) => {
      throw inputGone(error, input) ?? error;
    });
  try {
    const result =
      'streaming' in options
        ? await runStreamingMapTask({
            read,
            size: input.size,
            split,
            records: job.records,
            reducers: job.reducers,
            programs: streamingPrograms(job),
            cwd: streamingDir(),
            ...(deadlineAt !== undefined ? { deadlineAt } : {}),
            sink,
            fetchSize: FETCH_SIZE,
          })
        : await runMapTask({
            read,
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
    for (const w of written) {
      await rt.storage.put(
        job.temp.bucket,
        keys.intermediate(job, runId, split.index, w.partition),
        createReadStream(w.file),
      );
    }
    await store.putSplitStats(runId, splitStats(split.index, result, written, started), splits);
    return written.map((w) => w.partition);
  } catch (error) {
    sink.close();
    throw error;
  }
}

/** Counts the split done (once) and launches what comes next: the next split, the tail's watch, the reducers. */
async function completeSplit(
  rt: Runtime,
  event: MapTaskEvent,
  owner: string,
  run: { splits: number; launched: number },
  partitions: number[],
) {
  const { job, store } = rt;
  const { runId, split, input } = event;
  const { splits } = run;
  const { first, done } = await store.markSplitDone(runId, split.index, splits);
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
    const next = await store.claimNextSplit(runId, owner, { ...run, after: split.index });
    if (next !== undefined) launches.push(next);
    else if (job.stragglers && done < splits) await watchTail(rt, runId, input);
  }
  for (const next of launches) {
    const nextEvent = mapEvent(runId, input, job, next, 1);
    if (nextEvent) await invoke(rt, rt.mapperFunction, nextEvent);
  }
  if (done === splits && (await store.transition(runId, 'map', 'reduce', owner))) {
    log('map phase done', { runId, splits });
    await endMapPhase(rt, runId, splits);
  }
  return { split: split.index, first, done };
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
