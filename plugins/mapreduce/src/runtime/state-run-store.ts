// The run store's item layout on core's state store; the same code runs on DynamoDB (cloud) and in memory
// (the local engine). Idempotence comes from number sets added to only once; "exactly once" from phase changes.
// A run's items are spread over partition keys so that no key, and no item, is written once per split
// (DynamoDB allows ~1,000 write units a second per partition key):
// - `run#<id>`, sort `run`: state, counters and the sets `doneLeaves`, `doneParts`, `backupSplits`,
//   `spentCounters`; also
//   `part#NNNNNN` (partition stats) and `fail#reduce#NNNNNN`;
// - `run#<id>#<k>` for k < `shards`: `split#NNNNNN` (stats), `launch#NNNNNN` (who claimed a split's launch),
//   `start#NNNNNN` (a split's first start, only with stragglers) and `fail#map#NNNNNN` of the splits s with
//   s % shards = k; `done#NNNNNN`, leaf L of the done tree, when L % shards = k; `claim#NNNN`, claim counter j,
//   when j % shards = k.
// The README's "Scaling" section gives the arithmetic.
import type { StateItem, StateKey, StateStore, StateValue } from '@serverless-continuum/core/state';
import type { NewRun, Phase, RunState, RunStore } from './run-store';
import type { RunningSplit } from './stragglers';
import type { PartitionStats, SplitStats } from './types';

const pad = (n: number): string => String(n).padStart(6, '0');

/** Run items expire two weeks after they were written. */
const expiry = (): { expiresAt: number } => ({ expiresAt: Math.floor(Date.now() / 1000) + 14 * 24 * 3600 });

