// The reducer: merges one partition from every split and writes its part; the last one publishes
// `_SUCCESS.json` and removes the run's intermediates.
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReduceTaskEvent } from './contract';
import { retryOrFail } from './failures';
import {
  clearDeadWork,
  FETCH_SIZE,
  log,
  middy,
  runtimeOnce,
  workRoot,
  type LambdaContextLike,
  type Runtime,
} from './handler-runtime';
import { runReduceTask } from './reduce-task';
import { buildReport, keys } from './report';
import { deadlineOf, streamingDir, streamingPrograms } from './streaming/lambda';
import { runStreamingReduceTask } from './streaming/reduce';
import type { Reducer } from './types';

/** A JavaScript job's reduce function, or `streaming`: the job's reduce program (in its runtime config). */
export type ReducerHandlerOptions =
  | {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      reduce: Reducer<any, any, any>;
    }
  | { streaming: true };

/** Reducer: merges one partition from every split, writes its part; the last one publishes `_SUCCESS.json`. */
export function createReducerHandler(options: ReducerHandlerOptions) {
  const runtime = runtimeOnce();
  return middy(async (event: ReduceTaskEvent, context: LambdaContextLike) => {
    const rt = runtime();
    clearDeadWork();
    return runPartition(rt, options, event, context);
  });
}

/** One reduce task: skipped unless the run reduces; its part written, counted once, the last one publishing. */
async function runPartition(
  rt: Runtime,
  options: ReducerHandlerOptions,
  event: ReduceTaskEvent,
  context: LambdaContextLike,
) {
  const { job, store } = rt;
  const { runId, partition } = event;
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
  const workDir = join(workRoot(), runId, `reduce-${partition}-${requestId}`);
  mkdirSync(workDir, { recursive: true });
  try {
    await reducePartition(rt, options, event, workDir, deadlineOf(context));
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
}

/** Merges the partition's intermediates of every split in `workDir`, writes its part and records its stats. */
async function reducePartition(
  rt: Runtime,
  options: ReducerHandlerOptions,
  event: ReduceTaskEvent,
  workDir: string,
  deadlineAt: number | undefined,
): Promise<void> {
  const { job, store, storage } = rt;
  const { runId, partition } = event;
  const started = Date.now();
  const splits = await store.listSplitStats(runId);
  const outFile = join(workDir, 'part');
  const inputs = splits
    .filter((s) => s.partitions.includes(partition))
    .map(
      (s) => async () =>
        (await storage.get(job.temp.bucket, keys.intermediate(job, runId, s.split, partition))) as Readable,
    );
  const shared = {
    inputs,
    format: job.outputFormat,
    memoryBudget: job.reducerMemoryBudget,
    spillDir: join(workDir, 'spill'),
    outFile,
    prefetch: 8,
  };
  const result =
    'streaming' in options
      ? await runStreamingReduceTask({
          ...shared,
          partition,
          programs: streamingPrograms(job),
          cwd: streamingDir(),
          ...(deadlineAt !== undefined ? { deadlineAt } : {}),
        })
      : await runReduceTask({
          ...shared,
          reduce: options.reduce,
          ctx: { runId, job: job.name, partition, combining: false },
        });
  await storage.put(job.output.bucket, keys.part(job, runId, partition), createReadStream(outFile), {
    contentType: job.outputFormat === 'jsonl' ? 'application/x-ndjson' : 'text/tab-separated-values',
  });
  await store.putPartStats(runId, { partition, ...result, durationMs: Date.now() - started });
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
