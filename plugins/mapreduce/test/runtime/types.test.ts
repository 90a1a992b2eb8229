import { test } from 'node:test';
import assert from 'node:assert/strict';
// The example, as a user writes it: it must type-check against the package's public types (npm run typecheck).
import type { Mapper, Reducer } from '@serverless-continuum/mapreduce';

export const map: Mapper<string, number> = (record, emit) => {
  for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
};
export const reduce: Reducer<string, number> = (key, values) => values.reduce((a, b) => a + b, 0);

test('the documented word count types: map gets a line and emits (word, 1); reduce sums the values', () => {
  const emitted: Array<[string, number]> = [];
  const ctx = {
    runId: 'r',
    job: 'j',
    input: { bucket: 'b', key: 'k', size: 1 },
    split: { index: 0, start: 0, end: 1 },
    attempt: 1,
  };
  void map('The cat, the HAT', (k, v) => emitted.push([k, v]), ctx);
  assert.deepEqual(emitted, [
    ['the', 1],
    ['cat', 1],
    ['the', 1],
    ['hat', 1],
  ]);
  assert.equal(reduce('the', [1, 1, 3]), 5);
});
