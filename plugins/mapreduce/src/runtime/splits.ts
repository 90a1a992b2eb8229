// Byte-range splits and the reading rule that makes every record belong to exactly one split:
// a split [start, end) owns the records that START inside it, and reads past `end` to finish its last one.

export interface Split {
  index: number;
  /** Inclusive. */
  start: number;
  /** Exclusive. */
  end: number;
}

/** Reads bytes [start, end) of the input (a ranged GET, or a pread on a local file). */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

/**
 * The most splits a run has: the scale the run table is tested at (100,000 splits on dynalite). Every reducer
 * reads one stats item per split to find its inputs, and the run's items grow with the splits, so a bound
 * keeps a run's reads and its table bounded; larger objects get larger splits instead.
 */
export const MAX_SPLITS = 100_000;

export interface SplitPlan {
  chunkSize?: number;
  mappers?: number;
}

/** The piece size an object of `size` bytes (more than 0) is cut into. */
function chunkOf(size: number, plan: SplitPlan): number {
  let chunk: number;
  if (plan.chunkSize !== undefined) chunk = plan.chunkSize;
  else if (plan.mappers !== undefined) chunk = Math.ceil(size / plan.mappers);
  else throw new RangeError('either chunkSize or mappers is required');
  if (!Number.isSafeInteger(chunk) || chunk < 1)
    throw new RangeError(`chunk size must be at least 1 byte, got ${chunk}`);
  return Math.max(chunk, Math.ceil(size / MAX_SPLITS));
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`object size must be a whole number of bytes, got ${size}`);
}

/**
 * Plans the splits of an object of `size` bytes: fixed `chunkSize` pieces, or `mappers` near-equal pieces,
 * with pieces made larger where that would give more than `MAX_SPLITS`.
 * No split is empty and none starts at the end of the object; an empty object has no splits.
 */
export function planSplits(size: number, plan: SplitPlan): Split[] {
  checkSize(size);
  if (size === 0) return [];
  const chunk = chunkOf(size, plan);
  const splits: Split[] = [];
  for (let start = 0, index = 0; start < size; start += chunk, index++) {
    splits.push({ index, start, end: Math.min(start + chunk, size) });
  }
  return splits;
}

/** How many splits `planSplits` makes, without making them. */
export function countSplits(size: number, plan: SplitPlan): number {
  checkSize(size);
  return size === 0 ? 0 : Math.ceil(size / chunkOf(size, plan));
}

/**
 * Split `index` of `planSplits(size, plan)`, or undefined past the last one, without planning the others: a
 * mapper launching the next split of a run of 100,000 would otherwise build them all.
 */
export function splitAt(size: number, plan: SplitPlan, index: number): Split | undefined {
  checkSize(size);
  if (size === 0 || !Number.isSafeInteger(index) || index < 0) return undefined;
  const chunk = chunkOf(size, plan);
  const start = index * chunk;
  return start < size ? { index, start, end: Math.min(start + chunk, size) } : undefined;
}

const NL = 10;

/**
 * Delivers the bytes of the records owned by `split`, as blocks of whole records: every block is a run of
 * records each ending with `\n`, except the very last record of the object when it has no line ending.
 * Bytes are cut only at `\n`, so a multi-byte UTF-8 character is never split across blocks.
 * Reads go through `read` in pieces of at most `fetchSize` bytes (more only while one record is longer).
 */
export async function readOwnedRecords(
  read: RangeReader,
  size: number,
  split: Split,
  onBlock: (bytes: Buffer, start: number, end: number) => void | Promise<void>,
  fetchSize = 8 * 1024 * 1024,
): Promise<{ bytesRead: number }> {
  const { start, end } = split;
  if (start >= size || start >= end) return { bytesRead: 0 };
  let bytesRead = 0;
  // Up to `end`, reads are `fetchSize` long; past it (finishing the last record) they start small and double.
  let tail = Math.min(fetchSize, 4096);
  const fetch = async (from: number): Promise<Buffer> => {
    let limit = end;
    if (from >= end) {
      limit = from + tail;
      tail = Math.min(tail * 2, fetchSize);
    }
    const to = Math.min(from + fetchSize, limit, size);
    const bytes = await read(from, to);
    if (bytes.length !== to - from) {
      throw new Error(
        `short read of bytes ${from}-${to}: got ${bytes.length} bytes (was the object replaced?)`,
      );
    }
    bytesRead += bytes.length;
    return bytes;
  };

  // `buf` holds bytes [bufStart, bufEnd) of the object; `pos` is the start of the next record to deliver.
  let bufStart = start > 0 ? start - 1 : 0;
  let buf = await fetch(bufStart);
  let pos = start;
  if (start > 0) {
    // The record containing byte start-1 belongs to the previous split: skip through the first `\n` at or after start-1.
    for (;;) {
      const nl = buf.indexOf(NL);
      if (nl >= 0) {
        pos = bufStart + nl + 1;
        buf = buf.subarray(nl + 1);
        bufStart = pos;
        break;
      }
      bufStart += buf.length;
      if (bufStart >= size) return { bytesRead };
      buf = await fetch(bufStart);
    }
  }
  const last = end - 1; // the last byte whose record this split owns
  for (;;) {
    if (pos > last || pos >= size) return { bytesRead };
    const bufEnd = bufStart + buf.length;
    if (last < bufEnd) {
      const nl = buf.indexOf(NL, last - bufStart);
      if (nl >= 0) {
        await onBlock(buf, pos - bufStart, nl + 1);
        return { bytesRead };
      }
    }
    const lastNl = buf.lastIndexOf(NL);
    if (lastNl >= pos - bufStart) {
      await onBlock(buf, pos - bufStart, lastNl + 1);
      pos = bufStart + lastNl + 1;
    }
    if (bufEnd >= size) {
      if (pos < size && pos <= last) await onBlock(buf, pos - bufStart, buf.length);
      return { bytesRead };
    }
    const carry = buf.subarray(pos - bufStart);
    const more = await fetch(bufEnd);
    buf = carry.length ? Buffer.concat([carry, more]) : more;
    bufStart = pos;
  }
}

/**
 * Calls `onRecord` for each record in a block delivered by `readOwnedRecords`: lines without `\n` or `\r\n`.
 * The block is decoded as UTF-8 once, then cut into lines (cheap substrings).
 */
export function forEachLine(
  bytes: Buffer,
  start: number,
  end: number,
  onRecord: (line: string) => void,
): number {
  const text = bytes.toString('utf8', start, end);
  let count = 0;
  let from = 0;
  const n = text.length;
  while (from < n) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = n;
    let to = nl;
    if (to > from && text.charCodeAt(to - 1) === 13) to--;
    onRecord(text.slice(from, to));
    count++;
    from = nl + 1;
  }
  return count;
}
