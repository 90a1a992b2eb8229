// The run store on DynamoDB (table key: `pk` S hash + `sk` S range). Idempotence comes from number sets with
// conditional ADD; "exactly once" from conditional updates of the `phase` attribute.
// Items of a run `run#<id>`: `run` (state, counters, the sets `doneShards`, `doneParts`, `backupSplits`),
// `done#NNNNNN` (the done splits of one shard of `DONE_SHARD`), `split#NNNNNN` / `part#NNNNNN` (stats),
// `start#NNNNNN` (a split's first start, written only with stragglers), `launch#NNNNNN` (who claimed a split's
// launch; the run item counts the claims handed out in `claimCount`),
// `fail#<phase>#NNNNNN` (failed attempts). Per-split data stays out of the run item, which every mapper reads
// and many write: DynamoDB bills each by the item's whole size.
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { RUN_TABLE_TTL_ATTRIBUTE } from './contract';
import type { NewRun, Phase, RunState, RunStore } from './run-store';
import type { RunningSplit } from './stragglers';
import type { PartitionStats, SplitStats } from './types';

/** All of a run's items share one partition key. */
const runPartition = (runId: string): AttributeValue => ({ S: `run#${runId}` });
const itemKey = (runId: string, sk: string): Record<string, AttributeValue> => ({
  pk: runPartition(runId),
  sk: { S: sk },
});
const runKey = (runId: string): Record<string, AttributeValue> => itemKey(runId, 'run');
const pad = (n: number): string => String(n).padStart(6, '0');

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

/** Run items expire two weeks after they were written. */
const expiry = (): Record<string, AttributeValue> => ({
  [RUN_TABLE_TTL_ATTRIBUTE]: { N: String(Math.floor(Date.now() / 1000) + 14 * 24 * 3600) },
});

const num = (v: AttributeValue | undefined): number => Number(v?.N ?? 0);

/**
 * Done splits are kept in items of `DONE_SHARD` splits each (`done#NNNNNN`), not in the run item: DynamoDB bills
 * a write by the size of the whole item, so one growing set would make a run of N splits cost O(N²) write units
 * (~20 million for 100,000 splits). The run item only gets the number of each full shard (`doneShards`) and a
 * count for progress (`doneCount`).
 */
export const DONE_SHARD = 1000;

const shards = (splits: number): number => Math.ceil(splits / DONE_SHARD);
const doneShardKey = (runId: string, split: number) =>
  itemKey(runId, `done#${pad(Math.floor(split / DONE_SHARD))}`);
const shardSize = (splits: number, shard: number): number =>
  Math.min(DONE_SHARD, splits - shard * DONE_SHARD);

/** Splits done: all of them once every shard is full, else the progress count (which a crash may leave short). */
function doneSplitsOf(run: Record<string, AttributeValue>): number {
  const splits = num(run.splits);
  if ((run.doneShards?.NS?.length ?? 0) === shards(splits)) return splits;
  return Math.min(num(run.doneCount), splits - 1);
}

