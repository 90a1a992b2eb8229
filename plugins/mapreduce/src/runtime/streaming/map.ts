// The map phase of one split for a streaming job: the split's records go to the map program's stdin, one per line;
// its `key<TAB>value` lines are partitioned as a JavaScript job's keys are, optionally through the combine program.
import { encodeKey, partitionOfEncoded } from '../keys';
import type { MapTaskResult, PartitionSink } from '../map-task';
import { readOwnedRecords, type RangeReader, type Split } from '../splits';
import { StringTable } from '../string-table';
import { StreamingProgram, type ProgramSpec } from './program';
import type { StreamingPrograms } from './programs';

export interface StreamingMapOptions {
  read: RangeReader;
  size: number;
  split: Split;
  records: 'lines' | 'jsonl';
  reducers: number;
  programs: StreamingPrograms;
  /** Where the programs run: the service folder, or the job files' folder in the image. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Epoch ms by which the task must be done. */
  deadlineAt?: number;
  sink: PartitionSink;
  fetchSize?: number;
  /** Bytes of map output held, grouped by key, before they go through the combiner. */
  combineBufferBytes?: number;
}

const NL = 10;
const CR = 13;
/** Intermediate lines held per partition before they are appended to its file. */
const FLUSH_LINES = 16_384;
/** Bytes written to a combiner's stdin at once. */
const FEED_BYTES = 256 * 1024;
const DEFAULT_COMBINE_BUFFER = 32 * 1024 * 1024;

/**
 * Each line of `text` (lines joined by `\n`, no final one) as key and value: split at the first tab; a line with
 * no tab is a key with an empty value (Hadoop Streaming's rule).
 */
export function forEachPair(text: string, onPair: (key: string, value: string) => void): void {
  let from = 0;
  // The next tab at or after `from`, searched again only once passed: lines without tabs stay linear.
  let tab = -2;
  for (;;) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    if (tab !== -1 && tab < from) tab = text.indexOf('\t', from);
    if (tab < 0 || tab > nl) onPair(text.slice(from, nl), '');
    else onPair(text.slice(from, tab), text.slice(tab + 1, nl));
    if (nl >= text.length) return;
    from = nl + 1;
  }
}

/** Keys whose encoding and partition are remembered: most map output repeats a small vocabulary. */
const KEY_CACHE = 65_536;

/** Writes a program's `key<TAB>value` lines into the partitions as intermediate lines (JSON-encoded key and value). */
class PartitionWriter {
  private readonly pending: string[][];
  private readonly keys = new StringTable<{ prefix: string; partition: number }>(1 << 14);
  private lastValue = '';
  private lastEncoded = '""';
  records = 0;

  constructor(
    private readonly sink: PartitionSink,
    private readonly reducers: number,
  ) {
    this.pending = Array.from({ length: reducers }, () => []);
  }

  /** Lines of `bytes[start, end)`, each ending with `\n`. */
  take = (bytes: Buffer, start: number, end: number): void => {
    forEachPair(bytes.toString('utf8', start, end - 1), (key, value) => this.add(key, value));
  };

  add(key: string, value: string): void {
    let slot = this.keys.find(key);
    let known: { prefix: string; partition: number };
    if (slot >= 0) known = this.keys.valueAt(slot);
    else {
      const enc = encodeKey(key);
      known = { prefix: `${enc}\t`, partition: partitionOfEncoded(enc, this.reducers) };
      if (this.keys.size >= KEY_CACHE) {
        this.keys.clear();
        slot = this.keys.find(key);
      }
      this.keys.insertAt(slot, key, known);
    }
    if (value !== this.lastValue) {
      this.lastValue = value;
      this.lastEncoded = JSON.stringify(value);
    }
    const lines = this.pending[known.partition]!;
    lines.push(`${known.prefix}${this.lastEncoded}\n`);
    this.records++;
    if (lines.length >= FLUSH_LINES) this.flush(known.partition);
  }

  flush(p: number): void {
    const lines = this.pending[p]!;
    if (!lines.length) return;
    this.sink.append(p, lines.join(''));
    lines.length = 0;
  }

  flushAll(): void {
    for (let p = 0; p < this.reducers; p++) this.flush(p);
  }
}

/**
 * One key's values in arrival order, as runs of equal values: map output repeats values (a count's `1`), and a run
 * costs one counter however long it is.
 */
interface Group {
  value: string;
  repeats: number;
  earlier?: Array<[value: string, repeats: number]>;
}

/** Rough cost of a held group and of a run of values beyond their text, only used to decide when to combine. */
const PER_GROUP_OVERHEAD = 120;
const PER_RUN_OVERHEAD = 40;

/**
 * Map output grouped by key in memory (in the mapper's own string table: a third less time than a `Map` here), fed through the combine program in key order whenever it outgrows its
 * buffer (the map program waits meanwhile), as Hadoop combines each sorted spill.
 */
class Combining {
  private groups = new StringTable<Group>(1 << 14);
  private held = 0;
  emitted = 0;

  constructor(
    private readonly spec: Omit<ProgramSpec, 'role' | 'argv'> & { argv: readonly string[] },
    private readonly out: PartitionWriter,
    private readonly bufferBytes: number,
  ) {}

  take = (bytes: Buffer, start: number, end: number): void | Promise<void> => {
    forEachPair(bytes.toString('utf8', start, end - 1), this.add);
    if (this.held >= this.bufferBytes) return this.combine();
    return undefined;
  };

