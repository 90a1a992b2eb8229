// Run state: which splits and partitions are done, counted idempotently, and the phase transitions that must
// happen exactly once. One interface, two adapters: DynamoDB (cloud) and memory (the local engine).
import type { RunningSplit } from './stragglers';
import type { PartitionStats, SplitStats } from './types';

export type Phase = 'map' | 'reduce' | 'finalizing' | 'done' | 'failed';

/** A run in this phase has ended, with its result or with `_FAILED.json`. */
export function isOver(phase: Phase): boolean {
  return phase === 'done' || phase === 'failed';
}

export interface RunInput {
  bucket: string;
  key: string;
  versionId?: string;
  size: number;
}

export interface NewRun {
  runId: string;
  job: string;
  input: RunInput;
  splits: number;
  reducers: number;
  /**
   * Map tasks launched by the coordinator: splits 0..launched-1. Each first completion of a split then claims
   * and launches the lowest split nobody has claimed yet (`claimNextSplit`), so at most `launched` splits run
   * at once and a slow split holds up no other.
   */
  launched: number;
  createdAt: string;
  /** When there is nothing to map (an empty object), the run starts in `reduce`. */
  phase: 'map' | 'reduce';
  /** Who created the run (a Lambda request id): a retry of that same invocation may carry on launching it. */
  owner?: string;
}

export interface RunState extends Omit<NewRun, 'phase'> {
  phase: Phase;
  doneSplits: number;
  doneParts: number;
  reduceStartedAt?: string;
  retries: { map: number; reduce: number };
  backups: number;
  /** The straggler watcher's invocations and their summed time, see `RunReport.watcher`. */
  watcher: { invocations: number; ms: number };
  /** The coordinator launched every first task of the run (its first mappers, or its reducers). */
  launchedAll?: boolean;
}

export interface RunStore {
  /** Creates the run; `false` when it already exists (a duplicated trigger). */
  createRun(run: NewRun): Promise<boolean>;
  getRun(runId: string): Promise<RunState | undefined>;
  /** Overwrites the stats of one split (deterministic: a retry writes the same thing). */
  putSplitStats(runId: string, stats: SplitStats): Promise<void>;
  putPartStats(runId: string, stats: PartitionStats): Promise<void>;
  listSplitStats(runId: string): Promise<SplitStats[]>;
  listPartStats(runId: string): Promise<PartitionStats[]>;
  /**
   * Records a finished split once; `first` is false for a retried or duplicated completion. `splits`, the run's
   * split count, spares a read when the caller has it.
   */
  markSplitDone(runId: string, split: number, splits?: number): Promise<{ first: boolean; done: number }>;
  markPartDone(runId: string, partition: number): Promise<{ first: boolean; done: number }>;
  /**
   * Moves the run from `from` to `to`; true for exactly one caller (and for a retry of that caller:
   * the same `owner`: a Lambda request id, which a retry of a dead task inherits, see `MapTaskEvent.owner`).
   */
  transition(runId: string, from: Phase, to: Phase, owner: string, at?: string): Promise<boolean>;
  /** Counts a failed attempt of a split or partition and returns the attempts failed so far. */
  recordFailure(runId: string, phase: 'map' | 'reduce', index: number): Promise<number>;
  countBackup(runId: string): Promise<void>;
  /** Records that an attempt of `split` started at `at` (epoch ms); only the first start of a split is kept. */
  markSplitStarted(runId: string, split: number, at: number): Promise<void>;
  /** The splits that have started and are not done, in split order. */
  listRunningSplits(runId: string): Promise<RunningSplit[]>;
  /**
   * Claims the one backup a split may get: true for exactly one caller per split, never for a done split;
   * a successful claim is counted in the run's `backups`.
   */
  claimBackup(runId: string, split: number): Promise<boolean>;
  /** Claims the run's straggler watcher: true for exactly one caller per run. */
  claimWatcher(runId: string): Promise<boolean>;
  /** Records that the coordinator launched every first task of the run. */
  markLaunchedAll(runId: string): Promise<void>;
  /** Counts one straggler-watcher invocation that ran for `ms`. */
  countWatcher(runId: string, ms: number): Promise<void>;
  /**
   * Claims for `owner` (a Lambda request id, inherited by retries of a dead task) the lowest split past the
   * coordinator's first `launched` that nobody has claimed; `undefined` when every split is claimed. Claims
   * come from a counter, so concurrent completions never contend for one split, and each is kept in an item
   * of its own so that a run of many splits does not grow the run item.
   */
  claimNextSplit(runId: string, owner: string): Promise<number | undefined>;
  /**
   * For a retry of `owner` (its attempt died, perhaps between claiming and launching): the splits `owner`
   * claimed, plus any split the counter handed out that nobody claimed (its claimer died in between), now
   * claimed for `owner`. Every split returned must be launched (again).
   */
  reclaimLaunches(runId: string, owner: string): Promise<number[]>;
}

interface MemoryRun extends RunState {
  doneSplitSet: Set<number>;
  donePartSet: Set<number>;
  failures: Map<string, number>;
  owners: Map<string, string>;
  splitStats: Map<number, SplitStats>;
  partStats: Map<number, PartitionStats>;
  startedAt: Map<number, number>;
  backupSet: Set<number>;
  watcherClaimed: boolean;
  /** Split -> the owner of its launch claim. */
  launches: Map<number, string>;
  /** Splits handed out by `claimNextSplit`'s counter. */
  claimCount: number;
}

