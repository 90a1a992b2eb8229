// The body of a local worker thread: runs map and reduce tasks with the same task code the Lambda handlers use,
// reading the input with positioned reads and writing intermediates and parts as files (complete, then renamed).
import { closeSync, createReadStream, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { PoolReady, PoolRequest, PoolResponse } from '@serverless-continuum/core/local';
import { FilePartitionSink, runMapTask, splitStats } from '../runtime/map-task';
import { runReduceTask } from '../runtime/reduce-task';
import { runStreamingMapTask } from '../runtime/streaming/map';
import { runStreamingReduceTask } from '../runtime/streaming/reduce';
import type { Mapper, PartitionStats, Reducer, SplitStats } from '../runtime/types';
import type { LocalMapTask, LocalReduceTask, LocalTask } from './tasks';

export interface UserFunctions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  map: Mapper<any, any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reduce: Reducer<any, any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  combine?: Reducer<any, any, any>;
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return off === buf.length ? buf : buf.subarray(0, off);
}

async function mapTask(task: LocalMapTask, fns: UserFunctions | undefined): Promise<SplitStats> {
  const started = Date.now();
  const fd = openSync(task.input.path, 'r');
  const sink = new FilePartitionSink(task.attemptDir);
  let written: ReturnType<FilePartitionSink['close']> = [];
  const read = async (s: number, e: number) => readRange(fd, s, e);
  try {
    const result = task.streaming
      ? await runStreamingMapTask({
          read,
          size: task.input.size,
          split: task.split,
          records: task.records,
          reducers: task.reducers,
          programs: task.streaming.programs,
          cwd: task.streaming.cwd,
          deadlineAt: started + task.streaming.programs.mapperTimeout * 1000,
          sink,
          fetchSize: task.fetchSize,
        })
      : await runMapTask({
          read,
          size: task.input.size,
          split: task.split,
          records: task.records,
          reducers: task.reducers,
          map: functionsOf(fns).map,
          ...(fns?.combine ? { combine: fns.combine } : {}),
          ctx: {
            runId: task.runId,
            job: task.job,
            input: { bucket: '', key: task.input.name, size: task.input.size },
            split: task.split,
            attempt: task.attempt,
          },
          sink,
          fetchSize: task.fetchSize,
        });
    written = sink.close();
    mkdirSync(task.mapDir, { recursive: true });
    for (const w of written)
      renameSync(w.file, join(task.mapDir, `part-${String(w.partition).padStart(5, '0')}`));
    return splitStats(task.split.index, result, written, started);
  } finally {
    closeSync(fd);
    if (!written.length) sink.close();
    rmSync(task.attemptDir, { recursive: true, force: true });
  }
}

async function reduceTask(task: LocalReduceTask, fns: UserFunctions | undefined): Promise<PartitionStats> {
  const started = Date.now();
  const tmp = `${task.outFile}.tmp-${task.attempt}-${process.pid}`;
  const inputs = task.inputs.map((file) => async () => createReadStream(file, { highWaterMark: 1 << 20 }));
  try {
    const result = task.streaming
      ? await runStreamingReduceTask({
          inputs,
          partition: task.partition,
          programs: task.streaming.programs,
          cwd: task.streaming.cwd,
          deadlineAt: started + task.streaming.programs.reducerTimeout * 1000,
          format: task.format,
          memoryBudget: task.memoryBudget,
          spillDir: task.spillDir,
          outFile: tmp,
        })
      : await runReduceTask({
          inputs,
          reduce: functionsOf(fns).reduce,
          ctx: { runId: task.runId, job: task.job, partition: task.partition, combining: false },
          format: task.format,
          memoryBudget: task.memoryBudget,
          spillDir: task.spillDir,
          outFile: tmp,
        });
    renameSync(tmp, task.outFile);
    return { partition: task.partition, ...result, durationMs: Date.now() - started };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A JavaScript job's functions; a streaming job's worker has none, and its tasks carry their programs. */
function functionsOf(fns: UserFunctions | undefined): UserFunctions {
  if (!fns) throw new Error('this worker runs a streaming job: its tasks must name their programs');
  return fns;
}

function errorOf(error: unknown): { message: string; name?: string; stack?: string } {
  if (error instanceof Error)
    return { message: error.message, name: error.name, ...(error.stack ? { stack: error.stack } : {}) };
  return { message: String(error) };
}

/** Called by the generated worker bundle with the user's functions (none for a streaming job). */
export function startWorker(fns?: UserFunctions): void {
  const port = parentPort;
  if (!port) throw new Error('startWorker must run in a worker thread');
  port.on('message', (msg: PoolRequest<LocalTask>) => {
    const run = msg.task.kind === 'map' ? mapTask(msg.task, fns) : reduceTask(msg.task, fns);
    run.then(
      (result) => port.postMessage({ id: msg.id, ok: true, result } satisfies PoolResponse),
      (error: unknown) =>
        port.postMessage({ id: msg.id, ok: false, error: errorOf(error) } satisfies PoolResponse),
    );
  });
  port.postMessage({ ready: true } satisfies PoolReady);
}
