import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePartitionSink, runMapTask, type PartitionSink } from '../../src/runtime/map-task';
import { encodeKey, encodeValue } from '../../src/runtime/keys';
import { runReduceTask } from '../../src/runtime/reduce-task';
import { parseTsvLine } from '../../src/runtime/tsv';
import { planSplits } from '../../src/runtime/splits';
import type { Mapper, Reducer } from '../../src/runtime/types';

class MemorySink implements PartitionSink {
  readonly parts = new Map<number, string>();
  append(partition: number, text: string): void {
    this.parts.set(partition, (this.parts.get(partition) ?? '') + text);
  }
}

async function mapAll(
  text: string,
  map: Mapper<unknown, unknown, never>,
  options: {
    combine?: Reducer<unknown, unknown>;
    reducers?: number;
    records?: 'lines' | 'jsonl';
    maxBufferedValues?: number;
  } = {},
): Promise<MemorySink> {
  const bytes = Buffer.from(text);
  const sink = new MemorySink();
  for (const split of planSplits(bytes.length, { chunkSize: 7 })) {
    await runMapTask({
      read: async (s, e) => bytes.subarray(s, e),
      size: bytes.length,
      split,
      records: options.records ?? 'lines',
      reducers: options.reducers ?? 3,
      map: map as Mapper<unknown, unknown, unknown>,
      ...(options.combine ? { combine: options.combine } : {}),
      ctx: { runId: 'r', job: 'j', input: { bucket: 'b', key: 'k', size: bytes.length }, split, attempt: 1 },
      sink,
      ...(options.maxBufferedValues ? { maxBufferedValues: options.maxBufferedValues } : {}),
    });
  }
  return sink;
}