/** The local engine's store: the same semantics as the DynamoDB one, in one process. */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, MemoryRun>();

  private run(runId: string): MemoryRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    return run;
  }

  async createRun(run: NewRun): Promise<boolean> {
    if (this.runs.has(run.runId)) return false;
    this.runs.set(run.runId, {
      ...run,
      doneSplits: 0,
      doneParts: 0,
      retries: { map: 0, reduce: 0 },
      backups: 0,
      watcher: { invocations: 0, ms: 0 },
      ...(run.phase === 'reduce' ? { reduceStartedAt: run.createdAt } : {}),
      doneSplitSet: new Set(),
      launches: new Map(),
      claimCount: 0,
      donePartSet: new Set(),
      failures: new Map(),
      owners: new Map(),
      splitStats: new Map(),
      partStats: new Map(),
      startedAt: new Map(),
      backupSet: new Set(),
      watcherClaimed: false,
    });
    return true;
  }

  async getRun(runId: string): Promise<RunState | undefined> {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const state: RunState = {
      runId: run.runId,
      job: run.job,
      input: run.input,
      splits: run.splits,
      reducers: run.reducers,
      launched: run.launched,
      createdAt: run.createdAt,
      phase: run.phase,
      ...(run.owner ? { owner: run.owner } : {}),
      doneSplits: run.doneSplits,
      doneParts: run.doneParts,
      ...(run.reduceStartedAt ? { reduceStartedAt: run.reduceStartedAt } : {}),
      retries: run.retries,
      backups: run.backups,
      watcher: { ...run.watcher },
      ...(run.launchedAll ? { launchedAll: true } : {}),
    };
    return structuredClone(state);
  }

  async putSplitStats(runId: string, stats: SplitStats): Promise<void> {
    this.run(runId).splitStats.set(stats.split, structuredClone(stats));
  }

  async putPartStats(runId: string, stats: PartitionStats): Promise<void> {
    this.run(runId).partStats.set(stats.partition, structuredClone(stats));
  }

  async listSplitStats(runId: string): Promise<SplitStats[]> {
    return [...this.run(runId).splitStats.values()].sort((a, b) => a.split - b.split);
  }

  async listPartStats(runId: string): Promise<PartitionStats[]> {
    return [...this.run(runId).partStats.values()].sort((a, b) => a.partition - b.partition);
  }

  async markSplitDone(runId: string, split: number): Promise<{ first: boolean; done: number }> {
    const run = this.run(runId);
    const first = !run.doneSplitSet.has(split);
    run.doneSplitSet.add(split);
    run.doneSplits = run.doneSplitSet.size;
    return { first, done: run.doneSplits };
  }

  async markPartDone(runId: string, partition: number): Promise<{ first: boolean; done: number }> {
    const run = this.run(runId);
    const first = !run.donePartSet.has(partition);
    run.donePartSet.add(partition);
    run.doneParts = run.donePartSet.size;
    return { first, done: run.doneParts };
  }

  async transition(runId: string, from: Phase, to: Phase, owner: string, at?: string): Promise<boolean> {
    const run = this.run(runId);
    if (run.phase === to && run.owners.get(to) === owner) return true;
    if (run.phase !== from) return false;
    run.phase = to;
    run.owners.set(to, owner);
    if (to === 'reduce') run.reduceStartedAt = at ?? new Date().toISOString();
    return true;
  }

  async recordFailure(runId: string, phase: 'map' | 'reduce', index: number): Promise<number> {
    const run = this.run(runId);
    const id = `${phase}#${index}`;
    const n = (run.failures.get(id) ?? 0) + 1;
    run.failures.set(id, n);
    run.retries[phase]++;
    return n;
  }

  async countBackup(runId: string): Promise<void> {
    this.run(runId).backups++;
  }

  async markSplitStarted(runId: string, split: number, at: number): Promise<void> {
    const run = this.run(runId);
    if (!run.startedAt.has(split)) run.startedAt.set(split, at);
  }

  async listRunningSplits(runId: string): Promise<RunningSplit[]> {
    const run = this.run(runId);
    return [...run.startedAt]
      .filter(([split]) => !run.doneSplitSet.has(split))
      .sort(([a], [b]) => a - b)
      .map(([split, startedAt]) => ({ split, startedAt, backup: run.backupSet.has(split) }));
  }

  async claimBackup(runId: string, split: number): Promise<boolean> {
    const run = this.run(runId);
    if (run.backupSet.has(split) || run.doneSplitSet.has(split)) return false;
    run.backupSet.add(split);
    await this.countBackup(runId);
    return true;
  }

  async claimWatcher(runId: string): Promise<boolean> {
    const run = this.run(runId);
    if (run.watcherClaimed) return false;
    run.watcherClaimed = true;
    return true;
  }

  async markLaunchedAll(runId: string): Promise<void> {
    this.run(runId).launchedAll = true;
  }

  async countWatcher(runId: string, ms: number): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    run.watcher.invocations++;
    run.watcher.ms += ms;
  }

  async claimNextSplit(runId: string, owner: string): Promise<number | undefined> {
    const run = this.run(runId);
    for (;;) {
      const split = run.launched + run.claimCount++;
      if (split >= run.splits) return undefined;
      // Taken only by a retry's `reclaimLaunches`, which launches it: take the next one.
      if (!run.launches.has(split)) {
        run.launches.set(split, owner);
        return split;
      }
    }
  }

  async reclaimLaunches(runId: string, owner: string): Promise<number[]> {
    const run = this.run(runId);
    const out: number[] = [];
    const end = Math.min(run.splits, run.launched + run.claimCount);
    for (let split = run.launched; split < end; split++) {
      const claimer = run.launches.get(split);
      if (claimer === undefined) run.launches.set(split, owner);
      if (claimer === undefined || claimer === owner) out.push(split);
    }
    return out;
  }
}
