// Run state: which splits and partitions are done, counted idempotently, and the phase transitions that must
// happen exactly once. One interface, two adapters: DynamoDB (cloud) and memory (the local engine).
import type { RunningSplit } from './stragglers';
import type { PartitionStats, SplitStats } from './types';

export type Phase = 'map' | 'reduce' | 'finalizing' | 'done' | 'failed';

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
   * Map tasks launched by the coordinator: splits 0..launched-1. The k-th split to finish (k = 1, 2, ...)
   * launches split `launched + k - 1`.
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
}

/** What recording a finished split says. */
export interface SplitCompletion {
  /** False for a retried or duplicated completion. */
  first: boolean;
  /** Splits done so far. */
  done: number;
  /** The split's place in the order splits finished (1 for the first), fixed by its first completion. */
  ordinal: number;
  /** True when the caller's owner is the one that recorded the first completion (a retry of it). */
  sameOwner: boolean;
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
   * Records a finished split once, with its ordinal and `owner` (e.g. a Lambda request id, which async
   * retries keep), so that a retry of the first completion learns the same ordinal again.
   */
  markSplitDone(runId: string, split: number, owner?: string): Promise<SplitCompletion>;
  markPartDone(runId: string, partition: number): Promise<{ first: boolean; done: number }>;
  /**
   * Moves the run from `from` to `to`; true for exactly one caller (and for a retry of that caller:
   * the same `owner`, e.g. a Lambda request id, which async retries keep).
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
}

interface MemoryRun extends RunState {
  doneSplitSet: Set<number>;
  /** Split -> its ordinal and the owner of its first completion. */
  completions: Map<number, { ordinal: number; owner: string | undefined }>;
  donePartSet: Set<number>;
  failures: Map<string, number>;
  owners: Map<string, string>;
  splitStats: Map<number, SplitStats>;
  partStats: Map<number, PartitionStats>;
  startedAt: Map<number, number>;
  backupSet: Set<number>;
  watcher: boolean;
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
      ...(run.phase === 'reduce' ? { reduceStartedAt: run.createdAt } : {}),
      doneSplitSet: new Set(),
      completions: new Map(),
      donePartSet: new Set(),
      failures: new Map(),
      owners: new Map(),
      splitStats: new Map(),
      partStats: new Map(),
      startedAt: new Map(),
      backupSet: new Set(),
      watcher: false,
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

  async markSplitDone(runId: string, split: number, owner?: string): Promise<SplitCompletion> {
    const run = this.run(runId);
    const recorded = run.completions.get(split);
    if (recorded) {
      const sameOwner = owner !== undefined && recorded.owner === owner;
      return { first: false, done: run.doneSplits, ordinal: recorded.ordinal, sameOwner };
    }
    run.doneSplitSet.add(split);
    run.doneSplits = run.doneSplitSet.size;
    run.completions.set(split, { ordinal: run.doneSplits, owner });
    return { first: true, done: run.doneSplits, ordinal: run.doneSplits, sameOwner: true };
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
    if (run.watcher) return false;
    run.watcher = true;
    return true;
  }
}
