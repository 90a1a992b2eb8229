// The hand-overs between a run's phases, each made by the one task that won the phase's transition (and by its
// retries): the map phase's end (its totals written once, the reducers started), and the publication of the
// result followed by the clean-up of its intermediates. The README's "How a run works" tells the protocol.
import {
  FETCH_SIZE,
  forEachLimited,
  log,
  startReducers,
  type LambdaContextLike,
  type Runtime,
} from './handler-runtime';
import { inputsOf, mapTotals, type MapTotals } from './map-totals';
import { buildReport, keys } from './report';
import type { RunState } from './run-store';

/** DeleteObjects requests in flight during a clean-up; each removes up to 1,000 objects. */
const CLEAN_UP_CONCURRENCY = 8;
/** The Lambda time a clean-up leaves unused, to log what it did not delete before the function times out. */
const CLEAN_UP_MARGIN_MS = 10_000;

/**
 * The map phase is over (this task won its transition): every split's stats are read once and their totals
 * written beside the intermediates, then the reducers start. A retry redoes both (the same totals, launches
 * that reducers already running skip).
 */
export async function endMapPhase(rt: Runtime, runId: string, splits: number): Promise<void> {
  const stats = await rt.store.listSplitStats(runId, splits);
  const totals = mapTotals(stats, { reducers: rt.job.reducers, fetchSize: FETCH_SIZE, runId, splits });
  await rt.storage.put(rt.job.temp.bucket, keys.mapTotals(rt.job, runId), JSON.stringify(totals), {
    contentType: 'application/json',
  });
  await startReducers(rt, runId);
}

/** The map phase's totals; a run with nothing to map has none written, and empty ones. */
export async function readMapTotals(rt: Runtime, run: RunState): Promise<MapTotals> {
  if (run.splits === 0) {
    return mapTotals([], { reducers: rt.job.reducers, fetchSize: FETCH_SIZE, runId: run.runId, splits: 0 });
  }
  const bytes = await rt.storage.getBytes(rt.job.temp.bucket, keys.mapTotals(rt.job, run.runId));
  return JSON.parse(bytes.toString('utf8')) as MapTotals;
}

/**
 * Publishes `_SUCCESS.json` once every part exists, marks the run done, then removes its intermediates (a retry
 * writes the same again). Nothing after `_SUCCESS.json` fails the run: the run is done before the clean-up
 * starts, a clean-up that fails says so in the log and leaves only temporary objects, and a publisher that dies
 * between the two finds `_SUCCESS.json` when it fails the run (`failures.ts`), and marks the run done instead.
 */
export async function publish(
  rt: Runtime,
  runId: string,
  owner: string,
  context?: LambdaContextLike,
): Promise<void> {
  const { job, store, storage } = rt;
  const run = await store.getRun(runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const totals = await readMapTotals(rt, run);
  for (let r = 0; r < job.reducers; r++) {
    if (!(await storage.head(job.output.bucket, keys.part(job, runId, r)))) {
      throw new Error(`run ${runId}: ${keys.part(job, runId, r)} is missing; not publishing _SUCCESS.json`);
    }
  }
  const report = buildReport({
    job,
    run,
    map: totals,
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
  await store.transition(runId, 'finalizing', 'done', owner);
  await cleanUp(rt, runId, totals, context);
}

/** The run's temporary objects: every intermediate its totals name, and the totals themselves. */
export function temporaryKeys(rt: Runtime, runId: string, totals: MapTotals): string[] {
  const out: string[] = [];
  for (let p = 0; p < rt.job.reducers; p++)
    for (const split of inputsOf(totals, p)) out.push(keys.intermediate(rt.job, runId, split, p));
  if (totals.splits) out.push(keys.mapTotals(rt.job, runId));
  return out;
}

/**
 * Deletes the run's temporary objects with DeleteObjects, 1,000 keys a request, a few requests at once; deleting
 * what is gone already is no error, so a retry repeats it harmlessly. Never throws: the run is published.
 */
export async function cleanUp(
  rt: Runtime,
  runId: string,
  totals: MapTotals,
  context?: LambdaContextLike,
): Promise<void> {
  const { storage, job } = rt;
  const timeLeft = (): number => context?.getRemainingTimeInMillis?.() ?? Infinity;
  const all = temporaryKeys(rt, runId, totals);
  const batches: string[][] = [];
  for (let i = 0; i < all.length; i += 1000) batches.push(all.slice(i, i + 1000));
  let failed = 0;
  let firstError: string | undefined;
  await forEachLimited(batches, CLEAN_UP_CONCURRENCY, async (batch) => {
    if (timeLeft() < CLEAN_UP_MARGIN_MS) {
      failed += batch.length;
      firstError ??= 'the reducer ran out of time';
      return;
    }
    try {
      if (storage.deleteMany) await storage.deleteMany(job.temp.bucket, batch);
      else for (const key of batch) await storage.delete(job.temp.bucket, key);
    } catch (error) {
      failed += batch.length;
      firstError ??= (error as Error)?.message ?? String(error);
    }
  });
  if (failed) {
    log('clean-up incomplete: temporary objects left', {
      runId,
      bucket: job.temp.bucket,
      prefix: keys.intermediatePrefix(job, runId),
      left: failed,
      of: all.length,
      error: firstError,
    });
  } else log('clean-up done', { runId, deleted: all.length });
}
