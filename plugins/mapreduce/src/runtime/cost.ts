// The `_SUCCESS.json` cost estimate: the run's requests and units counted the way AWS bills them (DynamoDB by
// item size, S3 by request class, Lambda by GB-second per role), from the run store's item layout, then priced.
import type { JobRuntimeConfig } from './contract';
import { dynamoItemBytes, EXPIRES_AT, numberBytes, REQUEST_ID, type ItemValue } from './item-size';
import { mapTotals, type MapTotals } from './map-totals';
import { runLayout } from './state-run-store';
import type { CostEstimate, PartitionStats, SplitStats } from './types';

const pad = (n: number): string => String(n).padStart(6, '0');
/** Write units of a write of an item of `bytes` (1 per KB, rounded up); read units of a consistent read (4 KB). */
const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096));

type Prices = CostEstimate['prices'];

/**
 * When the prices below were read from the AWS pricing pages: on-demand list prices in USD for Lambda (x86,
 * per GB-second and per million requests), S3 Standard requests and DynamoDB on-demand request units (after
 * DynamoDB's November 2024 reduction). Prices change: the estimate says which date it used.
 */
export const PRICES_DATE = '2025-01';

/** us-east-1's prices; the other regions differ from them only where written. */
const US_EAST_1: Prices = {
  lambdaGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
};

/** The regions the estimate knows; any other is estimated from us-east-1 and says so. */
export const REGION_PRICES: Readonly<Record<string, Prices>> = {
  'us-east-1': US_EAST_1,
  'us-east-2': US_EAST_1,
  'us-west-2': US_EAST_1,
  'eu-west-1': { ...US_EAST_1, dynamoWritePerMillion: 0.70675, dynamoReadPerMillion: 0.1415 },
  'eu-central-1': {
    ...US_EAST_1,
    s3PutPerThousand: 0.0054,
    s3GetPerThousand: 0.00043,
    dynamoWritePerMillion: 0.7625,
    dynamoReadPerMillion: 0.1525,
  },
  'ap-northeast-1': {
    ...US_EAST_1,
    s3PutPerThousand: 0.0047,
    s3GetPerThousand: 0.00037,
    dynamoWritePerMillion: 0.71345,
    dynamoReadPerMillion: 0.1427,
  },
};

/** The region whose prices stand in for regions the table does not know. */
export const FALLBACK_PRICES_REGION = 'us-east-1';

/** us-east-1's prices: what the estimate used for every region before it knew others. */
export const PRICES: Prices = US_EAST_1;

/** The prices of `region`, or us-east-1's when the table does not know it (`pricesRegion` says which). */
export function pricesFor(region: string): { pricesRegion: string; prices: Prices } {
  const known = REGION_PRICES[region];
  return known
    ? { pricesRegion: region, prices: known }
    : { pricesRegion: FALLBACK_PRICES_REGION, prices: PRICES };
}

/** What the estimate knows of the run: its counters as the run item holds them at the end. */
export interface RunCounts {
  runId: string;
  splits: number;
  launched: number;
  retries: { map: number; reduce: number };
  backups: number;
  input: { bucket: string; key: string; size: number };
  createdAt: string;
}

