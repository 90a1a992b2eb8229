import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareKeys, encodeKey, formatOutputLine, partitionOf } from '../../src/runtime/keys';

describe('keys', () => {
  const awkward = [
    'a,b',
    'tab\there',
    'new\nline',
    'Ελληνικά',
    '日本語',
    'مرحبا',
    '😀👍🏽',
    '',
    '"quoted"',
    'back\\slash',
  ];

  test('keys with separators, non-Latin scripts, emoji and the empty string round-trip through their encoding', () => {
    for (const key of awkward) assert.equal(JSON.parse(encodeKey(key)), key);
    assert.ok(awkward.every((k) => !encodeKey(k).includes('\t') && !encodeKey(k).includes('\n')));
  });

  test('typed keys encode canonically: object members in name order', () => {
    assert.equal(encodeKey({ b: 1, a: [2, 'x'] }), '{"a":[2,"x"],"b":1}');
    assert.equal(encodeKey({ a: [2, 'x'], b: 1 }), encodeKey({ b: 1, a: [2, 'x'] }));
    assert.equal(partitionOf({ b: 1, a: 2 }, 7), partitionOf({ a: 2, b: 1 }, 7));
  });

  test('keys JSON cannot represent are refused', () => {
    assert.throws(() => encodeKey(undefined), /JSON-serializable/);
    assert.throws(() => encodeKey(Number.NaN), /JSON-serializable/);
  });

  test('keys that are not plain data are refused, naming their type, instead of collapsing into {}', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const refused: Array<[unknown, RegExp]> = [
      [new Date(0), /got a Date/],
      [new Map([['a', 1]]), /got a Map/],
      [new Set([1]), /got a Set/],
      [new Point(1), /got an instance of Point/],
      [() => 1, /got a function/],
      [Symbol('s'), /got a symbol/],
      [10n, /got a bigint/],
      [new String('a'), /got a String/],
      [{ when: new Date(0) }, /got a Date/],
      [['a', new Set()], /got a Set/],
      [{ [Symbol('s')]: 1 }, /got an object with symbol-named members/],
      // A hole in an array would encode as `[,1]`, which is not JSON.
      // eslint-disable-next-line no-sparse-arrays
      [[, 1], /got undefined/],
    ];
    for (const [key, message] of refused) {
      assert.throws(
        () => encodeKey(key),
        (error: Error) => {
          assert.match(error.message, /a key must be JSON-serializable plain data/);
          assert.match(error.message, message);
          return true;
        },
      );
    }
    // An object without a prototype is plain data all the same.
    const bare = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
    assert.equal(encodeKey(bare), '{"a":2,"b":1}');
  });

  test('partitions are stable: the same key always lands in the same partition', () => {
    assert.equal(partitionOf('the', 10), partitionOf('the', 10));
    // Fixed values: a change of hash would silently reshuffle existing users' partitions.
    assert.deepEqual(
      ['the', 'a', '', '😀', 42, ['x', 1]].map((k) => partitionOf(k, 10)),
      [0, 2, 5, 8, 9, 5],
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const p = partitionOf(key, n);
        return Number.isInteger(p) && p >= 0 && p < n;
      }),
    );
  });

  test('with Zipf-distributed words and 10 reducers, the largest partition holds at most 1.5x the mean of distinct keys', () => {
    // Reducer load after combining is one record per (split, distinct key), so balance is measured in distinct keys.
    // By raw records no hash partitioner can balance Zipf: the most frequent word alone is ~10% of all records.
    let seed = 7;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const vocabulary = Array.from({ length: 20_000 }, (_, i) => {
      let w = '';
      for (let n = 3 + (i % 9); n > 0; n--) w += String.fromCharCode(97 + Math.floor(rand() * 26));
      return `${w}${i}`;
    });
    const weights = vocabulary.map((_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const distinct = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      let u = rand() * total;
      let k = 0;
      while (u > weights[k]! && k < vocabulary.length - 1) u -= weights[k++]!;
      distinct.add(vocabulary[k]!);
    }
    const sizes = new Array<number>(10).fill(0);
    for (const word of distinct) sizes[partitionOf(word, 10)]!++;
    const mean = distinct.size / 10;
    assert.ok(Math.max(...sizes) <= 1.5 * mean, `partition sizes ${sizes.join(',')} (mean ${mean})`);
  });

  test('keys sort inside a part: strings by code units, numbers numerically, strings before numbers', () => {
    const keys: unknown[] = [10, 'b', 9, 'a', '', -1, ['x']];
    const sorted = [...keys].sort((a, b) => compareKeys(encodeKey(a), a, encodeKey(b), b));
    assert.deepEqual(sorted, ['', 'a', 'b', -1, 9, 10, ['x']]);
  });
});

describe('output lines', () => {
  test('TSV writes a string key and string value as they are, anything else as JSON', () => {
    assert.equal(formatOutputLine('the', 42, 'tsv'), 'the\t42\n');
    assert.equal(formatOutputLine('k', 'text', 'tsv'), 'k\ttext\n');
    assert.equal(formatOutputLine(['a', 1], { n: 2 }, 'tsv'), '["a",1]\t{"n":2}\n');
  });

  test('JSONL writes [key, value] with their JSON types', () => {
    assert.equal(formatOutputLine('tab\tkey', [1, 'x'], 'jsonl'), '["tab\\tkey",[1,"x"]]\n');
    assert.deepEqual(JSON.parse(formatOutputLine('😀', null, 'jsonl')), ['😀', null]);
  });
});
