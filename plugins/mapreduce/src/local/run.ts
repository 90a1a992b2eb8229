// `runLocal`: a whole MapReduce run on this machine: the coordinator's plan, map and reduce tasks on worker
// threads (the same task code as the Lambda handlers), a local run store, and an atomic publish of the result.
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ContinuumError, errorJson } from '@serverless-continuum/core/errors';
import { WorkerPool } from '@serverless-continuum/core/local';
import type { JobRuntimeConfig } from '../runtime/contract';
import { partName } from '../runtime/keys';
import { buildReport, makeRunId } from '../runtime/report';
import { MemoryRunStore } from '../runtime/run-store';
import { planSplits, type Split } from '../runtime/splits';
import { planBackups } from '../runtime/stragglers';
import type { FailureReport, PartitionStats, RunReport, SplitStats } from '../runtime/types';
import { bundleWorker } from './bundle-worker';
import type { LocalMapTask, LocalReduceTask, LocalTask } from './tasks';
import { createWorkFolder, keepWorkFolder, sweepWorkFolders, type SweptFolder } from './work-folders';

export interface ModuleRef {
  file: string;
  export: string;
}

export interface RunLocalOptions {
  job: JobRuntimeConfig;
  /** A JavaScript job's modules; a streaming job (`job.streaming`) has none. */
  modules?: { map: ModuleRef; reduce: ModuleRef; combine?: ModuleRef };
  /** Where a streaming job's programs run: the service folder (default the current folder). */
  serviceDir?: string;
  /** A local file. */
  input: string;
  outputDir: string;
  /** Worker threads; default one per core. */
  workers?: number;
  onProgress?: (p: { phase: 'map' | 'reduce'; done: number; total: number }) => void;
  /** Scratch space for the bundle, intermediates and spills; default the OS temp folder. */
  workDir?: string;
  /** Told the work folders of killed runs that this run removed before starting (only when there were some). */
  onSweep?: (removed: SweptFolder[]) => void;
  /** The service's region: the cost estimate is priced there (default us-east-1). */
  region?: string;
}

export interface RunLocalResult {
  runId: string;
  report: RunReport;
  /** Absolute paths of `part-NNNNN`, in partition order. */
  parts: string[];
}

/** Bytes per positioned read of the input. */
const FETCH_SIZE = 8 * 1024 * 1024;

interface PhaseTask {
  index: number;
  /** Describes the task in errors: `split 3 (bytes 0-100)`. */
  label: string;
}

class TaskFailed extends Error {
  constructor(
    readonly task: PhaseTask,
    readonly attempts: number,
    override readonly cause: Error,
  ) {
    super(cause.message);
  }
}

/**
 * Runs a phase's tasks on the pool: retries a failed task up to `retries` times, and with `stragglers`
 * gives a task running longer than twice the median of finished ones a backup copy (first to finish wins).
 */
async function runPhase<R>(options: {
  tasks: PhaseTask[];
  pool: WorkerPool<LocalTask, unknown>;
  start: (task: PhaseTask, attempt: number) => LocalTask;
  retries: number;
  stragglers: boolean;
  onDone: (task: PhaseTask, result: R) => Promise<void>;
  onFailure: (task: PhaseTask) => Promise<number>;
  onBackup: () => Promise<void>;
}): Promise<void> {
  const { pool, tasks } = options;
  const pending = [...tasks];
  const running = new Map<number, { since: number; copies: number; attempts: number }>();
  const attempts = new Map<number, number>();
  const done = new Set<number>();
  const durations: number[] = [];
  let failed: TaskFailed | undefined;
  let timer: NodeJS.Timeout | undefined;

  await new Promise<void>((resolvePhase, rejectPhase) => {
    const finish = (): void => {
      if (timer) clearInterval(timer);
      if (failed) rejectPhase(failed);
      else resolvePhase();
    };
    const launch = (task: PhaseTask): void => {
      const attempt = (attempts.get(task.index) ?? 0) + 1;
      attempts.set(task.index, attempt);
      const state = running.get(task.index);
      if (state) state.copies++;
      else running.set(task.index, { since: Date.now(), copies: 1, attempts: attempt });
      const started = Date.now();
      pool.run(options.start(task, attempt)).then(
        async (result) => {
          const s = running.get(task.index);
          if (s && --s.copies === 0) running.delete(task.index);
          if (done.has(task.index) || failed) return settle();
          done.add(task.index);
          running.delete(task.index);
          durations.push(Date.now() - started);
          try {
            await options.onDone(task, result as R);
          } catch (error) {
            failed ??= new TaskFailed(task, attempt, error as Error);
          }
          settle();
        },
        async (error: Error) => {
          const s = running.get(task.index);
          if (s && --s.copies === 0) running.delete(task.index);
          if (done.has(task.index) || failed) return settle();
          const failures = await options.onFailure(task);
          if (failures > options.retries) failed ??= new TaskFailed(task, failures, error);
          else if (!running.has(task.index)) pending.unshift(task);
          settle();
        },
      );
    };
    const settle = (): void => {
      if (failed) {
        if (!running.size) finish();
        return;
      }
      while (pending.length && pool.idle > 0) launch(pending.shift()!);
      if (done.size === tasks.length) finish();
    };
    // The cloud's straggler rule, on the tasks this pool runs; a task with two copies running has its backup.
    const checkStragglers = (): void => {
      if (failed || pending.length || pool.idle === 0) return;
      const { due } = planBackups({
        now: Date.now(),
        durations,
        running: [...running].map(([split, s]) => ({ split, startedAt: s.since, backup: s.copies > 1 })),
      });
      for (const index of due) {
        if (pool.idle === 0) break;
        void options.onBackup();
        launch(tasks.find((t) => t.index === index)!);
      }
    };
    if (options.stragglers) {
      timer = setInterval(checkStragglers, 100);
      timer.unref();
    }
    if (!tasks.length) return finish();
    settle();
  });
}

