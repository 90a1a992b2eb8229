import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StringTable } from '../../src/runtime/string-table';

// Through the calls the mapper makes: one `find`, then `insertAt` or `valueAt`/`setAt`.
function get(table: StringTable<number>, key: string): number | undefined {
  const slot = table.find(key);
  return slot < 0 ? undefined : table.valueAt(slot);
}

function set(table: StringTable<number>, key: string, value: number): void {
  const slot = table.find(key);
  if (slot < 0) table.insertAt(slot, key, value);
  else table.setAt(slot, value);
}

describe('StringTable (the mapper combining table)', () => {
  test('behaves like a Map under any sequence of sets, across growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.integer()), { maxLength: 400 }),
        (ops) => {
          const table = new StringTable<number>(1);
          const reference = new Map<string, number>();
          for (const [key, value] of ops) {
            set(table, key, (get(table, key) ?? 0) + value);
            reference.set(key, (reference.get(key) ?? 0) + value);
          }
          assert.equal(table.size, reference.size);
          assert.deepEqual(new Map(table.entries()), reference);
          for (const key of reference.keys()) assert.equal(get(table, key), reference.get(key));
        },
      ),
    );
  });

  test('find, insertAt and setAt update one slot in place; the empty string and unicode are keys like any other', () => {
    const table = new StringTable<number>();
    for (const key of ['', '日本語', '😀👍🏽', 'a\tb', 'a']) {
      const missing = table.find(key);
      assert.ok(missing < 0);
      table.insertAt(missing, key, 1);
      const slot = table.find(key);
      assert.ok(slot >= 0);
      table.setAt(slot, table.valueAt(slot) + 1);
    }
    assert.deepEqual(
      [...table.entries()].sort(),
      [
        ['', 2],
        ['a', 2],
        ['a\tb', 2],
        ['日本語', 2],
        ['😀👍🏽', 2],
      ].sort(),
    );
    assert.equal(get(table, 'missing'), undefined);
    table.clear();
    assert.equal(table.size, 0);
    assert.deepEqual([...table.entries()], []);
  });

  test('keeps 200,000 keys (many growths) and finds each', () => {
    const table = new StringTable<number>(4);
    for (let i = 0; i < 200_000; i++) set(table, `k${i}`, i);
    assert.equal(table.size, 200_000);
    for (let i = 0; i < 200_000; i += 997) assert.equal(get(table, `k${i}`), i);
  });
});