/** DynamoDB requests and units of a run, item by item, as `state-run-store.ts` reads and writes them. */
function dynamoUsage(
  job: JobRuntimeConfig,
  run: RunCounts,
  map: MapTotals,
  parts: PartitionStats[],
  mapTasks: number,
  reduceTasks: number,
) {
  const requests = { read: 0, write: 0 };
  const units = { read: 0, write: 0 };
  const write = (bytes: number, times = 1) => {
    requests.write += times;
    units.write += writeUnits(bytes) * times;
  };
  const read = (bytes: number, times = 1) => {
    requests.read += times;
    units.read += readUnits(bytes) * times;
  };
  const { splits, launched, runId } = run;
  const layout = runLayout(splits, launched);
  const shardKey = `run#${runId}#${layout.shards - 1}`;
  const runItem: Record<string, ItemValue> = {
    pk: `run#${runId}`,
    sk: 'run',
    job: job.name,
    input: JSON.stringify(run.input),
    splits,
    reducers: job.reducers,
    launched,
    createdAt: run.createdAt,
    phase: 'map',
    owner: REQUEST_ID,
    mapRetries: run.retries.map,
    reduceRetries: run.retries.reduce,
    backups: run.backups,
    expiresAt: EXPIRES_AT,
  };
  const runBytes = () => dynamoItemBytes(runItem);
  // The coordinator creates the run and marks it launched.
  write(runBytes());
  runItem.launchedAll = true;
  write(runBytes());
  // Each map task reads the run item at its start; a failed one counts its failure (run item, failure item).
  read(runBytes(), mapTasks);
  write(runBytes(), run.retries.map);
  write(64, run.retries.map);
  if (job.stragglers) write(64, mapTasks);
  // Every completion writes its stats; a first one adds its split to its leaf (1 KB at most), and the last of a
  // leaf adds the leaf to the run item; a duplicate (a lost backup) finds its split there and reads the leaf.
  const duplicates = run.backups;
  units.write += map.statsUnits.write;
  requests.write += map.splits;
  write(512, duplicates);
  for (let leaf = 0; leaf < layout.leaves; leaf++) {
    let bytes = dynamoItemBytes({ pk: shardKey, sk: `done#${pad(leaf)}`, done: [], expiresAt: EXPIRES_AT });
    const end = Math.min(splits, (leaf + 1) * layout.leafSize);
    for (let s = leaf * layout.leafSize; s < end; s++) {
      bytes += numberBytes(s);
      write(bytes);
    }
    runItem.doneLeaves = [...((runItem.doneLeaves as number[] | undefined) ?? []), leaf];
    write(runBytes());
  }
  write(512, duplicates);
  read(512, duplicates);
  // Claims of the splits past the first `launched`: a counter and a launch item each. The completions that
  // find nothing left (`launched` of them) spend one counter write; with several counters also a read of the
  // run item's spent counters, and each counter is marked spent there once.
  const later = Math.max(0, splits - launched);
  if (later > 0) {
    write(64, later);
    write(dynamoItemBytes({ pk: shardKey, sk: 'launch#000000', split: splits, owner: REQUEST_ID }), later);
    write(64, launched);
    if (layout.claimCounters > 1) {
      read(runBytes(), launched);
      runItem.spentCounters = Array.from({ length: layout.claimCounters }, (_, j) => j);
      write(runBytes(), layout.claimCounters);
    }
  }
  // The map phase's end: the transition, and one read of every split's stats (a Query per shard).
  runItem.owner_reduce = REQUEST_ID;
  runItem.reduceStartedAt = run.createdAt;
  runItem.phase = 'reduce';
  write(runBytes());
  requests.read += map.statsUnits.queries;
  units.read += map.statsUnits.read;
  // Each reduce task reads the run item; a finished one writes its stats and adds its partition to the run item.
  read(runBytes(), reduceTasks);
  write(runBytes(), run.retries.reduce);
  write(64, run.retries.reduce);
  let partBytes = 0;
  for (const part of parts) {
    const item = {
      pk: `run#${runId}`,
      sk: `part#${pad(part.partition)}`,
      stats: JSON.stringify(part),
      expiresAt: EXPIRES_AT,
    };
    partBytes += dynamoItemBytes(item);
    write(dynamoItemBytes(item));
    runItem.doneParts = [...((runItem.doneParts as number[] | undefined) ?? []), part.partition];
    write(runBytes());
  }
  // Publishing: the transition, a read of the run item and of the partitions' stats, the transition to done.
  runItem.owner_finalizing = REQUEST_ID;
  runItem.phase = 'finalizing';
  write(runBytes());
  read(runBytes());
  read(partBytes);
  runItem.owner_done = REQUEST_ID;
  write(runBytes());
  return { requests, units };
}

