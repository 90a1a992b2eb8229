// The reduce phase of one partition with bounded memory: group intermediate lines by key in memory,
// spill sorted runs to disk when the groups outgrow the budget, k-way merge the runs, reduce, write the part.
import { closeSync, createReadStream, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { compareKeys, formatOutputLine } from './keys';
import type { Reducer, ReduceContext } from './types';

/** One intermediate object: opened lazily so only one stream per input is alive at a time. */
export type IntermediateSource = () => Promise<AsyncIterable<Buffer | string> | Iterable<Buffer | string>>;

export interface ReduceTaskOptions {
  inputs: IntermediateSource[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reduce?: Reducer<any, any, any>;
  /**
   * In place of `reduce`: takes each key's values, in key order (a streaming job's reduce program reads them);
   * nothing is written to `outFile`, and `keysOut` counts the keys taken.
   */
  consume?: (key: unknown, values: unknown[]) => void | Promise<void>;
  ctx: ReduceContext;
  format: 'tsv' | 'jsonl';
  /** Estimated bytes of grouped values held in memory before a sorted run is spilled. */
  memoryBudget: number;
  /** A private folder for spilled runs (created, and emptied at the end). */
  spillDir: string;
  /** The local file the part is written to. */
  outFile: string;
  /** Inputs opened ahead of the one being read (S3 GETs in flight); each open stream holds little until read. */
  prefetch?: number;
}

export interface ReduceTaskResult {
  recordsIn: number;
  keysOut: number;
  bytesIn: number;
  bytesOut: number;
  spills: number;
}

export class ReduceTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReduceTaskError';
  }
}

interface Entry {
  enc: string;
  key: unknown;
  values: unknown[];
}

/** Rough V8 cost of holding a line's parsed value and its group; only used to decide when to spill. */
const PER_VALUE_OVERHEAD = 40;
const PER_GROUP_OVERHEAD = 120;

/** Splits a byte stream into `\n`-terminated lines, decoding only whole lines (UTF-8 safe), a batch per chunk. */
export async function* lineBatches(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<string[]> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (carry.length) buf = Buffer.concat([carry, buf]);
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) {
      carry = buf;
      continue;
    }
    carry = buf.subarray(lastNl + 1);
    yield buf.toString('utf8', 0, lastNl).split('\n');
  }
  if (carry.length) yield [carry.toString('utf8')];
}

/** Every line of a byte stream, one at a time (for merging sorted runs). */
export class LineReader {
  private readonly batches: AsyncIterator<string[]>;
  private batch: string[] = [];
  private index = 0;

  constructor(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>) {
    this.batches = lineBatches(chunks);
  }

  async next(): Promise<string | undefined> {
    while (this.index >= this.batch.length) {
      const next = await this.batches.next();
      if (next.done) return undefined;
      this.batch = next.value;
      this.index = 0;
    }
    return this.batch[this.index++];
  }
}

/** JSON.parse of `line` from `from`, with a fast path for small integers (counts: the common value). */
function parseValue(line: string, from: number): unknown {
  const n = line.length - from;
  if (n > 0 && n < 10) {
    let v = 0;
    let i = from;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    // Only canonical JSON integers (no leading zero unless the number is 0).
    if (i === line.length && (n === 1 || line.charCodeAt(from) !== 48)) return v;
  }
  return JSON.parse(line.slice(from));
}

function compareEntries(a: { enc: string; key: unknown }, b: { enc: string; key: unknown }): number {
  return compareKeys(a.enc, a.key, b.enc, b.key);
}

/** A file writer that batches small strings into large writes. */
class BufferedFile {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingLength = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.pending.length) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.bytes += buf.length;
    this.pending = [];
    this.pendingLength = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A binary min-heap of run cursors ordered by their current key. */
class RunHeap {
  private readonly items: Array<{ head: Entry; lines: LineReader }> = [];

  get size(): number {
    return this.items.length;
  }

  peek(): { head: Entry; lines: LineReader } | undefined {
    return this.items[0];
  }

