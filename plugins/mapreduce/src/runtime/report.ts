// Run ids, storage keys and the `_SUCCESS.json` report (with its cost estimate) shared by the cloud and local paths.
import { createHash } from 'node:crypto';
import type { JobRuntimeConfig } from './contract';
import { partName } from './keys';
import type { RunState } from './run-store';
import type { CostEstimate, PartitionStats, RunReport, SplitStats } from './types';

/**
 * A run id unique per object version: `<sanitized key>-<16 hex of sha256>` over bucket, key and the version
 * (versionId, or etag + event sequencer on unversioned buckets), so `a.txt`, `a.csv` and two uploads of `a.txt` differ,
 * while a duplicated event for the same upload yields the same id.
 */
export function makeRunId(object: {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  sequencer?: string;
  size?: number;
}): string {
  const version = object.versionId
    ? `v:${object.versionId}`
    : `e:${object.etag ?? ''}:${object.sequencer ?? ''}:${object.size ?? ''}`;
  const hash = createHash('sha256')
    .update(`${object.bucket}\n${object.key}\n${version}`)
    .digest('hex')
    .slice(0, 16);
  const base = object.key.split('/').filter(Boolean).join('_') || 'object';
  const name =
    base
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[._-]+/, '')
      .slice(-60) || 'object';
  return `${name}-${hash}`;
}

/** `prefix` joined with `rest` by exactly one `/`; an empty prefix adds nothing. */
export function joinKey(prefix: string, ...rest: string[]): string {
  const parts = [prefix.replace(/\/+$/, ''), ...rest].filter((p) => p !== '');
  return parts.join('/');
}

export const keys = {
  intermediate: (job: JobRuntimeConfig, runId: string, split: number, partition: number): string =>
    joinKey(job.temp.prefix, runId, 'map', String(split), partName(partition)),
  intermediatePrefix: (job: JobRuntimeConfig, runId: string): string => `${joinKey(job.temp.prefix, runId)}/`,
  part: (job: JobRuntimeConfig, runId: string, partition: number): string =>
    joinKey(job.output.prefix, runId, partName(partition)),
  success: (job: JobRuntimeConfig, runId: string): string =>
    joinKey(job.output.prefix, runId, '_SUCCESS.json'),
  failed: (job: JobRuntimeConfig, runId: string): string => joinKey(job.output.prefix, runId, '_FAILED.json'),
};

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

export function estimateCost(input: {
  job: JobRuntimeConfig;
  splits: SplitStats[];
  parts: PartitionStats[];
  mapTasks: number;
  /** The straggler watcher, billed as the mapper function. */
  watcher?: { invocations: number; ms: number };
  /** Bytes per ranged GET (the mapper's fetch size). */
  fetchSize: number;
  basis: CostEstimate['basis'];
  /** The region the run ran in (or the service's, for a local run); default us-east-1. */
  region?: string;
}): CostEstimate {
  const { job, splits, parts } = input;
  const region = input.region || FALLBACK_PRICES_REGION;
  const { pricesRegion, prices: p } = pricesFor(region);
  const watcher = input.watcher ?? { invocations: 0, ms: 0 };
  const mapSeconds = (splits.reduce((n, s) => n + s.durationMs, 0) + watcher.ms) / 1000;
  const reduceSeconds = parts.reduce((n, p) => n + p.durationMs, 0) / 1000;
  const lambdaGbSeconds = (mapSeconds * job.mapperMemoryMb + reduceSeconds * job.reducerMemoryMb) / 1024;
  const lambdaRequests = 1 + input.mapTasks + watcher.invocations + parts.length;
  const intermediates = splits.reduce((n, s) => n + s.partitions.length, 0);
  const rangedGets = splits.reduce((n, s) => n + Math.max(1, Math.ceil(s.bytesRead / input.fetchSize)), 0);
  const s3Requests = {
    get: rangedGets + intermediates,
    put: intermediates + parts.length + 1,
    list: 1,
    delete: intermediates,
  };
  // Request units, as DynamoDB bills them (1 write unit per KB of the item written): per split its stats, its
  // done shard (up to ~6 KB, ~3 units on average), the run item (~2), the claim counter in the run item (~2) and
  // the claim of the split it launches; per split one read of the run item (at a mapper's start).
  const dynamoRequests = {
    write: 2 + 9 * splits.length + 2 * parts.length + 2,
    read: splits.length + parts.length * 2 + 2,
  };
  const estimatedUsd =
    lambdaGbSeconds * p.lambdaGbSecond +
    (lambdaRequests / 1e6) * p.lambdaPerMillionRequests +
    ((s3Requests.put + s3Requests.list) / 1000) * p.s3PutPerThousand +
    (s3Requests.get / 1000) * p.s3GetPerThousand +
    (dynamoRequests.write / 1e6) * p.dynamoWritePerMillion +
    (dynamoRequests.read / 1e6) * p.dynamoReadPerMillion;
  return {
    region,
    pricesRegion,
    pricesDate: PRICES_DATE,
    currency: 'USD',
    prices: p,
    lambdaGbSeconds: Math.round(lambdaGbSeconds * 1000) / 1000,
    lambdaRequests,
    s3Requests,
    dynamoRequests,
    estimatedUsd: Number(estimatedUsd.toPrecision(3)),
    basis: input.basis,
  };
}

