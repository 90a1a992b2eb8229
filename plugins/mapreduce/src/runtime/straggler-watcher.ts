// The straggler watcher (`stragglers: true`): backs up a running split once it runs past twice the median
// duration of the finished ones. It runs in the mapper function, started by the completion that finds every
// split claimed, and hands itself over to a fresh invocation before its own Lambda timeout.
import type { MapTaskEvent, StragglerWatchEvent } from './contract';
import { invoke, log, mapEvent, type LambdaContextLike, type Runtime } from './handler-runtime';
import { planBackups } from './stragglers';

/** The straggler watcher's longest sleep: a bound on how late it notices a change nobody told it about. */
const WATCH_POLL_MS = 30_000;
/** Its shortest sleep, so that a split crossing the limit right now does not make it spin. */
const WATCH_MIN_SLEEP_MS = 100;
/** The Lambda time a watcher keeps back to hand over to a fresh watcher before its timeout. */
const WATCH_MARGIN_MS = 15_000;
/** A run still mapping this long after it started is stuck; its watcher stops rather than hand over forever. */
const WATCH_MAX_MS = 12 * 3600 * 1000;

/**
 * A split finished with every split already claimed, and some still run (or are about to start): back up those
 * past the limit now, and start the run's watcher (once), because a completion is the only other moment
 * anyone looks.
 */
export async function watchTail(rt: Runtime, runId: string, input: MapTaskEvent['input']): Promise<void> {
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
export async function watchStragglers(rt: Runtime, event: StragglerWatchEvent, context: LambdaContextLike) {
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
