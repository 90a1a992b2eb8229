// Word count: map emits (word, 1) per word of a line; reduce (also the combiner) sums the counts.
import type { Mapper, Reducer } from '@serverless-continuum/mapreduce';

export const map: Mapper<string, number> = (line, emit) => {
  for (const word of line.toLowerCase().match(/[a-z]+/g) ?? []) emit(word, 1);
};

export const reduce: Reducer<string, number> = (_word, counts) => counts.reduce((a, b) => a + b, 0);
