// Run state: which splits and partitions are done, counted idempotently, and the phase transitions that must
// happen exactly once. One interface, one implementation (`state-run-store.ts`, the item layout) over core's
// state store, on DynamoDB (cloud) or in memory (the local engine).
import { createMemoryStateStore } from '@serverless-continuum/core/state';
import { RUN_TABLE_TTL_ATTRIBUTE } from './contract';
import { StateRunStore } from './state-run-store';
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
   * and launches a split nobody has claimed yet, about the lowest (`claimNextSplit`), so at most `launched`
   * splits run at once and a slow split holds up no other.
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
  /**
   * Overwrites the stats of one split (deterministic: a retry writes the same thing). `splits`, the run's split
   * count, says which shard the split's items are in (read when not given).
   */
  putSplitStats(runId: string, stats: SplitStats, splits?: number): Promise<void>;
  putPartStats(runId: string, stats: PartitionStats): Promise<void>;
  /** Every split's stats, in split order: read once per run, by the map phase's end (see `MapTotals`). */
  listSplitStats(runId: string, splits?: number): Promise<SplitStats[]>;
  listPartStats(runId: string): Promise<PartitionStats[]>;
  /**
   * Records a finished split once; `first` is false for a retried or duplicated completion. `done` is the run's
   * split count exactly when every split is done (the caller that sees it makes the phase transition), and
   * otherwise a lower bound. `splits`, the run's split count, spares a read when the caller has it.
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
  markSplitStarted(runId: string, split: number, at: number, splits?: number): Promise<void>;
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
   * Claims for `owner` (a Lambda request id, inherited by retries of a dead task) the lowest unclaimed split of
   * one of the run's claim counters (a run of up to ~256 later splits has one: strictly lowest first), past the
   * coordinator's first `launched`; `undefined` when every split is claimed. Claims come from counters, so
   * concurrent completions never contend for one split, and each is kept in an item of its own. `run` (the
   * run's `splits` and `launched`) spares a read when the caller has it; `after`, the split just completed,
   * picks the counter to take from first.
   */
  claimNextSplit(
    runId: string,
    owner: string,
    run?: { splits: number; launched: number; after?: number },
  ): Promise<number | undefined>;
  /**
   * For a retry of `owner` (its attempt died, perhaps between claiming and launching): the splits `owner`
   * claimed, plus any split the counter handed out that nobody claimed (its claimer died in between), now
   * claimed for `owner`. Every split returned must be launched (again).
   */
  reclaimLaunches(runId: string, owner: string): Promise<number[]>;
}

/** The local engine's store: the same item layout and rules as the DynamoDB one, over core's in-memory state store. */
export class MemoryRunStore extends StateRunStore {
  constructor() {
    super(createMemoryStateStore({ ttlAttribute: RUN_TABLE_TTL_ATTRIBUTE }));
  }
}
