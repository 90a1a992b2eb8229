import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_SPLITS,
  countSplits,
  forEachLine,
  planSplits,
  splitAt,
  readOwnedRecords,
  type RangeReader,
} from '../../src/runtime/splits';

/** What the records of a file are, by definition: `\n`-separated lines, one trailing `\r` dropped, no record after a final `\n`. */
function referenceRecords(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function readerOf(bytes: Buffer, log?: Array<[number, number]>): RangeReader {
  return async (start, end) => {
    log?.push([start, end]);
    return bytes.subarray(start, end);
  };
}

async function readAll(bytes: Buffer, chunk: number, fetchSize: number): Promise<string[][]> {
  const perSplit: string[][] = [];
  for (const split of planSplits(bytes.length, { chunkSize: chunk })) {
    const records: string[] = [];
    await readOwnedRecords(
      readerOf(bytes),
      bytes.length,
      split,
      (b, s, e) => void forEachLine(b, s, e, (r) => records.push(r)),
      fetchSize,
    );
    perSplit.push(records);
  }
  return perSplit;
}

describe('planSplits', () => {
  test('cuts an object into chunkSize pieces, the last one shorter', () => {
    assert.deepEqual(planSplits(10, { chunkSize: 4 }), [
      { index: 0, start: 0, end: 4 },
      { index: 1, start: 4, end: 8 },
      { index: 2, start: 8, end: 10 },
    ]);
  });

  test('never starts a split at the end of the object when the size is a multiple of the chunk', () => {
    assert.deepEqual(
      planSplits(8, { chunkSize: 4 }).map((s) => [s.start, s.end]),
      [
        [0, 4],
        [4, 8],
      ],
    );
  });

  test('an empty object has no splits', () => {
    assert.deepEqual(planSplits(0, { chunkSize: 4 }), []);
    assert.deepEqual(planSplits(0, { mappers: 3 }), []);
  });

  test('mappers: N gives at most N non-empty splits covering the object', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 64 }), (size, mappers) => {
        const splits = planSplits(size, { mappers });
        assert.ok(splits.length <= mappers && splits.length >= 1);
        assert.equal(splits[0]!.start, 0);
        assert.equal(splits.at(-1)!.end, size);
        for (const [i, s] of splits.entries()) {
          assert.ok(s.end > s.start);
          if (i > 0) assert.equal(s.start, splits[i - 1]!.end);
        }
      }),
    );
  });

  test('makes the pieces larger rather than plan more than MAX_SPLITS (the run item holds the done set)', () => {
    const size = 1024 ** 4; // 1 TiB in 1 MiB chunks would be 1,048,576 splits
    const splits = planSplits(size, { chunkSize: 1024 ** 2 });
    assert.equal(splits.length, MAX_SPLITS);
    assert.equal(splits[0]!.end, Math.ceil(size / MAX_SPLITS));
    assert.equal(splits.at(-1)!.end, size);
    for (let i = 1; i < splits.length; i++) assert.equal(splits[i]!.start, splits[i - 1]!.end);
    // At the limit and under it, the chunk size stands.
    assert.equal(planSplits(MAX_SPLITS * 10, { chunkSize: 10 }).length, MAX_SPLITS);
    assert.equal(planSplits(MAX_SPLITS * 10, { chunkSize: 10 })[0]!.end, 10);
  });

  test('countSplits and splitAt agree with planSplits without planning every split', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.oneof(
          fc.record({ chunkSize: fc.integer({ min: 1, max: 10_001 }) }),
          fc.record({ mappers: fc.integer({ min: 1, max: 64 }) }),
        ),
        (size, plan) => {
          const splits = planSplits(size, plan);
          assert.equal(countSplits(size, plan), splits.length);
          for (let i = -1; i <= splits.length; i++) assert.deepEqual(splitAt(size, plan, i), splits[i]);
        },
      ),
    );
    // Past MAX_SPLITS too: the larger pieces are the same.
    const size = 1024 ** 4;
    assert.equal(countSplits(size, { chunkSize: 1024 ** 2 }), MAX_SPLITS);
    assert.deepEqual(
      splitAt(size, { chunkSize: 1024 ** 2 }, MAX_SPLITS - 1),
      planSplits(size, { chunkSize: 1024 ** 2 }).at(-1),
    );
  });

  test('rejects a chunk size under one byte', () => {
    assert.throws(() => planSplits(10, { chunkSize: 0 }), /at least 1 byte/);
  });
});

