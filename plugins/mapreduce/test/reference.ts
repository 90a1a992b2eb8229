// What the mapreduce tests compare against: the word count done the plain way, the counts read back from
// TSV parts, and a small job config to vary per test.
import assert from 'node:assert/strict';
import type { JobRuntimeConfig } from '../src/runtime/contract';
import { parseTsvLine } from '../src/runtime/tsv';

/** The reference word count the fixtures' `wordcount` module computes, done the plain way. */
export function referenceWordCount(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    for (const word of line.toLowerCase().match(/[a-z]+/g) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Counts from the texts of TSV parts (`key<TAB>count` lines); a key may appear in one part only. */
export function tsvCounts(parts: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const part of parts) {
    for (const line of part.split('\n').filter(Boolean)) {
      const [k, v] = parseTsvLine(line);
      assert.ok(!counts.has(k!), `key ${k} appears in two parts`);
      counts.set(k!, Number(v));
    }
  }
  return counts;
}

/** A word-count job small enough for tests; each test overrides what it is about. */
export function testJob(overrides: Partial<JobRuntimeConfig> = {}): JobRuntimeConfig {
  return {
    name: 'wordcount',
    input: { bucket: 'in', prefix: '' },
    output: { bucket: 'out', prefix: '' },
    temp: { bucket: 'out', prefix: '_temporary/' },
    records: 'lines',
    outputFormat: 'tsv',
    chunkSize: 4096,
    reducers: 3,
    concurrency: 10,
    retries: 2,
    reducerMemoryBudget: 64 * 1024 * 1024,
    stragglers: false,
    mapperMemoryMb: 1769,
    reducerMemoryMb: 3008,
    ...overrides,
  };
}
