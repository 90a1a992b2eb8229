// The map phase of one split, independent of where bytes come from and where intermediates go:
// read the owned records, call the user's map, optionally combine, and write one stream of
// `<encoded key>\t<encoded value>\n` lines per reducer partition.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeKey, encodeValue, partitionOfEncoded, partName } from './keys';
import { readOwnedRecords, type RangeReader, type Split } from './splits';
import { StringTable } from './string-table';
import type { MapContext, Mapper, Reducer, SplitStats } from './types';

/** Where a mapper's intermediate lines go, one stream per partition. */
export interface PartitionSink {
  append(partition: number, text: string): void;
}

export interface MapTaskOptions {
  read: RangeReader;
  size: number;
  split: Split;
  records: 'lines' | 'jsonl';
  reducers: number;
  // The user's functions are typed loosely here: their key/value types are the user's business.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  map: Mapper<any, any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  combine?: Reducer<any, any, any>;
  ctx: MapContext;
  sink: PartitionSink;
  fetchSize?: number;
  /** Values held in memory before combining (if any) and writing out. */
  maxBufferedValues?: number;
}

export interface MapTaskResult {
  recordsIn: number;
  /** `emit` calls, before combining. */
  emitted: number;
  recordsOut: number;
  bytesRead: number;
}

/** A group of values for one key; string keys (the common case) skip encoding until flush. */
interface Group {
  key: unknown;
  values: unknown[];
}

// A combiner runs on a group once it holds this many values: often enough to keep groups small,
// rarely enough that the call costs little.
const COMBINE_AT = 64;