  private readonly add = (key: string, value: string): void => {
    this.emitted++;
    const slot = this.groups.find(key);
    if (slot < 0) {
      this.groups.insertAt(slot, key, { value, repeats: 1 });
      this.held += PER_GROUP_OVERHEAD + 2 * (key.length + value.length);
      return;
    }
    const group = this.groups.valueAt(slot);
    if (group.value === value) {
      group.repeats++;
    } else {
      (group.earlier ??= []).push([group.value, group.repeats]);
      group.value = value;
      group.repeats = 1;
      this.held += PER_RUN_OVERHEAD + 2 * value.length;
    }
  };

  /** Runs the combiner on what is held, in key order; its output goes to the partitions. */
  async combine(): Promise<void> {
    // Sorted as entries: a Map of them to look each key up again cost more than the sort itself.
    const groups = [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.groups = new StringTable<Group>(1 << 14);
    this.held = 0;
    if (!groups.length) return;
    const program = StreamingProgram.start({ ...this.spec, role: 'combine' }, this.out.take);
    try {
      // A run of one key's equal values is one line repeated: Buffer#fill writes the repeats natively, with no
      // string built for them and no UTF-8 encoding of each copy. A fresh buffer per write: the pipe may hold it.
      let feed = Buffer.allocUnsafe(FEED_BYTES);
      let used = 0;
      const flush = async (): Promise<void> => {
        if (!used) return;
        await program.write(feed.subarray(0, used));
        feed = Buffer.allocUnsafe(FEED_BYTES);
        used = 0;
      };
      const put = async (line: string, repeats: number): Promise<void> => {
        const size = Buffer.byteLength(line);
        if (size > FEED_BYTES) {
          await flush();
          for (let i = 0; i < repeats; i++) await program.write(line);
          return;
        }
        while (repeats > 0) {
          const fits = Math.min(repeats, Math.floor((FEED_BYTES - used) / size));
          if (fits === 0) {
            await flush();
            continue;
          }
          feed.fill(line, used, used + size * fits, 'utf8');
          used += size * fits;
          repeats -= fits;
        }
      };
      for (const [key, group] of groups) {
        const prefix = `${key}\t`;
        for (const [value, repeats] of group.earlier ?? []) await put(`${prefix}${value}\n`, repeats);
        await put(`${prefix}${group.value}\n`, group.repeats);
      }
      await flush();
      await program.end();
    } catch (error) {
      program.kill();
      throw error;
    }
  }
}

/**
 * The split's records for the program's stdin: each line without its `\r\n` or `\n`, ending with `\n` (the last
 * record of an object without a final newline gets one). `jsonl`: blank lines are left out, as for JavaScript jobs.
 */
export function recordsAsLines(
  bytes: Buffer,
  start: number,
  end: number,
  jsonl: boolean,
): { lines: Buffer; records: number } {
  let records = 0;
  let clean = true;
  for (let nl = bytes.indexOf(NL, start); nl >= 0 && nl < end; nl = bytes.indexOf(NL, nl + 1)) {
    records++;
    if (nl > start && bytes[nl - 1] === CR) clean = false;
  }
  const finalNewline = end > start && bytes[end - 1] === NL;
  if (!finalNewline && end > start) records++;
  if (clean && finalNewline && !jsonl) return { lines: bytes.subarray(start, end), records };
  // The slow path: rebuild the block line by line.
  const parts: Buffer[] = [];
  records = 0;
  let from = start;
  while (from < end) {
    let nl = bytes.indexOf(NL, from);
    if (nl < 0 || nl >= end) nl = end;
    let to = nl;
    if (to > from && bytes[to - 1] === CR) to--;
    const line = bytes.subarray(from, to);
    from = nl + 1;
    if (jsonl && line.toString('utf8').trim() === '') continue;
    parts.push(line, NEWLINE);
    records++;
  }
  return { lines: Buffer.concat(parts), records };
}

const NEWLINE = Buffer.from('\n');

export async function runStreamingMapTask(options: StreamingMapOptions): Promise<MapTaskResult> {
  const { programs, split } = options;
  const task = `split ${split.index} (bytes ${split.start}-${split.end})`;
  const common = {
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    maxLineBytes: programs.maxLineBytes,
    ...(options.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {}),
    task,
  };
  const out = new PartitionWriter(options.sink, options.reducers);
  const combining = programs.combine
    ? new Combining(
        { ...common, argv: programs.combine },
        out,
        options.combineBufferBytes ?? DEFAULT_COMBINE_BUFFER,
      )
    : undefined;
  const mapper = StreamingProgram.start(
    { ...common, role: 'map', argv: programs.map },
    combining ? combining.take : out.take,
  );
  let recordsIn = 0;
  const jsonl = options.records === 'jsonl';
  try {
    const { bytesRead } = await readOwnedRecords(
      options.read,
      options.size,
      split,
      async (bytes, start, end) => {
        const { lines, records } = recordsAsLines(bytes, start, end, jsonl);
        recordsIn += records;
        if (lines.length) await mapper.write(lines);
      },
      options.fetchSize,
    );
    await mapper.end();
    if (combining) await combining.combine();
    out.flushAll();
    return {
      recordsIn,
      emitted: combining ? combining.emitted : out.records,
      recordsOut: out.records,
      bytesRead,
    };
  } catch (error) {
    mapper.kill();
    throw error;
  }
}
