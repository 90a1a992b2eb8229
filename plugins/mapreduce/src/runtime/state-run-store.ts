// The run store's item layout on core's state store; the same code runs on DynamoDB (cloud) and in memory
// (the local engine). Idempotence comes from number sets added to only once; "exactly once" from phase changes.
// Items of a run (partition `run#<id>`): `run` (state, counters, the sets `doneShards`, `doneParts`,
// `backupSplits`), `done#NNNNNN` (the done splits of one shard of `DONE_SHARD`), `split#NNNNNN` / `part#NNNNNN`
// (stats), `start#NNNNNN` (a split's first start, written only with stragglers), `launch#NNNNNN` (who claimed a
// split's launch; the run item counts the claims handed out in `claimCount`), `fail#<phase>#NNNNNN` (failed
// attempts). Per-split data stays out of the run item, which every mapper reads and many write: DynamoDB bills
// each by the item's whole size.
import type { StateItem, StateKey, StateStore, StateValue } from '@serverless-continuum/core/state';
import type { NewRun, Phase, RunState, RunStore } from './run-store';
import type { RunningSplit } from './stragglers';
import type { PartitionStats, SplitStats } from './types';

const partitionOf = (runId: string): string => `run#${runId}`;
const itemKey = (runId: string, sort: string): StateKey => ({ partition: partitionOf(runId), sort });
const runKey = (runId: string): StateKey => itemKey(runId, 'run');
const pad = (n: number): string => String(n).padStart(6, '0');

/** Run items expire two weeks after they were written. */
const expiry = (): { expiresAt: number } => ({ expiresAt: Math.floor(Date.now() / 1000) + 14 * 24 * 3600 });