export class MapTaskError extends Error {
  constructor(
    message: string,
    readonly record?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MapTaskError';
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

export async function runMapTask(options: MapTaskOptions): Promise<MapTaskResult> {
  const { map, combine, ctx, sink, reducers } = options;
  const maxBuffered = options.maxBufferedValues ?? 1_000_000;
  const strGroups = new Map<string, unknown[]>();
  const otherGroups = new Map<string, Group>();
  const toCombine: Array<[unknown, unknown[]]> = [];
  let buffered = 0;
  let recordsIn = 0;
  let recordsOut = 0;
  let emitted = 0;

  const combineCtx = { runId: ctx.runId, job: ctx.job, partition: -1, combining: true };
  // Eager combining: while the combiner returns numbers or booleans, each string key holds one combined value,
  // folded in pairwise as values arrive (as cheap as a hand-written counting loop). A combiner that returns
  // anything else (an object, a string that may grow, a promise) switches the task to batches of values per key.
  let eager = combine !== undefined;
  const eagerGroups = new StringTable<unknown>(1 << 14);
  const pair: unknown[] = [undefined, undefined];

  const leaveEagerMode = (): void => {
    eager = false;
    for (const [key, value] of eagerGroups.entries()) strGroups.set(key, [value]);
    eagerGroups.clear();
  };

  const emitBatched = (key: unknown, value: unknown): void => {
    let values: unknown[] | undefined;
    if (typeof key === 'string') {
      values = strGroups.get(key);
      if (values === undefined) strGroups.set(key, (values = []));
    } else {
      const enc = encodeKey(key);
      let group = otherGroups.get(enc);
      if (group === undefined) otherGroups.set(enc, (group = { key, values: [] }));
      values = group.values;
    }
    values.push(value);
    buffered++;
    if (combine !== undefined && values.length === COMBINE_AT) toCombine.push([key, values]);
  };

  const emit = (key: unknown, value: unknown): void => {
    emitted++;
    if (!eager || typeof key !== 'string') return emitBatched(key, value);
    const slot = eagerGroups.find(key);
    if (slot < 0) {
      eagerGroups.insertAt(slot, key, value);
      buffered++;
      return;
    }
    const prev = eagerGroups.valueAt(slot);
    pair[0] = prev;
    pair[1] = value;
    const combined = combine!(key, pair, combineCtx);
    const type = typeof combined;
    if (type === 'number' || type === 'boolean') {
      eagerGroups.setAt(slot, combined);
      return;
    }
    // Keep both values uncombined; the batched path will combine them again.
    leaveEagerMode();
    strGroups.set(key, [prev, value]);
    buffered++;
  };

  /** Replaces a group's values by their combination; returns a promise only for an async combiner. */
  const combineGroup = (key: unknown, values: unknown[]): Promise<void> | undefined => {
    if (values.length < 2 || combine === undefined) return undefined;
    const combined = combine(key, values, combineCtx);
    const apply = (value: unknown): void => {
      // JSON has no undefined: the reducer would get null in place of these values.
      if (value === undefined) {
        throw new MapTaskError(
          `combine returned undefined for key ${encodeKey(key).slice(0, 200)} in split ${ctx.split.index}: return the combined value`,
        );
      }
      buffered -= values.length - 1;
      values.length = 1;
      values[0] = value;
    };
    if (isThenable(combined)) return Promise.resolve(combined).then(apply);
    apply(combined);
    return undefined;
  };

  const writeOut = (): void => {
    const parts: string[][] = Array.from({ length: reducers }, () => []);
    const add = (enc: string, values: unknown[]): void => {
      const lines = parts[partitionOfEncoded(enc, reducers)]!;
      for (const v of values) lines.push(`${enc}\t${encodeValue(v)}\n`);
      recordsOut += values.length;
    };
    const one: unknown[] = [undefined];
    for (const [key, value] of eagerGroups.entries()) {
      one[0] = value;
      add(JSON.stringify(key), one);
    }
    for (const [key, values] of strGroups) add(JSON.stringify(key), values);
    for (const [enc, group] of otherGroups) add(enc, group.values);
    eagerGroups.clear();
    strGroups.clear();
    otherGroups.clear();
    buffered = 0;
    parts.forEach((lines, p) => {
      if (lines.length) sink.append(p, lines.join(''));
    });
  };

  const combineAll = async (): Promise<void> => {
    for (const [key, values] of strGroups) await combineGroup(key, values);
    for (const group of otherGroups.values()) await combineGroup(group.key, group.values);
  };

  const afterRecord = async (): Promise<void> => {
    while (toCombine.length) {
      const [key, values] = toCombine.pop()!;
      await combineGroup(key, values);
    }
    if (buffered >= maxBuffered) {
      if (combine) await combineAll();
      if (!combine || buffered >= maxBuffered / 2) writeOut();
    }
  };

  const mapFailed = (error: unknown): MapTaskError =>
    new MapTaskError(
      `map failed on record ${recordsIn} of split ${ctx.split.index} (bytes ${ctx.split.start}-${ctx.split.end}): ${(error as Error)?.message ?? String(error)}`,
      recordsIn,
      { cause: error },
    );

  /** The hot path: synchronous unless the user's map (or combiner) returns a promise. */
  const callMap = (record: unknown): Promise<void> | undefined => {
    recordsIn++;
    let result: void | Promise<void>;
    try {
      result = map(record, emit, ctx);
    } catch (error) {
      throw mapFailed(error);
    }
    if (result !== undefined && isThenable(result)) {
      return Promise.resolve(result).then(
        () => (toCombine.length || buffered >= maxBuffered ? afterRecord() : undefined),
        (error: unknown) => {
          throw mapFailed(error);
        },
      );
    }
    if (toCombine.length === 1 && buffered < maxBuffered) {
      const [key, values] = toCombine.pop()!;
      return combineGroup(key, values);
    }
    if (toCombine.length || buffered >= maxBuffered) return afterRecord();
    return undefined;
  };

  const jsonl = options.records === 'jsonl';
  const { bytesRead } = await readOwnedRecords(
    options.read,
    options.size,
    options.split,
    async (bytes, start, end) => {
      const text = bytes.toString('utf8', start, end);
      const n = text.length;
      let from = 0;
      while (from < n) {
        let nl = text.indexOf('\n', from);
        if (nl < 0) nl = n;
        let to = nl;
        if (to > from && text.charCodeAt(to - 1) === 13) to--;
        const line = text.slice(from, to);
        from = nl + 1;
        if (jsonl) {
          if (line.trim() === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (error) {
            throw new MapTaskError(
              `record ${recordsIn + 1} of split ${ctx.split.index} is not valid JSON: ${(error as Error).message}`,
              recordsIn + 1,
            );
          }
          const pending = callMap(value);
          if (pending) await pending;
        } else {
          const pending = callMap(line);
          if (pending) await pending;
        }
      }
    },
    options.fetchSize,
  );
  if (combine) await combineAll();
  writeOut();
  return { recordsIn, emitted, recordsOut, bytesRead };
}

/** What a finished split reports to the run store (and to `_SUCCESS.json`), in the cloud and locally alike. */
export function splitStats(
  split: number,
  result: MapTaskResult,
  written: Array<{ partition: number; bytes: number }>,
  startedAt: number,
): SplitStats {
  return {
    split,
    recordsIn: result.recordsIn,
    emitted: result.emitted,
    recordsOut: result.recordsOut,
    bytesRead: result.bytesRead,
    bytesOut: written.reduce((n, w) => n + w.bytes, 0),
    partitions: written.map((w) => w.partition),
    durationMs: Date.now() - startedAt,
  };
}

/** A sink writing each partition to `<dir>/part-NNNNN`, opened on first write; `close` lists what was written. */
export class FilePartitionSink implements PartitionSink {
  private readonly fds = new Map<number, number>();
  private readonly bytes = new Map<number, number>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  append(partition: number, text: string): void {
    let fd = this.fds.get(partition);
    if (fd === undefined) {
      fd = openSync(join(this.dir, partName(partition)), 'w');
      this.fds.set(partition, fd);
    }
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    this.bytes.set(partition, (this.bytes.get(partition) ?? 0) + buf.length);
  }

  /** Closes the files; returns the partitions written (ascending) with their sizes. */
  close(): Array<{ partition: number; file: string; bytes: number }> {
    for (const fd of this.fds.values()) closeSync(fd);
    const out = [...this.fds.keys()]
      .sort((a, b) => a - b)
      .map((partition) => ({
        partition,
        file: join(this.dir, partName(partition)),
        bytes: this.bytes.get(partition) ?? 0,
      }));
    this.fds.clear();
    return out;
  }
}