export class DynamoRunStore implements RunStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Sends a conditional write; false when its condition failed (someone got there first), not an error. */
  private async sendIf(command: PutItemCommand | UpdateItemCommand): Promise<boolean> {
    try {
      // Two calls because the SDK's `send` is typed per command.
      if (command instanceof PutItemCommand) await this.client.send(command);
      else await this.client.send(command);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async createRun(run: NewRun): Promise<boolean> {
    return this.sendIf(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...runKey(run.runId),
          job: { S: run.job },
          input: { S: JSON.stringify(run.input) },
          splits: { N: String(run.splits) },
          reducers: { N: String(run.reducers) },
          launched: { N: String(run.launched) },
          createdAt: { S: run.createdAt },
          phase: { S: run.phase },
          ...(run.owner ? { owner: { S: run.owner } } : {}),
          ...(run.phase === 'reduce' ? { reduceStartedAt: { S: run.createdAt } } : {}),
          mapRetries: { N: '0' },
          reduceRetries: { N: '0' },
          backups: { N: '0' },
          ...expiry(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRun(runId: string): Promise<RunState | undefined> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: runKey(runId), ConsistentRead: true }),
    );
    if (!item) return undefined;
    return {
      runId,
      job: item.job?.S ?? '',
      input: JSON.parse(item.input?.S ?? '{}') as RunState['input'],
      splits: num(item.splits),
      reducers: num(item.reducers),
      launched: num(item.launched),
      createdAt: item.createdAt?.S ?? '',
      phase: (item.phase?.S ?? 'map') as Phase,
      ...(item.owner?.S ? { owner: item.owner.S } : {}),
      doneSplits: doneSplitsOf(item),
      doneParts: item.doneParts?.NS?.length ?? 0,
      ...(item.reduceStartedAt?.S ? { reduceStartedAt: item.reduceStartedAt.S } : {}),
      retries: { map: num(item.mapRetries), reduce: num(item.reduceRetries) },
      backups: num(item.backups),
      watcher: { invocations: num(item.watchers), ms: num(item.watchMs) },
      ...(item.launchedAll?.BOOL ? { launchedAll: true } : {}),
    };
  }

  private async putStats(runId: string, sk: string, stats: unknown): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...itemKey(runId, sk), stats: { S: JSON.stringify(stats) }, ...expiry() },
      }),
    );
  }

  putSplitStats(runId: string, stats: SplitStats): Promise<void> {
    return this.putStats(runId, `split#${pad(stats.split)}`, stats);
  }

  putPartStats(runId: string, stats: PartitionStats): Promise<void> {
    return this.putStats(runId, `part#${pad(stats.partition)}`, stats);
  }

  private async listItems(runId: string, prefix: string): Promise<Array<Record<string, AttributeValue>>> {
    const out: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': runPartition(runId), ':p': { S: prefix } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private async listStats<T>(runId: string, prefix: string): Promise<T[]> {
    return (await this.listItems(runId, prefix)).map((item) => JSON.parse(item.stats?.S ?? 'null') as T);
  }

  listSplitStats(runId: string): Promise<SplitStats[]> {
    return this.listStats<SplitStats>(runId, 'split#');
  }

  listPartStats(runId: string): Promise<PartitionStats[]> {
    return this.listStats<PartitionStats>(runId, 'part#');
  }

  private async markDone(
    runId: string,
    attr: string,
    index: number,
  ): Promise<{ first: boolean; done: number }> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: 'ADD #set :one',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(#set) OR NOT contains(#set, :i))',
          ExpressionAttributeNames: { '#set': attr },
          ExpressionAttributeValues: { ':one': { NS: [String(index)] }, ':i': { N: String(index) } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { first: true, done: Attributes?.[attr]?.NS?.length ?? 0 };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const run = await this.getRun(runId);
      if (!run) throw new Error(`run ${runId} does not exist`);
      return { first: false, done: attr === 'doneSplits' ? run.doneSplits : run.doneParts };
    }
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
    let first = true;
    let inShard: number;
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: shardKey,
          UpdateExpression: 'ADD done :s SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(done) OR NOT contains(done, :i)',
          ExpressionAttributeNames: { '#ttl': RUN_TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':s': { NS: [String(split)] },
            ':i': { N: String(split) },
            ':ttl': expiry()[RUN_TABLE_TTL_ATTRIBUTE]!,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      inShard = Attributes?.done?.NS?.length ?? 0;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      first = false;
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: shardKey, ConsistentRead: true }),
      );
      inShard = Item?.done?.NS?.length ?? 0;
    }
    const full = inShard === shardSize(splits, shard);
    if (first || full) {
      const { Attributes: run } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: `ADD ${[...(first ? ['doneCount :one'] : []), ...(full ? ['doneShards :shard'] : [])].join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ...(first ? { ':one': { N: '1' } } : {}),
            ...(full ? { ':shard': { NS: [String(shard)] } } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { first, done: doneSplitsOf(run ?? {}) };
    }
    return { first, done: (await this.getRun(runId))?.doneSplits ?? 0 };
  }

  private async splitCount(runId: string): Promise<number> {
    const { Item: head } = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        ProjectionExpression: 'splits',
        ConsistentRead: true,
      }),
    );
    if (!head) throw new Error(`run ${runId} does not exist`);
    return num(head.splits);
  }

  markPartDone(runId: string, partition: number): Promise<{ first: boolean; done: number }> {
    return this.markDone(runId, 'doneParts', partition);
  }

  /** Adds 1 to the run item's counter `attr`; returns the run item as it is after. */
  private async add(runId: string, attr: string): Promise<Record<string, AttributeValue>> {
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        UpdateExpression: 'ADD #a :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#a': attr },
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes ?? {};
  }

  async transition(runId: string, from: Phase, to: Phase, owner: string, at?: string): Promise<boolean> {
    const when = at ?? new Date().toISOString();
    return this.sendIf(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        // A retry of the winner (same owner) passes the condition again; the first start time stays.
        UpdateExpression: `SET phase = :to, #owner = :owner${to === 'reduce' ? ', reduceStartedAt = if_not_exists(reduceStartedAt, :at)' : ''}`,
        ConditionExpression: 'phase = :from OR (phase = :to AND #owner = :owner)',
        ExpressionAttributeNames: { '#owner': `owner_${to}` },
        ExpressionAttributeValues: {
          ':from': { S: from },
          ':to': { S: to },
          ':owner': { S: owner },
          ...(to === 'reduce' ? { ':at': { S: when } } : {}),
        },
      }),
    );
  }

  async recordFailure(runId: string, phase: 'map' | 'reduce', index: number): Promise<number> {
    await this.add(runId, `${phase}Retries`);
    // One item per failing split or partition, so that many failures do not grow the run item.
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: itemKey(runId, `fail#${phase}#${pad(index)}`),
        UpdateExpression: 'ADD attempts :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#ttl': RUN_TABLE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': expiry()[RUN_TABLE_TTL_ATTRIBUTE]! },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return num(Attributes?.attempts);
  }

  async markLaunchedAll(runId: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        UpdateExpression: 'SET launchedAll = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
  }

  async countWatcher(runId: string, ms: number): Promise<void> {
    // A run that no longer exists (expired) has nothing to count the time in: not an error.
    await this.sendIf(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        UpdateExpression: 'ADD watchers :one, watchMs :ms',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':ms': { N: String(Math.round(ms)) } },
      }),
    );
  }

  async countBackup(runId: string): Promise<void> {
    await this.add(runId, 'backups');
  }

  /** Writes a run's item `sk` unless it exists; false when it did (someone wrote it first). */
  private putOnce(runId: string, sk: string, attributes: Record<string, AttributeValue>): Promise<boolean> {
    return this.sendIf(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...itemKey(runId, sk), ...attributes, ...expiry() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async markSplitStarted(runId: string, split: number, at: number): Promise<void> {
    await this.putOnce(runId, `start#${pad(split)}`, {
      split: { N: String(split) },
      startedAt: { N: String(at) },
    });
  }

  async listRunningSplits(runId: string): Promise<RunningSplit[]> {
    const starts = await this.listItems(runId, 'start#');
    // The done splits are read after the starts, so a split finishing in between is seen done, not running.
    const { Item: run } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: runKey(runId), ConsistentRead: true }),
    );
    if (!run) throw new Error(`run ${runId} does not exist`);
    const done = new Set((await this.listItems(runId, 'done#')).flatMap((shard) => shard.done?.NS ?? []));
    const backups = new Set(run.backupSplits?.NS ?? []);
    return starts
      .filter((item) => !done.has(item.split?.N ?? ''))
      .map((item) => ({
        split: num(item.split),
        startedAt: num(item.startedAt),
        backup: backups.has(item.split?.N ?? ''),
      }));
  }

  async claimBackup(runId: string, split: number): Promise<boolean> {
    // A split found done gets no backup. One finishing right after this read may still get one: that backup
    // only runs a duplicate, which the first completion already beat.
    const { Item: shard } = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: doneShardKey(runId, split),
        ConsistentRead: true,
      }),
    );
    if (shard?.done?.NS?.includes(String(split))) return false;
    return this.sendIf(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        // The claim and its count are one write: a crash cannot leave a backup uncounted.
        UpdateExpression: 'ADD backupSplits :split, backups :one',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(backupSplits) OR NOT contains(backupSplits, :i))',
        ExpressionAttributeValues: {
          ':split': { NS: [String(split)] },
          ':one': { N: '1' },
          ':i': { N: String(split) },
        },
      }),
    );
  }

  async claimWatcher(runId: string): Promise<boolean> {
    return this.sendIf(
      new UpdateItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        UpdateExpression: 'SET #w = :true',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#w)',
        ExpressionAttributeNames: { '#w': 'watcher' },
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
  }

  /** Claims the launch of `split` for `owner`; false when someone claimed it first. */
  private claimLaunch(runId: string, split: number, owner: string): Promise<boolean> {
    return this.putOnce(runId, `launch#${pad(split)}`, { split: { N: String(split) }, owner: { S: owner } });
  }

  async claimNextSplit(runId: string, owner: string): Promise<number | undefined> {
    for (;;) {
      const run = await this.add(runId, 'claimCount');
      const split = num(run.launched) + num(run.claimCount) - 1;
      if (split >= num(run.splits)) return undefined;
      // Taken only by a retry's `reclaimLaunches`, which launches it: take the next one.
      if (await this.claimLaunch(runId, split, owner)) return split;
    }
  }

  async reclaimLaunches(runId: string, owner: string): Promise<number[]> {
    const { Item: run } = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: runKey(runId),
        ProjectionExpression: 'splits, launched, claimCount',
        ConsistentRead: true,
      }),
    );
    if (!run) throw new Error(`run ${runId} does not exist`);
    const launched = num(run.launched);
    const end = Math.min(num(run.splits), launched + num(run.claimCount));
    // Read only on this rare path (a retry after a crash): the launch claims of the whole run.
    const claims = new Map(
      (await this.listItems(runId, 'launch#')).map((item) => [num(item.split), item.owner?.S]),
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