const num = (v: StateValue | undefined): number => (typeof v === 'number' ? v : 0);
const text = (v: StateValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const members = (v: StateValue | undefined): ReadonlySet<number> => (v instanceof Set ? v : new Set());

/**
 * Done splits are kept in items of `DONE_SHARD` splits each (`done#NNNNNN`), not in the run item: DynamoDB bills
 * a write by the size of the whole item, so one growing set would make a run of N splits cost O(N²) write units
 * (~20 million for 100,000 splits). The run item only gets the number of each full shard (`doneShards`) and a
 * count for progress (`doneCount`).
 */
export const DONE_SHARD = 1000;

const shards = (splits: number): number => Math.ceil(splits / DONE_SHARD);
const doneShardKey = (runId: string, split: number): StateKey =>
  itemKey(runId, `done#${pad(Math.floor(split / DONE_SHARD))}`);
const shardSize = (splits: number, shard: number): number =>
  Math.min(DONE_SHARD, splits - shard * DONE_SHARD);

/** Splits done: all of them once every shard is full, else the progress count (which a crash may leave short). */
function doneSplitsOf(run: StateItem): number {
  const splits = num(run.splits);
  if (members(run.doneShards).size === shards(splits)) return splits;
  return Math.min(num(run.doneCount), splits - 1);
}

const missing = (runId: string): Error => new Error(`run ${runId} does not exist`);

export class StateRunStore implements RunStore {
  constructor(private readonly state: StateStore) {}

  createRun(run: NewRun): Promise<boolean> {
    return this.state.putOnce(
      runKey(run.runId),
      {
        job: run.job,
        input: JSON.stringify(run.input),
        splits: run.splits,
        reducers: run.reducers,
        launched: run.launched,
        createdAt: run.createdAt,
        phase: run.phase,
        ...(run.owner ? { owner: run.owner } : {}),
        ...(run.phase === 'reduce' ? { reduceStartedAt: run.createdAt } : {}),
        mapRetries: 0,
        reduceRetries: 0,
        backups: 0,
      },
      expiry(),
    );
  }

  async getRun(runId: string): Promise<RunState | undefined> {
    const item = await this.state.get(runKey(runId));
    if (!item) return undefined;
    const owner = text(item.owner);
    const reduceStartedAt = text(item.reduceStartedAt);
    return {
      runId,
      job: text(item.job) ?? '',
      input: JSON.parse(text(item.input) ?? '{}') as RunState['input'],
      splits: num(item.splits),
      reducers: num(item.reducers),
      launched: num(item.launched),
      createdAt: text(item.createdAt) ?? '',
      phase: (text(item.phase) ?? 'map') as Phase,
      ...(owner ? { owner } : {}),
      doneSplits: doneSplitsOf(item),
      doneParts: members(item.doneParts).size,
      ...(reduceStartedAt ? { reduceStartedAt } : {}),
      retries: { map: num(item.mapRetries), reduce: num(item.reduceRetries) },
      backups: num(item.backups),
      watcher: { invocations: num(item.watchers), ms: num(item.watchMs) },
      ...(item.launchedAll === true ? { launchedAll: true } : {}),
    };
  }

  putSplitStats(runId: string, stats: SplitStats): Promise<void> {
    return this.state.put(
      itemKey(runId, `split#${pad(stats.split)}`),
      { stats: JSON.stringify(stats) },
      expiry(),
    );
  }

  putPartStats(runId: string, stats: PartitionStats): Promise<void> {
    return this.state.put(
      itemKey(runId, `part#${pad(stats.partition)}`),
      { stats: JSON.stringify(stats) },
      expiry(),
    );
  }

  private async listStats<T>(runId: string, prefix: string): Promise<T[]> {
    const entries = await this.state.list(partitionOf(runId), prefix);
    return entries.map(({ item }) => JSON.parse(text(item.stats) ?? 'null') as T);
  }

  listSplitStats(runId: string): Promise<SplitStats[]> {
    return this.listStats<SplitStats>(runId, 'split#');
  }

  listPartStats(runId: string): Promise<PartitionStats[]> {
    return this.listStats<PartitionStats>(runId, 'part#');
  }

  /**
   * Three idempotent steps, so that a retry after a crash anywhere completes them: add the split to its shard's
   * set; when that made or found the shard full, add the shard to the run's `doneShards`; count the first
   * completion for progress (in the same write as the shard, when there is one).
   */
  async markSplitDone(
    runId: string,
    split: number,
    knownSplits?: number,
  ): Promise<{ first: boolean; done: number }> {
    const splits = knownSplits ?? (await this.splitCount(runId));
    const shard = Math.floor(split / DONE_SHARD);
    const shardKey = doneShardKey(runId, split);
    const added = await this.state.add(
      shardKey,
      { done: new Set([split]) },
      { unlessMember: { attribute: 'done', member: split }, ...expiry() },
    );
    const first = added !== undefined;
    const inShard = members((added ?? (await this.state.get(shardKey)))?.done).size;
    const full = inShard === shardSize(splits, shard);
    if (first || full) {
      const run = await this.state.add(
        runKey(runId),
        { ...(first ? { doneCount: 1 } : {}), ...(full ? { doneShards: new Set([shard]) } : {}) },
        { ifExists: true },
      );
      if (!run) throw missing(runId);
      return { first, done: doneSplitsOf(run) };
    }
    return { first, done: (await this.getRun(runId))?.doneSplits ?? 0 };
  }

  private async splitCount(runId: string): Promise<number> {
    const head = await this.state.get(runKey(runId), ['splits']);
    if (!head) throw missing(runId);
    return num(head.splits);
  }

  async markPartDone(runId: string, partition: number): Promise<{ first: boolean; done: number }> {
    const run = await this.state.add(
      runKey(runId),
      { doneParts: new Set([partition]) },
      { ifExists: true, unlessMember: { attribute: 'doneParts', member: partition } },
    );
    if (run) return { first: true, done: members(run.doneParts).size };
    const state = await this.getRun(runId);
    if (!state) throw missing(runId);
    return { first: false, done: state.doneParts };
  }

  /** Adds 1 to the run item's counter `attribute`; returns the run item as it is after. */
  private async count(runId: string, attribute: string): Promise<StateItem> {
    const run = await this.state.add(runKey(runId), { [attribute]: 1 }, { ifExists: true });
    if (!run) throw missing(runId);
    return run;
  }

  transition(runId: string, from: Phase, to: Phase, owner: string, at?: string): Promise<boolean> {
    return this.state.changePhase(runKey(runId), {
      attribute: 'phase',
      from,
      to,
      // A retry of the winner (same owner) passes again; the first start time stays.
      owner: { attribute: `owner_${to}`, value: owner },
      ...(to === 'reduce' ? { setIfAbsent: { reduceStartedAt: at ?? new Date().toISOString() } } : {}),
    });
  }

  async recordFailure(runId: string, phase: 'map' | 'reduce', index: number): Promise<number> {
    await this.count(runId, `${phase}Retries`);
    // One item per failing split or partition, so that many failures do not grow the run item.
    const failures = await this.state.add(
      itemKey(runId, `fail#${phase}#${pad(index)}`),
      { attempts: 1 },
      expiry(),
    );
    return num(failures?.attempts);
  }

  async markLaunchedAll(runId: string): Promise<void> {
    if (!(await this.state.set(runKey(runId), { launchedAll: true }, { ifExists: true })))
      throw missing(runId);
  }

  async countWatcher(runId: string, ms: number): Promise<void> {
    // A run that no longer exists (expired) has nothing to count the time in: not an error.
    await this.state.add(runKey(runId), { watchers: 1, watchMs: Math.round(ms) }, { ifExists: true });
  }

  async countBackup(runId: string): Promise<void> {
    await this.count(runId, 'backups');
  }

  async markSplitStarted(runId: string, split: number, at: number): Promise<void> {
    await this.state.putOnce(itemKey(runId, `start#${pad(split)}`), { split, startedAt: at }, expiry());
  }

  async listRunningSplits(runId: string): Promise<RunningSplit[]> {
    const starts = await this.state.list(partitionOf(runId), 'start#');
    // The done splits are read after the starts, so a split finishing in between is seen done, not running.
    const run = await this.state.get(runKey(runId));
    if (!run) throw missing(runId);
    const done = new Set(
      (await this.state.list(partitionOf(runId), 'done#')).flatMap(({ item }) => [...members(item.done)]),
    );
    const backups = members(run.backupSplits);
    return starts
      .filter(({ item }) => !done.has(num(item.split)))
      .map(({ item }) => ({
        split: num(item.split),
        startedAt: num(item.startedAt),
        backup: backups.has(num(item.split)),
      }));
  }

  async claimBackup(runId: string, split: number): Promise<boolean> {
    // A split found done gets no backup. One finishing right after this read may still get one: that backup
    // only runs a duplicate, which the first completion already beat.
    const shard = await this.state.get(doneShardKey(runId, split));
    if (members(shard?.done).has(split)) return false;
    // The claim and its count are one write: a crash cannot leave a backup uncounted.
    const run = await this.state.add(
      runKey(runId),
      { backupSplits: new Set([split]), backups: 1 },
      { ifExists: true, unlessMember: { attribute: 'backupSplits', member: split } },
    );
    return run !== undefined;
  }

  claimWatcher(runId: string): Promise<boolean> {
    return this.state.set(runKey(runId), { watcher: true }, { ifExists: true, unlessSet: 'watcher' });
  }

  /** Claims the launch of `split` for `owner`; false when someone claimed it first. */
  private claimLaunch(runId: string, split: number, owner: string): Promise<boolean> {
    return this.state.putOnce(itemKey(runId, `launch#${pad(split)}`), { split, owner }, expiry());
  }

  async claimNextSplit(runId: string, owner: string): Promise<number | undefined> {
    for (;;) {
      const run = await this.count(runId, 'claimCount');
      const split = num(run.launched) + num(run.claimCount) - 1;
      if (split >= num(run.splits)) return undefined;
      // Taken only by a retry's `reclaimLaunches`, which launches it: take the next one.
      if (await this.claimLaunch(runId, split, owner)) return split;
    }
  }

  async reclaimLaunches(runId: string, owner: string): Promise<number[]> {
    const run = await this.state.get(runKey(runId), ['splits', 'launched', 'claimCount']);
    if (!run) throw missing(runId);
    const launched = num(run.launched);
    const end = Math.min(num(run.splits), launched + num(run.claimCount));
    // Read only on this rare path (a retry after a crash): the launch claims of the whole run.
    const claims = new Map(
      (await this.state.list(partitionOf(runId), 'launch#')).map(({ item }) => [
        num(item.split),
        text(item.owner),
      ]),
    );
    const out: number[] = [];
    for (let split = launched; split < end; split++) {
      const claimer = claims.get(split);
      if (claimer === owner || (claimer === undefined && (await this.claimLaunch(runId, split, owner))))
        out.push(split);
    }
    return out;
  }
}
