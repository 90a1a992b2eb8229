// The map phase's totals: what the reducers and `_SUCCESS.json` need of every split's stats, computed once by
// whoever ends the map phase and kept as one object beside the intermediates, so that no reducer reads N items.
import { dynamoItemBytes, splitStatsItem } from './item-size';
import { runLayout } from './state-run-store';
import type { SplitStats } from './types';

export interface MapTotals {
  /** Splits whose stats were counted. */
  splits: number;
  recordsIn: number;
  emitted: number;
  recordsOut: number;
  bytesRead: number;
  bytesOut: number;
  durationMs: number;
  /** Intermediate objects written (one per split and partition it wrote). */
  intermediates: number;
  /** Ranged GETs of the input, one per fetch. */
  rangedGets: number;
  /** Per partition, the splits that wrote an intermediate for it, as inclusive `[first, last]` ranges. */
  inputs: Array<Array<[number, number]>>;
  /** What the split stats items cost in DynamoDB: one PutItem each, and the map phase's end reading them all. */
  statsUnits: { write: number; read: number; queries: number };
}

/** Totals of `stats` for a run of `reducers` partitions; `runId` sizes the stats items as DynamoDB bills them. */
export function mapTotals(
  stats: SplitStats[],
  options: { reducers: number; fetchSize: number; runId: string; splits?: number },
): MapTotals {
  const sorted = [...stats].sort((a, b) => a.split - b.split);
  const inputs: Array<Array<[number, number]>> = Array.from({ length: options.reducers }, () => []);
  const { shards } = runLayout(options.splits ?? sorted.length);
  const shardBytes = new Array<number>(shards).fill(0);
  const totals: MapTotals = {
    splits: sorted.length,
    recordsIn: 0,
    emitted: 0,
    recordsOut: 0,
    bytesRead: 0,
    bytesOut: 0,
    durationMs: 0,
    intermediates: 0,
    rangedGets: 0,
    inputs,
    statsUnits: { write: 0, read: 0, queries: shards },
  };
  for (const s of sorted) {
    totals.recordsIn += s.recordsIn;
    totals.emitted += s.emitted ?? s.recordsOut;
    totals.recordsOut += s.recordsOut;
    totals.bytesRead += s.bytesRead;
    totals.bytesOut += s.bytesOut;
    totals.durationMs += s.durationMs;
    totals.intermediates += s.partitions.length;
    totals.rangedGets += Math.max(1, Math.ceil(s.bytesRead / options.fetchSize));
    for (const p of s.partitions) {
      const ranges = inputs[p];
      if (!ranges) continue;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === s.split - 1) last[1] = s.split;
      else ranges.push([s.split, s.split]);
    }
    const bytes = dynamoItemBytes(splitStatsItem(options.runId, shards, s));
    totals.statsUnits.write += Math.ceil(bytes / 1024);
    const shard = s.split % shards;
    shardBytes[shard] = (shardBytes[shard] ?? 0) + bytes;
  }
  // A Query is billed by the summed size of the items it returns, per 4 KB, page by page (1 MB pages).
  for (const bytes of shardBytes) {
    totals.statsUnits.read += Math.max(1, Math.ceil(bytes / 4096));
    totals.statsUnits.queries += Math.floor(bytes / (1024 * 1024));
  }
  return totals;
}

/** The splits that wrote an intermediate for `partition`, in split order. */
export function inputsOf(totals: MapTotals, partition: number): number[] {
  const out: number[] = [];
  for (const [first, last] of totals.inputs[partition] ?? []) for (let s = first; s <= last; s++) out.push(s);
  return out;
}
