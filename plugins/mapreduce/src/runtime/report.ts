// Run ids, storage keys and the `_SUCCESS.json` report (with its cost estimate) shared by the cloud and local paths.
import { createHash } from 'node:crypto';
import type { JobRuntimeConfig } from './contract';
import { estimateCost } from './cost';
import { partName } from './keys';
import { mapTotals, type MapTotals } from './map-totals';
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
  /** The map phase's totals (`map-totals.ts`), beside the intermediates: in their IAM scope and their clean-up. */
  mapTotals: (job: JobRuntimeConfig, runId: string): string =>
    joinKey(job.temp.prefix, runId, 'map', '_totals.json'),
  part: (job: JobRuntimeConfig, runId: string, partition: number): string =>
    joinKey(job.output.prefix, runId, partName(partition)),
  success: (job: JobRuntimeConfig, runId: string): string =>
    joinKey(job.output.prefix, runId, '_SUCCESS.json'),
  failed: (job: JobRuntimeConfig, runId: string): string => joinKey(job.output.prefix, runId, '_FAILED.json'),
};

export { estimateCost, FALLBACK_PRICES_REGION, PRICES, PRICES_DATE, pricesFor, REGION_PRICES } from './cost';

export function buildReport(input: {
  job: JobRuntimeConfig;
  run: RunState;
  /** The map phase's totals, or the split stats to compute them from. */
  map?: MapTotals;
  splits?: SplitStats[];
  parts: PartitionStats[];
  finishedAt: Date;
  fetchSize: number;
  basis: CostEstimate['basis'];
  outputBucket?: string;
  /** Where the run ran: its cost is priced there. */
  region?: string;
}): RunReport {
  const { job, run, parts } = input;
  const map =
    input.map ??
    mapTotals(input.splits ?? [], {
      reducers: job.reducers,
      fetchSize: input.fetchSize,
      runId: run.runId,
      splits: run.splits,
    });
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
      in: map.recordsIn,
      emitted: map.emitted,
      mapOutput: map.recordsOut,
      reduceInput: parts.reduce((n, p) => n + p.recordsIn, 0),
      out: parts.reduce((n, p) => n + p.keysOut, 0),
    },
    bytes: {
      read: map.bytesRead,
      intermediate: map.bytesOut,
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
      map,
      parts,
      mapTasks,
      run,
      ...(watcher ? { watcher } : {}),
      fetchSize: input.fetchSize,
      basis: input.basis,
      ...(input.region ? { region: input.region } : {}),
    }),
  };
}
