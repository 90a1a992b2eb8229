// The word count of `serverless.example.ts` (`custom.mapreduce.wordcount`): what `npm run demo` runs.
import type { Mapper, Reducer } from '@serverless-continuum/mapreduce';

/** One line in, one `(word, 1)` per word out; words are lower-case runs of ASCII letters. */
export const map: Mapper<string, number> = (line, emit) => {
  for (const word of line.toLowerCase().match(/[a-z]+/g) ?? []) emit(word, 1);
};

/** Sums counts; associative and commutative, so it doubles as the combiner. */
export const reduce: Reducer<string, number> = (_word, counts) => {
  let total = 0;
  for (const count of counts) total += count;
  return total;
};