export function estimateCost(input: {
  job: JobRuntimeConfig;
  /** The map phase's totals; computed from `splits` when not given. */
  map?: MapTotals;
  splits?: SplitStats[];
  parts: PartitionStats[];
  mapTasks: number;
  /** The run's counters; a run without retries, backups or a coordinator-launched tail when not given. */
  run?: RunCounts;
  /** The straggler watcher, billed as the mapper function. */
  watcher?: { invocations: number; ms: number };
  /** Bytes per ranged GET (the mapper's fetch size). */
  fetchSize: number;
  basis: CostEstimate['basis'];
  /** The region the run ran in (or the service's, for a local run); default us-east-1. */
  region?: string;
}): CostEstimate {
  const { job, parts } = input;
  const map =
    input.map ??
    mapTotals(input.splits ?? [], {
      reducers: job.reducers,
      fetchSize: input.fetchSize,
      runId: input.run?.runId ?? 'run',
    });
  const run: RunCounts = input.run ?? {
    runId: 'run',
    splits: map.splits,
    launched: map.splits,
    retries: { map: 0, reduce: 0 },
    backups: 0,
    input: { bucket: '', key: '', size: map.bytesRead },
    createdAt: new Date(0).toISOString(),
  };
  const region = input.region || FALLBACK_PRICES_REGION;
  const { pricesRegion, prices: p } = pricesFor(region);
  const watcher = input.watcher ?? { invocations: 0, ms: 0 };
  const reduceTasks = parts.length + run.retries.reduce;
  const mapperGbSeconds = ((map.durationMs + watcher.ms) / 1000) * (job.mapperMemoryMb / 1024);
  const reducerGbSeconds =
    (parts.reduce((n, part) => n + part.durationMs, 0) / 1000) * (job.reducerMemoryMb / 1024);
  const lambdaGbSeconds = mapperGbSeconds + reducerGbSeconds;
  const lambdaRequests = 1 + input.mapTasks + watcher.invocations + reduceTasks;
  // A retried or backed-up map task reads and writes its split again.
  const perSplit = map.splits ? input.mapTasks / map.splits : 1;
  const s3Requests = {
    get: Math.round(map.rangedGets * perSplit) + map.intermediates + (map.splits ? reduceTasks + 1 : 0),
    head: job.reducers,
    put: Math.round(map.intermediates * perSplit) + (map.splits ? 1 : 0) + reduceTasks + 1,
    list: 0,
    // DeleteObjects, up to 1,000 keys each: intermediates and the totals object.
    delete: Math.ceil((map.intermediates + (map.splits ? 1 : 0)) / 1000),
  };
  const dynamo = dynamoUsage(job, run, map, parts, input.mapTasks, reduceTasks);
  // S3: PUT and LIST are class A, GET and HEAD class B; DELETE (and DeleteObjects) requests are free.
  const estimatedUsd =
    lambdaGbSeconds * p.lambdaGbSecond +
    (lambdaRequests / 1e6) * p.lambdaPerMillionRequests +
    ((s3Requests.put + s3Requests.list) / 1000) * p.s3PutPerThousand +
    ((s3Requests.get + s3Requests.head) / 1000) * p.s3GetPerThousand +
    (dynamo.units.write / 1e6) * p.dynamoWritePerMillion +
    (dynamo.units.read / 1e6) * p.dynamoReadPerMillion;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    region,
    pricesRegion,
    pricesDate: PRICES_DATE,
    currency: 'USD',
    prices: p,
    lambdaGbSeconds: round(lambdaGbSeconds),
    lambdaGbSecondsByRole: { mapper: round(mapperGbSeconds), reducer: round(reducerGbSeconds) },
    lambdaRequests,
    s3Requests,
    dynamoRequests: dynamo.requests,
    dynamoUnits: dynamo.units,
    estimatedUsd: Number(estimatedUsd.toPrecision(3)),
    basis: input.basis,
  };
}
