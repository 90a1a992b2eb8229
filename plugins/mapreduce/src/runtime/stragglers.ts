// The straggler rule of the map phase: a split running longer than twice the median duration of the finished
// splits gets one backup copy. Pure: the Lambda handlers (from the run store) and the local engine (from its
// pool) feed it what runs, and launch what it names.

/** A split that has started and is not done yet. */
export interface RunningSplit {
  split: number;
  /** Epoch milliseconds of its first start (a retry or a backup does not move it). */
  startedAt: number;
  /** Whether a backup was already launched for it. */
  backup: boolean;
}

export interface BackupPlan {
  /** Twice the median duration of the finished splits, ms; absent before any split has finished. */
  limit?: number;
  /** Splits past the limit that have no backup yet, in split order. */
  due: number[];
  /** The earliest time (epoch ms) another running split crosses the limit; absent when none will. */
  nextAt?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** With no finished split there is no median yet, so nothing is due and nothing is scheduled. */
export function planBackups(input: {
  now: number;
  durations: number[];
  running: RunningSplit[];
}): BackupPlan {
  if (!input.durations.length) return { due: [] };
  const limit = 2 * median(input.durations);
  const due: number[] = [];
  let nextAt: number | undefined;
  for (const r of input.running) {
    if (r.backup) continue;
    if (input.now - r.startedAt > limit) due.push(r.split);
    else nextAt = Math.min(nextAt ?? Infinity, r.startedAt + limit + 1);
  }
  return { limit, due: due.sort((a, b) => a - b), ...(nextAt !== undefined ? { nextAt } : {}) };
}