export function buildReport(input: {
  job: JobRuntimeConfig;
  run: RunState;
  splits: SplitStats[];
  parts: PartitionStats[];
  finishedAt: Date;
  fetchSize: number;
  basis: CostEstimate['basis'];
  outputBucket?: string;
  /** Where the run ran: its cost is priced there. */
  region?: string;
}): RunReport {
  const { job, run, splits, parts } = input;
  const started = Date.parse(run.createdAt);
  const reduceStarted = run.reduceStartedAt ? Date.parse(run.reduceStartedAt) : started;
  const finished = input.finishedAt.getTime();
  const mapTasks = run.splits + run.retries.map + run.backups;
  const watcher = run.watcher.invocations ? run.watcher : undefined;
  return {
    runId: run.runId,
    job: job.name,
    status: 'succeeded',
    input: run.input,
    output: {
      bucket: input.outputBucket ?? job.output.bucket,
      prefix: joinKey(job.output.prefix, run.runId) + '/',
      parts: Array.from({ length: job.reducers }, (_, r) => partName(r)),
      format: job.outputFormat,
    },
    splits: run.splits,
    mappers: mapTasks,
    reducers: job.reducers,
    records: {
      in: splits.reduce((n, s) => n + s.recordsIn, 0),
      emitted: splits.reduce((n, s) => n + (s.emitted ?? s.recordsOut), 0),
      mapOutput: splits.reduce((n, s) => n + s.recordsOut, 0),
      reduceInput: parts.reduce((n, p) => n + p.recordsIn, 0),
      out: parts.reduce((n, p) => n + p.keysOut, 0),
    },
    bytes: {
      read: splits.reduce((n, s) => n + s.bytesRead, 0),
      intermediate: splits.reduce((n, s) => n + s.bytesOut, 0),
      output: parts.reduce((n, p) => n + p.bytesOut, 0),
    },
    times: {
      startedAt: run.createdAt,
      finishedAt: input.finishedAt.toISOString(),
      mapMs: reduceStarted - started,
      reduceMs: finished - reduceStarted,
      totalMs: finished - started,
    },
    retries: run.retries,
    backups: run.backups,
    ...(watcher ? { watcher } : {}),
    spills: parts.reduce((n, p) => n + p.spills, 0),
    cost: estimateCost({
      job,
      splits,
      parts,
      mapTasks,
      ...(watcher ? { watcher } : {}),
      fetchSize: input.fetchSize,
      basis: input.basis,
      ...(input.region ? { region: input.region } : {}),
    }),
  };
}