async function reduceAll(
  sink: MemorySink,
  reduce: Reducer<unknown, unknown, unknown>,
  format: 'tsv' | 'jsonl',
  memoryBudget = 1 << 30,
): Promise<{ lines: string[]; spills: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mr-reduce-test-'));
  try {
    const lines: string[] = [];
    let spills = 0;
    for (const [partition, text] of [...sink.parts].sort((a, b) => a[0] - b[0])) {
      const outFile = join(dir, `part-${partition}`);
      const result = await runReduceTask({
        // Each intermediate line as its own chunk: the reader must reassemble lines across chunks.
        inputs: [async () => text.match(/[\s\S]{1,5}/g) ?? []],
        reduce,
        ctx: { runId: 'r', job: 'j', partition, combining: false },
        format,
        memoryBudget,
        spillDir: join(dir, `spill-${partition}`),
        outFile,
      });
      spills += result.spills;
      lines.push(...readFileSync(outFile, 'utf8').split('\n').filter(Boolean));
    }
    return { lines, spills };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('map and reduce tasks', () => {
  const words: Mapper<string, number> = (record, emit) => {
    for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
  };
  const sum: Reducer<string, number> = (_key, values) => values.reduce((a, b) => a + b, 0);
  const text = 'the cat\nThe dog\n\nthe end, the cat\n';

  test('counts words with and without a combiner, to the same result', async () => {
    const expected = ['cat\t2', 'dog\t1', 'end\t1', 'the\t4'];
    for (const combine of [undefined, sum]) {
      const sink = await mapAll(
        text,
        words as Mapper<unknown, unknown, never>,
        combine ? { combine: combine as Reducer<unknown, unknown> } : {},
      );
      const { lines } = await reduceAll(sink, sum as Reducer<unknown, unknown, unknown>, 'tsv');
      assert.deepEqual(lines.sort(), expected);
    }
  });

  test('combine is never implied: a mean computed by reduce without combine is right', async () => {
    const pairs = 'a 1\na 2\nb 10\na 6\nb 20\n';
    const map: Mapper<string, number> = (record, emit) => {
      const [k, v] = record.split(' ');
      if (k && v) emit(k, Number(v));
    };
    const mean: Reducer<string, number> = (_k, values) => values.reduce((a, b) => a + b, 0) / values.length;
    const sink = await mapAll(pairs, map as Mapper<unknown, unknown, never>);
    const { lines } = await reduceAll(sink, mean as Reducer<unknown, unknown, unknown>, 'tsv');
    assert.deepEqual(lines.sort(), ['a\t3', 'b\t15']);
  });

  test('awkward keys and typed values survive map, shuffle and reduce (JSONL)', async () => {
    const records = [
      { k: 'a,b', v: 1 },
      { k: 'tab\there', v: 'text' },
      { k: 'new\nline', v: [1, 2] },
      { k: 'Ελληνικά', v: { nested: true } },
      { k: '😀', v: null },
      { k: '', v: 2.5 },
      { k: ['typed', 1], v: false },
    ];
    const jsonl = records.map((r) => JSON.stringify(r)).join('\n');
    const map: Mapper<unknown, unknown, { k: unknown; v: unknown }> = (record, emit) =>
      emit(record.k, record.v);
    const first: Reducer<unknown, unknown> = (_k, values) => values[0];
    const sink = await mapAll(jsonl, map as Mapper<unknown, unknown, never>, { records: 'jsonl' });
    const { lines } = await reduceAll(sink, first as Reducer<unknown, unknown, unknown>, 'jsonl');
    const got = lines.map((l) => JSON.parse(l) as [unknown, unknown]);
    assert.deepEqual(
      got.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      records.map((r) => [r.k, r.v]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });

  test('keys and values holding tabs, newlines and backslashes come out of a TSV part one line per key', async () => {
    const records = [
      { k: 'tab\there', v: 'two\nlines' },
      { k: 'new\nline', v: 'cr\r\n' },
      { k: 'back\\slash\\n', v: 'tab\t' },
      { k: 'plain', v: 'plain' },
    ];
    const jsonl = records.map((r) => JSON.stringify(r)).join('\n');
    const map: Mapper<string, string, { k: string; v: string }> = (record, emit) => emit(record.k, record.v);
    const first: Reducer<string, string> = (_k, values) => values[0]!;
    const sink = await mapAll(jsonl, map as Mapper<unknown, unknown, never>, { records: 'jsonl' });
    const { lines } = await reduceAll(sink, first as Reducer<unknown, unknown, unknown>, 'tsv');
    assert.equal(lines.length, records.length);
    assert.deepEqual(lines.map((l) => parseTsvLine(l)).sort(), records.map((r) => [r.k, r.v]).sort());
  });

  test('a combiner returning objects (not numbers) still combines correctly', async () => {
    const map: Mapper<string, { n: number }> = (record, emit) => {
      for (const w of record.split(' ').filter(Boolean)) emit(w, { n: 1 });
    };
    const merge: Reducer<string, { n: number }> = (_k, values) => ({
      n: values.reduce((a, b) => a + b.n, 0),
    });
    const sink = await mapAll('x y x\nx z\n', map as Mapper<unknown, unknown, never>, {
      combine: merge as Reducer<unknown, unknown>,
    });
    const { lines } = await reduceAll(sink, merge as Reducer<unknown, unknown, unknown>, 'tsv');
    assert.deepEqual(lines.sort(), ['x\t{"n":3}', 'y\t{"n":1}', 'z\t{"n":1}']);
  });

  test('a partition larger than the reducer memory budget spills sorted runs and still reduces correctly', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `w${i % 700} w${(i * 7) % 700}`).join('\n');
    const expected = new Map<string, number>();
    for (const w of many.match(/w\d+/g)!) expected.set(w, (expected.get(w) ?? 0) + 1);
    const map: Mapper<string, number> = (record, emit) => {
      for (const w of record.split(' ')) emit(w, 1);
    };
    const sink = await mapAll(many, map as Mapper<unknown, unknown, never>, { maxBufferedValues: 100 });
    const { lines, spills } = await reduceAll(sink, sum as Reducer<unknown, unknown, unknown>, 'tsv', 4096);
    assert.ok(spills > 3, `spilled ${spills} runs`);
    assert.deepEqual(new Map(lines.map((l) => parseTsvLine(l)).map(([k, v]) => [k!, Number(v)])), expected);
  });

  test('keys are sorted within each part', async () => {
    const sink = await mapAll(
      'b a\nd c\na z y\n',
      ((r: string, emit: (k: string, v: number) => void) =>
        r.split(' ').forEach((w) => emit(w, 1))) as Mapper<unknown, unknown, never>,
      { reducers: 1 },
    );
    const { lines } = await reduceAll(sink, sum as Reducer<unknown, unknown, unknown>, 'tsv', 64);
    assert.deepEqual(
      lines.map((l) => parseTsvLine(l)[0]),
      ['a', 'b', 'c', 'd', 'y', 'z'],
    );
  });

  test('a reduce that returns undefined fails its partition naming the key, instead of writing null', async () => {
    const sink = await mapAll(text, words as Mapper<unknown, unknown, never>, { reducers: 1 });
    const forgets: Reducer<string, number> = (key, values) =>
      key === 'dog' ? (undefined as unknown as number) : values.length;
    await assert.rejects(
      reduceAll(sink, forgets as Reducer<unknown, unknown, unknown>, 'tsv'),
      (error: Error) => {
        assert.equal(error.name, 'ReduceTaskError');
        assert.equal(
          error.message,
          'reduce returned undefined for key "dog" in partition 0: return the value to write for the key (null if there is none)',
        );
        return true;
      },
    );
  });

  test('a combiner that returns undefined fails its split naming the key, instead of passing null on', async () => {
    const forgets: Reducer<string, number> = (key, values) =>
      key === 'the' ? (undefined as unknown as number) : values.reduce((a, b) => a + b, 0);
    await assert.rejects(
      mapAll('the the the\n', words as Mapper<unknown, unknown, never>, {
        combine: forgets as Reducer<unknown, unknown>,
      }),
      /^MapTaskError: combine returned undefined for key "the" in split 0: return the combined value/,
    );
  });

  test('a failing map names the record and split', async () => {
    const bad: Mapper<string, number> = (record) => {
      if (record === 'boom') throw new Error('bad record');
    };
    await assert.rejects(
      mapAll('ok\nboom\n', bad as Mapper<unknown, unknown, never>),
      /map failed on record 2 of split 0 \(bytes 0-7\): bad record/,
    );
  });
});

test('FilePartitionSink writes only the partitions that received data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-sink-'));
  try {
    const sink = new FilePartitionSink(dir);
    sink.append(2, '"a"\t1\n');
    sink.append(2, '"b"\t1\n');
    assert.deepEqual(
      sink.close().map((w) => [w.partition, w.bytes]),
      [[2, 12]],
    );
    assert.deepEqual(readdirSync(dir), ['part-00002']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spilling never changes the result: any memory budget gives the same part, in the same order', async () => {
  const key = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.integer({ min: -50, max: 50 }),
    fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 3 })),
  );
  const collect: Reducer<unknown, unknown, unknown> = (_k, values) =>
    (values as number[]).slice().sort((a, b) => a - b);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(key, fc.integer({ min: 0, max: 9 })), { maxLength: 200 }),
      fc.integer({ min: 1, max: 3000 }),
      async (pairs, budget) => {
        const sink = new MemorySink();
        for (const [k, v] of pairs) sink.append(0, `${encodeKey(k)}\t${encodeValue(v)}\n`);
        if (!sink.parts.size) return;
        const unbounded = await reduceAll(sink, collect, 'jsonl');
        const bounded = await reduceAll(sink, collect, 'jsonl', budget);
        assert.deepEqual(bounded.lines, unbounded.lines);
      },
    ),
    { numRuns: 60 },
  );
});