export async function runLocal(options: RunLocalOptions): Promise<RunLocalResult> {
  const { job } = options;
  const input = resolve(options.input);
  const stat = statSync(input);
  if (!stat.isFile()) throw new ContinuumError('CONTINUUM_NOT_FOUND', `${input} is not a file`);
  const size = stat.size;
  // The job's name leads the id: two jobs run on one file never share a run folder.
  const runId = makeRunId({
    bucket: 'local',
    key: `${job.name}/${basename(input)}`,
    etag: `${input}:${stat.mtimeMs}`,
    size,
  });
  const outputDir = resolve(options.outputDir);
  const finalDir = join(outputDir, runId);
  const runInput = { bucket: '', key: input, size };

  // A run killed before its `finally` left its folder behind: the next run removes it (see work-folders.ts).
  const scratch = options.workDir ?? tmpdir();
  const swept = sweepWorkFolders(scratch);
  if (swept.length) options.onSweep?.(swept);
  const work = createWorkFolder(scratch, job.name);
  const mapRoot = join(work, 'temp', runId, 'map');
  const staging = join(work, 'staging');
  mkdirSync(staging, { recursive: true });
  const workers = Math.max(1, options.workers ?? availableParallelism());
  const splits = planSplits(size, {
    ...(job.chunkSize !== undefined ? { chunkSize: job.chunkSize } : {}),
    ...(job.mappers !== undefined ? { mappers: job.mappers } : {}),
  });
  const store = new MemoryRunStore();
  const createdAt = new Date().toISOString();
  await store.createRun({
    runId,
    job: job.name,
    input: runInput,
    splits: splits.length,
    reducers: job.reducers,
    launched: splits.length,
    createdAt,
    phase: splits.length ? 'map' : 'reduce',
  });

  if (!job.streaming && !options.modules) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `job ${job.name} has neither modules nor streaming programs`,
    );
  }
  const streaming = job.streaming
    ? { programs: job.streaming, cwd: resolve(options.serviceDir ?? process.cwd()) }
    : undefined;
  const workerFile = await bundleWorker(
    job.streaming ? undefined : options.modules,
    join(work, 'worker.js'),
    job.name,
  );
  const pool = new WorkerPool<LocalTask, unknown>({
    file: workerFile,
    size: workers,
  });
  let succeeded = false;
  let started = false;
  try {
    try {
      await pool.ready();
    } catch (error) {
      throw new ContinuumError(
        'CONTINUUM_BUNDLE',
        `job ${job.name}: could not load its map/reduce modules: ${(error as Error).message}`,
        { cause: error },
      );
    }
    started = true;
    // Map phase.
    let mapped = 0;
    options.onProgress?.({ phase: 'map', done: 0, total: splits.length });
    const splitOf = new Map<number, Split>(splits.map((s) => [s.index, s]));
    let attemptSeq = 0;
    try {
      await runPhase<SplitStats>({
        tasks: splits.map((s) => ({ index: s.index, label: `split ${s.index} (bytes ${s.start}-${s.end})` })),
        pool,
        retries: job.retries,
        stragglers: job.stragglers,
        start: (t, attempt): LocalMapTask => ({
          kind: 'map',
          runId,
          job: job.name,
          input: { path: input, size, name: basename(input) },
          split: splitOf.get(t.index)!,
          attempt,
          records: job.records,
          reducers: job.reducers,
          attemptDir: join(work, 'attempts', `${t.index}-${++attemptSeq}`),
          mapDir: join(mapRoot, String(t.index)),
          fetchSize: FETCH_SIZE,
          ...(streaming ? { streaming } : {}),
        }),
        onDone: async (t, stats) => {
          await store.putSplitStats(runId, stats, splits.length);
          const { first } = await store.markSplitDone(runId, t.index, splits.length);
          if (first) mapped++;
          options.onProgress?.({ phase: 'map', done: mapped, total: splits.length });
        },
        onFailure: (t) => store.recordFailure(runId, 'map', t.index),
        onBackup: () => store.countBackup(runId),
      });
    } catch (error) {
      throw await failRun(error, 'map');
    }
    if (splits.length) await store.transition(runId, 'map', 'reduce', 'local');

    // Reduce phase.
    const splitStats = await store.listSplitStats(runId);
    options.onProgress?.({ phase: 'reduce', done: 0, total: job.reducers });
    try {
      await runPhase<PartitionStats>({
        tasks: Array.from({ length: job.reducers }, (_, r) => ({ index: r, label: `partition ${r}` })),
        pool,
        retries: job.retries,
        stragglers: false,
        start: (t, attempt): LocalReduceTask => ({
          kind: 'reduce',
          runId,
          job: job.name,
          partition: t.index,
          inputs: splitStats
            .filter((s) => s.partitions.includes(t.index))
            .map((s) => join(mapRoot, String(s.split), partName(t.index))),
          format: job.outputFormat,
          memoryBudget: job.reducerMemoryBudget,
          spillDir: join(work, 'spill', `${t.index}-${attempt}`),
          outFile: join(staging, partName(t.index)),
          attempt,
          ...(streaming ? { streaming } : {}),
        }),
        onDone: async (t, stats) => {
          await store.putPartStats(runId, stats);
          const { done } = await store.markPartDone(runId, t.index);
          options.onProgress?.({ phase: 'reduce', done, total: job.reducers });
        },
        onFailure: (t) => store.recordFailure(runId, 'reduce', t.index),
        onBackup: async () => undefined,
      });
    } catch (error) {
      throw await failRun(error, 'reduce');
    }

    // Publish: every part must exist; `_SUCCESS.json` is written last, then the folder appears at once.
    const parts = Array.from({ length: job.reducers }, (_, r) => join(staging, partName(r)));
    for (const p of parts) {
      if (!existsSync(p))
        throw new ContinuumError('CONTINUUM_RUN_FAILED', `run ${runId}: ${basename(p)} is missing`);
    }
    if (!(await store.transition(runId, 'reduce', 'finalizing', 'local'))) {
      throw new ContinuumError('CONTINUUM_RUN_FAILED', `run ${runId} could not be finalized`);
    }
    const run = (await store.getRun(runId))!;
    const report = buildReport({
      job,
      run,
      splits: splitStats,
      parts: await store.listPartStats(runId),
      finishedAt: new Date(),
      fetchSize: FETCH_SIZE,
      basis: 'local-durations',
      outputBucket: '',
      ...(options.region ? { region: options.region } : {}),
    });
    report.output.prefix = finalDir;
    writeFileSync(join(staging, '_SUCCESS.json'), `${JSON.stringify(report, null, 2)}\n`);
    mkdirSync(outputDir, { recursive: true });
    // A rerun of the same unchanged file replaces its earlier result.
    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true });
    renameOrCopy(staging, finalDir);
    await store.transition(runId, 'finalizing', 'done', 'local');
    succeeded = true;
    return { runId, report, parts: parts.map((p) => join(finalDir, basename(p))) };
  } finally {
    await pool.close();
    // A failed run keeps its intermediates (the error names the folder); anything else leaves nothing behind.
    if (succeeded || !started) rmSync(work, { recursive: true, force: true });
    else keepWorkFolder(work);
  }

  async function failRun(error: unknown, phase: 'map' | 'reduce'): Promise<Error> {
    await store.transition(runId, phase, 'failed', 'local');
    const failure = error instanceof TaskFailed ? error : undefined;
    const cause = failure?.cause ?? (error as Error);
    const split = phase === 'map' && failure ? splits[failure.task.index] : undefined;
    const report: FailureReport = {
      runId,
      job: job.name,
      status: 'failed',
      phase,
      ...(split ? { split: { index: split.index, start: split.start, end: split.end } } : {}),
      ...(phase === 'reduce' && failure ? { partition: failure.task.index } : {}),
      attempts: failure?.attempts ?? 1,
      error: errorJson(cause),
      input: runInput,
      failedAt: new Date().toISOString(),
    };
    // An earlier result of the same file version is replaced by the failure, never mixed with it.
    rmSync(finalDir, { recursive: true, force: true });
    mkdirSync(finalDir, { recursive: true });
    const failedFile = join(finalDir, '_FAILED.json');
    writeFileSync(failedFile, `${JSON.stringify(report, null, 2)}\n`);
    const what = failure
      ? `${failure.task.label} of ${input} failed after ${failure.attempts} attempts`
      : 'failed';
    return new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `run ${runId} of job ${job.name}: ${what}: ${cause.message}; intermediates kept in ${work}; see ${failedFile}`,
      { cause },
    );
  }
}

/** Moves the staged result into place; across file systems, copies first and removes the stage after. */
function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const tmp = join(dirname(to), `.${basename(to)}.incoming-${process.pid}`);
    cpSync(from, tmp, { recursive: true });
    renameSync(tmp, to);
    rmSync(from, { recursive: true, force: true });
  }
}
