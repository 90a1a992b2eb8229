import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StringTable } from '../../src/runtime/string-table';

describe('StringTable (the mapper combining table)', () => {
  test('behaves like a Map under any sequence of sets, across growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.integer()), { maxLength: 400 }),
        (ops) => {
          const table = new StringTable<number>(1);
          const reference = new Map<string, number>();
          for (const [key, value] of ops) {
            table.set(key, (table.get(key) ?? 0) + value);
            reference.set(key, (reference.get(key) ?? 0) + value);
          }
          assert.equal(table.size, reference.size);
          assert.deepEqual(new Map(table.entries()), reference);
          for (const key of reference.keys()) assert.equal(table.get(key), reference.get(key));
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
    assert.equal(table.get('missing'), undefined);
    table.clear();
    assert.equal(table.size, 0);
    assert.deepEqual([...table.entries()], []);
  });

  test('keeps 200,000 keys (many growths) and finds each', () => {
    const table = new StringTable<number>(4);
    for (let i = 0; i < 200_000; i++) table.set(`k${i}`, i);
    assert.equal(table.size, 200_000);
    for (let i = 0; i < 200_000; i += 997) assert.equal(table.get(`k${i}`), i);
  });
});
