// The reducer: merges one partition from every split and writes its part; the last one publishes
// `_SUCCESS.json` and removes the run's intermediates (`phase-end.ts`).
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReduceTaskEvent } from './contract';
import { retryOrFail } from './failures';
import {
  clearDeadWork,
  log,
  middy,
  runtimeOnce,
  workRoot,
  type LambdaContextLike,
  type Runtime,
} from './handler-runtime';
import { inputsOf } from './map-totals';
import { publish, readMapTotals } from './phase-end';
import { runReduceTask } from './reduce-task';
import { keys } from './report';
import type { RunState } from './run-store';
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
      await publish(rt, runId, owner, context);
      return { partition, publishing: true };
    }
    log('partition skipped: the run is not reducing', { runId, partition, phase: run?.phase });
    return { skipped: true };
  }
  const workDir = join(workRoot(), runId, `reduce-${partition}-${requestId}`);
  mkdirSync(workDir, { recursive: true });
  try {
    await reducePartition(rt, options, event, run, workDir, deadlineOf(context));
  } catch (error) {
    return await retryOrFail(rt, owner, event, error);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const { done } = await store.markPartDone(runId, partition);
  if (done === job.reducers && (await store.transition(runId, 'reduce', 'finalizing', owner))) {
    await publish(rt, runId, owner, context);
  }
  return { partition, done };
}

/** Merges the partition's intermediates of every split in `workDir`, writes its part and records its stats. */
async function reducePartition(
  rt: Runtime,
  options: ReducerHandlerOptions,
  event: ReduceTaskEvent,
  run: RunState,
  workDir: string,
  deadlineAt: number | undefined,
): Promise<void> {
  const { job, store, storage } = rt;
  const { runId, partition } = event;
  const started = Date.now();
  // One object for what the map phase wrote, instead of every split's stats.
  const totals = await readMapTotals(rt, run);
  const outFile = join(workDir, 'part');
  const shared = {
    inputs: inputsOf(totals, partition).map(
      (split) => async () =>
        (await storage.get(job.temp.bucket, keys.intermediate(job, runId, split, partition))) as Readable,
    ),
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