const num = (v: StateValue | undefined): number => (typeof v === 'number' ? v : 0);
const text = (v: StateValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const members = (v: StateValue | undefined): ReadonlySet<number> => (v instanceof Set ? v : new Set());

/** Partition keys a run's per-split items are spread over, at most. */
export const MAX_SHARDS = 32;
/** Splits per leaf of the done tree, at most: a full leaf's number set stays under 1 KB (one write unit). */
export const MAX_LEAF = 100;
/** Splits handed out per claim counter, about: small runs get one counter, and so strict lowest-first order. */
export const CLAIMS_PER_COUNTER = 256;
/**
 * Claim counters at most: at 100,000 splits each takes ~6,250 writes (125 a second at 2,000 completions a
 * second); fewer counters make the run's tail, when completions look for a counter with splits left, cheaper.
 */
export const MAX_CLAIM_COUNTERS = 16;

/**
 * Where a run of `splits` splits, `launched` of them by the coordinator, keeps its per-split items: `shards`
 * partition keys; the done tree's leaves of `leafSize` consecutive splits (`leaves` of them, whose numbers go
 * to the run item's `doneLeaves` when full: at most ~1,000, about 3 KB); `claimCounters` counters handing out
 * the splits past `launched`, counter j the splits launched + j + claimCounters * i.
 */
export function runLayout(splits: number, launched = 0) {
  const shards = Math.max(1, Math.min(MAX_SHARDS, Math.ceil(splits / 32)));
  const leafSize = Math.max(1, Math.min(MAX_LEAF, Math.ceil(splits / 64)));
  const leaves = Math.ceil(splits / leafSize);
  const later = Math.max(0, splits - launched);
  const claimCounters = Math.max(1, Math.min(MAX_CLAIM_COUNTERS, Math.ceil(later / CLAIMS_PER_COUNTER)));
  return { shards, leafSize, leaves, claimCounters };
}

type Layout = ReturnType<typeof runLayout>;

const mainPartition = (runId: string): string => `run#${runId}`;
const shardPartition = (runId: string, shard: number): string => `run#${runId}#${shard}`;
const runKey = (runId: string): StateKey => ({ partition: mainPartition(runId), sort: 'run' });
/** An item of split `split` (stats, launch claim, start, failures) in its shard. */
const splitItemKey = (runId: string, layout: Layout, kind: string, split: number): StateKey => ({
  partition: shardPartition(runId, split % layout.shards),
  sort: `${kind}#${pad(split)}`,
});
const leafKey = (runId: string, layout: Layout, leaf: number): StateKey => ({
  partition: shardPartition(runId, leaf % layout.shards),
  sort: `done#${pad(leaf)}`,
});
const counterKey = (runId: string, layout: Layout, counter: number): StateKey => ({
  partition: shardPartition(runId, counter % layout.shards),
  sort: `claim#${String(counter).padStart(4, '0')}`,
});
const leafSizeOf = (splits: number, layout: Layout, leaf: number): number =>
  Math.min(layout.leafSize, splits - leaf * layout.leafSize);
/** The splits counter `counter` hands out. */
const counterSize = (splits: number, launched: number, layout: Layout, counter: number): number =>
  Math.max(0, Math.ceil((splits - launched - counter) / layout.claimCounters));

/** Splits done: all of them once every leaf is full, else those of the full leaves. */
function doneSplitsOf(run: StateItem): number {
  const splits = num(run.splits);
  const layout = runLayout(splits);
  const full = members(run.doneLeaves);
  if (full.size === layout.leaves) return splits;
  let done = 0;
  for (const leaf of full) done += leafSizeOf(splits, layout, leaf);
  return Math.min(done, splits - 1);
}

/** A small stable hash of an owner (a request id): which claim counter it tries first. */
function ownerSlot(owner: string, slots: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < owner.length; i++) h = Math.imul(h ^ owner.charCodeAt(i), 0x01000193);
  return (h >>> 0) % slots;
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

  private async head(runId: string): Promise<{ splits: number; launched: number }> {
    const run = await this.state.get(runKey(runId), ['splits', 'launched']);
    if (!run) throw missing(runId);
    return { splits: num(run.splits), launched: num(run.launched) };
  }

  async putSplitStats(runId: string, stats: SplitStats, splits?: number): Promise<void> {
    const layout = runLayout(splits ?? (await this.head(runId)).splits);
    await this.state.put(
      splitItemKey(runId, layout, 'split', stats.split),
      { stats: JSON.stringify(stats) },
      expiry(),
    );
  }

  putPartStats(runId: string, stats: PartitionStats): Promise<void> {
    return this.state.put(
      { partition: mainPartition(runId), sort: `part#${pad(stats.partition)}` },
      { stats: JSON.stringify(stats) },
      expiry(),
    );
  }

  /** The items of every shard whose sort key starts with `prefix`, shard by shard. */
  private async listShards(runId: string, prefix: string, splits?: number) {
    const { shards } = runLayout(splits ?? (await this.head(runId)).splits);
    const pages = await Promise.all(
      Array.from({ length: shards }, (_, k) => this.state.list(shardPartition(runId, k), prefix)),
    );
    return pages.flat();
  }

  async listSplitStats(runId: string, splits?: number): Promise<SplitStats[]> {
    const entries = await this.listShards(runId, 'split#', splits);
    return entries
      .map(({ item }) => JSON.parse(text(item.stats) ?? 'null') as SplitStats)
      .sort((a, b) => a.split - b.split);
  }

  async listPartStats(runId: string): Promise<PartitionStats[]> {
    const entries = await this.state.list(mainPartition(runId), 'part#');
    return entries.map(({ item }) => JSON.parse(text(item.stats) ?? 'null') as PartitionStats);
  }

  /**
   * Two idempotent steps, so that a retry after a crash anywhere completes them: add the split to its leaf's
   * set; when that made or found the leaf full, add the leaf to the run item's `doneLeaves`. Only the leaves'
   * last completions write the run item (and only they learn the exact count); any other returns a lower bound.
   */
  async markSplitDone(
    runId: string,
    split: number,
    knownSplits?: number,
  ): Promise<{ first: boolean; done: number }> {
    const splits = knownSplits ?? (await this.head(runId)).splits;
    const layout = runLayout(splits);
    const leaf = Math.floor(split / layout.leafSize);
    const key = leafKey(runId, layout, leaf);
    const added = await this.state.add(
      key,
      { done: new Set([split]) },
      { unlessMember: { attribute: 'done', member: split }, ...expiry() },
    );
    const first = added !== undefined;
    const inLeaf = members((added ?? (await this.state.get(key)))?.done).size;
    if (inLeaf < leafSizeOf(splits, layout, leaf)) return { first, done: inLeaf };
    const run = await this.state.add(runKey(runId), { doneLeaves: new Set([leaf]) }, { ifExists: true });
    if (!run) throw missing(runId);
    return { first, done: doneSplitsOf(run) };
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
    const run = await this.count(runId, `${phase}Retries`);
    // One item per failing split or partition, so that many failures do not grow the run item.
    const key =
      phase === 'map'
        ? splitItemKey(runId, runLayout(num(run.splits)), 'fail#map', index)
        : { partition: mainPartition(runId), sort: `fail#reduce#${pad(index)}` };
    const failures = await this.state.add(key, { attempts: 1 }, expiry());
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

  async markSplitStarted(runId: string, split: number, at: number, splits?: number): Promise<void> {
    const layout = runLayout(splits ?? (await this.head(runId)).splits);
    await this.state.putOnce(splitItemKey(runId, layout, 'start', split), { split, startedAt: at }, expiry());
  }

  async listRunningSplits(runId: string): Promise<RunningSplit[]> {
    const { splits } = await this.head(runId);
    const starts = await this.listShards(runId, 'start#', splits);
    // The done splits are read after the starts, so a split finishing in between is seen done, not running.
    const run = await this.state.get(runKey(runId), ['backupSplits']);
    if (!run) throw missing(runId);
    const done = new Set(
      (await this.listShards(runId, 'done#', splits)).flatMap(({ item }) => [...members(item.done)]),
    );
    const backups = members(run.backupSplits);
    return starts
      .filter(({ item }) => !done.has(num(item.split)))
      .map(({ item }) => ({
        split: num(item.split),
        startedAt: num(item.startedAt),
        backup: backups.has(num(item.split)),
      }))
      .sort((a, b) => a.split - b.split);
  }

  async claimBackup(runId: string, split: number): Promise<boolean> {
    // A split found done gets no backup. One finishing right after this read may still get one: that backup
    // only runs a duplicate, which the first completion already beat.
    const layout = runLayout((await this.head(runId)).splits);
    const leaf = await this.state.get(leafKey(runId, layout, Math.floor(split / layout.leafSize)));
    if (members(leaf?.done).has(split)) return false;
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
  private claimLaunch(runId: string, layout: Layout, split: number, owner: string): Promise<boolean> {
    return this.state.putOnce(splitItemKey(runId, layout, 'launch', split), { split, owner }, expiry());
  }

  /**
   * Takes the next split from counter `counter`, or undefined when it has handed out all of its own. A
   * counter may count past its splits (each caller that finds it spent adds one): harmless.
   */
  private async takeFrom(
    runId: string,
    run: { splits: number; launched: number },
    layout: Layout,
    counter: number,
  ): Promise<number | undefined> {
    const taken = await this.state.add(counterKey(runId, layout, counter), { claims: 1 }, expiry());
    const i = num(taken?.claims) - 1;
    if (i >= counterSize(run.splits, run.launched, layout, counter)) return undefined;
    return run.launched + counter + layout.claimCounters * i;
  }

  async claimNextSplit(
    runId: string,
    owner: string,
    known?: { splits: number; launched: number; after?: number },
  ): Promise<number | undefined> {
    const run = known ?? (await this.head(runId));
    const layout = runLayout(run.splits, run.launched);
    if (run.launched >= run.splits) return undefined;
    // A completion takes from the counter of the split it completed: each counter then serves the same number
    // of lanes, and the counters run out at about the same time.
    const own =
      known?.after !== undefined
        ? known.after % layout.claimCounters
        : ownerSlot(owner, layout.claimCounters);
    const take = async (counter: number): Promise<number | undefined> => {
      for (;;) {
        const split = await this.takeFrom(runId, run, layout, counter);
        if (split === undefined) return undefined;
        // Taken only by a retry's `reclaimLaunches`, which launches it: take the next one.
        if (await this.claimLaunch(runId, layout, split, owner)) return split;
      }
    };
    const mine = await take(own);
    if (mine !== undefined || layout.claimCounters === 1) return mine;
    // The run item keeps the counters found spent, so that the rest of the tail writes to none of them.
    const seen = members((await this.state.get(runKey(runId), ['spentCounters']))?.spentCounters);
    const markSpent = (counter: number) =>
      this.state.add(runKey(runId), { spentCounters: new Set([counter]) }, { ifExists: true });
    if (!seen.has(own)) await markSpent(own);
    // The others in an order of this owner's own, so that the lanes of a spent counter do not all move to the
    // same next one (and find it spent together).
    const start = ownerSlot(owner, layout.claimCounters - 1);
    for (let n = 0; n < layout.claimCounters - 1; n++) {
      const counter = (own + 1 + ((start + n) % (layout.claimCounters - 1))) % layout.claimCounters;
      if (seen.has(counter)) continue;
      const split = await take(counter);
      if (split !== undefined) return split;
      await markSpent(counter);
    }
    return undefined;
  }

  async reclaimLaunches(runId: string, owner: string): Promise<number[]> {
    const run = await this.head(runId);
    const layout = runLayout(run.splits, run.launched);
    // Read only on this rare path (a retry after a crash): every counter and the launch claims of the whole run.
    const counters = await Promise.all(
      Array.from({ length: layout.claimCounters }, (_, j) =>
        this.state.get(counterKey(runId, layout, j), ['claims']),
      ),
    );
    const claims = new Map(
      (await this.listShards(runId, 'launch#', run.splits)).map(({ item }) => [
        num(item.split),
        text(item.owner),
      ]),
    );
    const handedOut: number[] = [];
    counters.forEach((counter, j) => {
      const n = Math.min(num(counter?.claims), counterSize(run.splits, run.launched, layout, j));
      for (let i = 0; i < n; i++) handedOut.push(run.launched + j + layout.claimCounters * i);
    });
    const out: number[] = [];
    for (const split of handedOut.sort((a, b) => a - b)) {
      const claimer = claims.get(split);
      if (
        claimer === owner ||
        (claimer === undefined && (await this.claimLaunch(runId, layout, split, owner)))
      )
        out.push(split);
    }
    return out;
  }
}
