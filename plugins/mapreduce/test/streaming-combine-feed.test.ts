// What the combine program is fed: every value of the map output, in key order, each repeat a line of its own,
// whether a run of repeats spans many pipe writes or one line is longer than a whole write.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runStreamingMapTask } from '../src/runtime/streaming/map';
import { encodeKey } from '../src/runtime/keys';

/** The intermediate lines of a map task whose map and combine programs are `cat`: the combiner's input, as fed. */
async function combinerInput(input: string): Promise<string[]> {
  const parts = new Map<number, string>();
  const bytes = Buffer.from(input);
  await runStreamingMapTask({
    read: async (start, end) => bytes.subarray(start, end),
    size: bytes.length,
    split: { index: 0, start: 0, end: bytes.length },
    records: 'lines',
    reducers: 1,
    programs: {
      map: ['cat'],
      combine: ['cat'],
      reduce: ['cat'],
      maxLineBytes: 4 * 1024 * 1024,
      mapperTimeout: 60,
      reducerTimeout: 60,
    },
    cwd: process.cwd(),
    sink: { append: (p, text) => parts.set(p, (parts.get(p) ?? '') + text) },
  });
  return (parts.get(0) ?? '').split('\n').filter(Boolean);
}

const line = (key: string, value: string) => `${encodeKey(key)}\t${JSON.stringify(value)}`;

describe('the combine program’s input', () => {
  test('a run of 100,000 repeats of one multi-byte line reaches the combiner whole, in key order', async () => {
    const input = `${'straße\t1\n'.repeat(100_000)}${'ab\t1\n'.repeat(3)}ab\t2\n`;
    const got = await combinerInput(input);
    assert.equal(got.length, 100_004);
    assert.deepEqual(got.slice(0, 4), [line('ab', '1'), line('ab', '1'), line('ab', '1'), line('ab', '2')]);
    assert.ok(got.slice(4).every((l) => l === line('straße', '1')));
  });

  test('a line longer than one pipe write is fed as it is, each repeat once', async () => {
    const long = 'ü'.repeat(200_000);
    const got = await combinerInput(`k\t${long}\nk\t${long}\nj\tx\n`);
    assert.deepEqual(got, [line('j', 'x'), line('k', long), line('k', long)]);
  });
});