  push(item: { head: Entry; lines: LineReader }): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareEntries(a[i]!.head, a[parent]!.head) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): { head: Entry; lines: LineReader } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && compareEntries(a[l]!.head, a[m]!.head) < 0) m = l;
        if (r < a.length && compareEntries(a[r]!.head, a[m]!.head) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function parseRunLine(line: string): Entry {
  const tab = line.indexOf('\t');
  const enc = line.slice(0, tab);
  return { enc, key: JSON.parse(enc) as unknown, values: JSON.parse(line.slice(tab + 1)) as unknown[] };
}

export async function runReduceTask(options: ReduceTaskOptions): Promise<ReduceTaskResult> {
  const { reduce, ctx, format } = options;
  if (!reduce && !options.consume) throw new TypeError('runReduceTask needs reduce or consume');
  let groups = new Map<string, unknown[]>();
  let held = 0;
  let recordsIn = 0;
  let bytesIn = 0;
  const runs: string[] = [];

  const sortedEntries = (): Entry[] => {
    const entries: Entry[] = [];
    for (const [enc, values] of groups) entries.push({ enc, key: JSON.parse(enc) as unknown, values });
    return entries.sort(compareEntries);
  };

  const spill = (): void => {
    mkdirSync(options.spillDir, { recursive: true });
    const file = join(options.spillDir, `run-${String(runs.length).padStart(5, '0')}`);
    const out = new BufferedFile(file);
    for (const e of sortedEntries()) out.write(`${e.enc}\t${JSON.stringify(e.values)}\n`);
    out.close();
    runs.push(file);
    groups = new Map();
    held = 0;
  };

  const ahead: Array<Promise<AsyncIterable<Buffer | string> | Iterable<Buffer | string>>> = [];
  let nextToOpen = 0;
  for (let i = 0; i < options.inputs.length; i++) {
    while (nextToOpen < options.inputs.length && ahead.length < Math.max(1, options.prefetch ?? 1)) {
      const opening = options.inputs[nextToOpen++]!();
      opening.catch(() => undefined); // awaited below, in order; this only keeps an early failure from going unhandled
      ahead.push(opening);
    }
    const source = await ahead.shift()!;
    let lineNo = 0;
    for await (const batch of lineBatches(source)) {
      for (const line of batch) {
        lineNo++;
        if (line === '') continue;
        const tab = line.indexOf('\t');
        let value: unknown;
        try {
          if (tab < 1) throw new Error('no key');
          value = parseValue(line, tab + 1);
        } catch (error) {
          throw new ReduceTaskError(
            `intermediate input ${i} of partition ${ctx.partition}, line ${lineNo}, is malformed: ${(error as Error).message}`,
          );
        }
        const enc = line.slice(0, tab);
        recordsIn++;
        bytesIn += line.length + 1;
        const values = groups.get(enc);
        if (values === undefined) {
          groups.set(enc, [value]);
          held += PER_GROUP_OVERHEAD + 2 * line.length;
        } else {
          values.push(value);
          held += PER_VALUE_OVERHEAD + 2 * (line.length - tab);
        }
        if (held > options.memoryBudget) spill();
      }
    }
  }

  const { consume } = options;
  const out = consume ? undefined : new BufferedFile(options.outFile);
  let keysOut = 0;
  const emit = async (entry: Entry): Promise<void> => {
    if (consume) {
      await consume(entry.key, entry.values);
      keysOut++;
      return;
    }
    let result: unknown;
    try {
      result = reduce!(entry.key, entry.values, ctx);
      if (typeof (result as { then?: unknown } | null)?.then === 'function') result = await result;
    } catch (error) {
      throw new ReduceTaskError(
        `reduce failed on key ${entry.enc.slice(0, 200)} in partition ${ctx.partition}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    }
    // JSON has no undefined: it would be published as null, as if the reducer had said so.
    if (result === undefined) {
      throw new ReduceTaskError(
        `reduce returned undefined for key ${entry.enc.slice(0, 200)} in partition ${ctx.partition}: return the value to write for the key (null if there is none)`,
      );
    }
    out!.write(formatOutputLine(entry.key, result, format, entry.enc));
    keysOut++;
  };

  try {
    if (!runs.length) {
      for (const entry of sortedEntries()) await emit(entry);
      groups.clear();
    } else {
      if (groups.size) spill();
      const heap = new RunHeap();
      for (const file of runs) {
        const lines = new LineReader(createReadStream(file, { highWaterMark: 256 * 1024 }));
        const first = await lines.next();
        if (first !== undefined) heap.push({ head: parseRunLine(first), lines });
      }
      while (heap.size) {
        const top = heap.pop()!;
        const current: Entry = top.head;
        const advance = async (item: { head: Entry; lines: LineReader }): Promise<void> => {
          const next = await item.lines.next();
          if (next !== undefined) heap.push({ head: parseRunLine(next), lines: item.lines });
        };
        await advance(top);
        while (heap.size && heap.peek()!.head.enc === current.enc) {
          const same = heap.pop()!;
          for (const v of same.head.values) current.values.push(v);
          await advance(same);
        }
        await emit(current);
      }
    }
  } finally {
    out?.close();
    if (runs.length) rmSync(options.spillDir, { recursive: true, force: true });
  }
  return { recordsIn, keysOut, bytesIn, bytesOut: out?.bytes ?? 0, spills: runs.length };
}