describe('reading a split: a split owns the records that start inside it', () => {
  const piece = fc.constantFrom('a', 'b', 'Z', ' ', ',', '\t', 'é', '€', '😀', 'ж', '\r', '字');
  const record = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
  const file = fc
    .record({
      records: fc.array(record, { maxLength: 25 }),
      crlf: fc.boolean(),
      trailingNewline: fc.boolean(),
    })
    .map(({ records, crlf, trailingNewline }) => {
      const text =
        records.join(crlf ? '\r\n' : '\n') +
        (trailingNewline && records.length ? (crlf ? '\r\n' : '\n') : '');
      return Buffer.from(text, 'utf8');
    });

  test('every record is read exactly once, in order, for any chunk size from 1 byte to the file size', async () => {
    await fc.assert(
      fc.asyncProperty(
        file.chain((bytes) =>
          fc.tuple(
            fc.constant(bytes),
            fc.integer({ min: 1, max: Math.max(1, bytes.length) }),
            fc.integer({ min: 1, max: Math.max(1, bytes.length + 3) }),
          ),
        ),
        async ([bytes, chunk, fetchSize]) => {
          const perSplit = await readAll(bytes, chunk, fetchSize);
          assert.deepEqual(perSplit.flat(), referenceRecords(bytes.toString('utf8')));
        },
      ),
      { numRuns: 400 },
    );
  });

  test('CRLF line endings are removed and empty lines are records', async () => {
    const bytes = Buffer.from('one\r\n\r\ntwo\n\nthree');
    for (let chunk = 1; chunk <= bytes.length; chunk++) {
      assert.deepEqual(
        (await readAll(bytes, chunk, 3)).flat(),
        ['one', '', 'two', '', 'three'],
        `chunk ${chunk}`,
      );
    }
  });

  test('a record longer than a chunk is read whole by the split it starts in', async () => {
    const long = 'x'.repeat(100);
    const bytes = Buffer.from(`a\n${long}\nb\n`);
    const perSplit = await readAll(bytes, 10, 7);
    assert.deepEqual(perSplit[0], ['a', long]);
    assert.deepEqual(perSplit.flat(), ['a', long, 'b']);
  });

  test('a multi-byte character cut by a chunk boundary is decoded whole', async () => {
    const bytes = Buffer.from('😀😀\n€uro\n');
    for (let chunk = 1; chunk <= bytes.length; chunk++) {
      assert.deepEqual((await readAll(bytes, chunk, 1)).flat(), ['😀😀', '€uro']);
    }
  });

  test('a split whose first byte follows a newline starts with that record', async () => {
    const bytes = Buffer.from('ab\ncd\nef');
    assert.deepEqual(await readAll(bytes, 3, 100), [['ab'], ['cd'], ['ef']]);
  });

  test('reads in ranges no larger than the fetch size while records are shorter', async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
    const log: Array<[number, number]> = [];
    const [split] = planSplits(bytes.length, { chunkSize: bytes.length });
    await readOwnedRecords(readerOf(bytes, log), bytes.length, split!, () => undefined, 256);
    assert.ok(log.every(([s, e]) => e - s <= 256));
    assert.equal(
      log.reduce((n, [s, e]) => n + e - s, 0),
      bytes.length,
    );
  });
});

test('splits together read little more than the object when records are short', async () => {
  const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `record number ${i}`).join('\n'));
  let total = 0;
  for (const split of planSplits(bytes.length, { chunkSize: 50_000 })) {
    const { bytesRead } = await readOwnedRecords(
      readerOf(bytes),
      bytes.length,
      split,
      () => undefined,
      65_536,
    );
    total += bytesRead;
  }
  assert.ok(total < bytes.length * 1.1, `read ${total} bytes of ${bytes.length}`);
});
