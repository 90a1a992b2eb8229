import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { overlaps, parseLocation, parseSize, resolveExport, resolveJob, resolveJobs } from '../src/config';
import { serviceWith, WORDCOUNT_MODULE } from './service-dir';

const wordcount = {
  input: 'corpus-bucket/texts/',
  output: 'results-bucket/wordcount/',
  map: 'src/wordcount.map',
  reduce: 'src/wordcount.reduce',
};

describe('custom.mapreduce job config', () => {
  const dir = serviceWith({
    'src/wordcount.ts': WORDCOUNT_MODULE,
    'lib/count.mjs': 'export const map = () => {};',
  });

  test('fills the documented defaults into the runtime config', () => {
    const job = resolveJob('wordcount', wordcount, dir);
    assert.deepEqual(job.runtime, {
      name: 'wordcount',
      input: { bucket: 'corpus-bucket', prefix: 'texts/' },
      output: { bucket: 'results-bucket', prefix: 'wordcount/' },
      temp: { bucket: 'results-bucket', prefix: 'wordcount/_temporary/' },
      records: 'lines',
      outputFormat: 'tsv',
      chunkSize: 64 * 1024 * 1024,
      reducers: 4,
      concurrency: 100,
      retries: 2,
      reducerMemoryBudget: Math.floor(3008 * 0.4 * 1024 * 1024),
      stragglers: false,
      mapperMemoryMb: 1769,
      reducerMemoryMb: 3008,
    });
    assert.deepEqual(job.modules, {
      map: { file: join(dir, 'src/wordcount.ts'), export: 'map' },
      reduce: { file: join(dir, 'src/wordcount.ts'), export: 'reduce' },
    });
    assert.deepEqual(job.roles.mapper, { memorySize: 1769, timeout: 300 });
  });

  test('derives the reducer memory budget from the reducer memory size', () => {
    const job = resolveJob('wordcount', { ...wordcount, reducer: { memorySize: 1024 } }, dir);
    assert.equal(job.runtime.reducerMemoryBudget, Math.floor(1024 * 0.4 * 1024 * 1024));
    assert.deepEqual(job.roles.reducer, { memorySize: 1024, timeout: 900 });
  });

  test('mappers replaces chunkSize', () => {
    const job = resolveJob('wordcount', { ...wordcount, mappers: 8 }, dir);
    assert.equal(job.runtime.mappers, 8);
    assert.equal(job.runtime.chunkSize, undefined);
  });

  test('refuses chunkSize and mappers together, naming the path', () => {
    assert.throws(
      () => resolveJob('wordcount', { ...wordcount, mappers: 8, chunkSize: '1MB' }, dir),
      /^ConfigError: custom\.mapreduce\.wordcount\.mappers: set either chunkSize or mappers, not both$/,
    );
  });

  test('an output inside the input prefix is an error naming custom.mapreduce.<job>.output', () => {
    assert.throws(
      () => resolveJob('wordcount', { ...wordcount, output: 'corpus-bucket/texts/results' }, dir),
      (error: Error) =>
        error.message.startsWith(
          'custom.mapreduce.wordcount.output: overlaps the input corpus-bucket/texts/',
        ),
    );
  });

  test('an input inside the output prefix, or a whole-bucket input, also overlaps', () => {
    for (const [input, output] of [
      ['results/out/in', 'results/out'],
      ['results', 'results/out'],
      ['results/', 'results/out/'],
    ] as const) {
      assert.throws(
        () => resolveJob('wc', { ...wordcount, input, output }, dir),
        /custom\.mapreduce\.wc\.output: overlaps/,
      );
    }
  });

  test('sibling prefixes in one bucket do not overlap', () => {
    const job = resolveJob('wordcount', { ...wordcount, input: 'data/texts', output: 'data/texts-out' }, dir);
    assert.equal(job.runtime.output.prefix, 'texts-out/');
  });

  test('a temp location overlapping the input is refused', () => {
    assert.throws(
      () => resolveJob('wordcount', { ...wordcount, temp: 'corpus-bucket/texts/tmp' }, dir),
      /^ConfigError: custom\.mapreduce\.wordcount\.temp: overlaps the input/,
    );
  });

  test('a module path that resolves to no file names the path and the files tried', () => {
    assert.throws(
      () => resolveJob('wordcount', { ...wordcount, reduce: 'src/missing.reduce' }, dir),
      (error: Error) =>
        error.message.startsWith('custom.mapreduce.wordcount.reduce: cannot find module "src/missing"') &&
        error.message.includes('tried src/missing, src/missing.ts, src/missing.js, src/missing.mjs'),
    );
  });

  test('the last dot separates the export, with or without the module extension', () => {
    assert.deepEqual(resolveExport('src/wordcount.ts.map', 'p', dir), {
      file: join(dir, 'src/wordcount.ts'),
      export: 'map',
    });
    assert.deepEqual(resolveExport('lib/count.map', 'p', dir), {
      file: join(dir, 'lib/count.mjs'),
      export: 'map',
    });
  });

  test('a module outside the service folder is refused', () => {
    assert.throws(
      () => resolveExport('../elsewhere/x.map', 'custom.mapreduce.j.map', dir),
      /outside the service folder/,
    );
  });

  test('two jobs may not watch overlapping inputs', () => {
    assert.throws(
      () =>
        resolveJobs(
          {
            a: wordcount,
            b: { ...wordcount, input: 'corpus-bucket/texts/2024', output: 'results-bucket/b' },
          },
          dir,
        ),
      /^ConfigError: custom\.mapreduce\.b\.input: overlaps the input of job a/,
    );
  });

  test('no custom.mapreduce means no jobs', () => {
    assert.deepEqual(resolveJobs(undefined, dir), []);
  });
});

describe('sizes and locations', () => {
  test('parses binary size units and byte counts', () => {
    assert.equal(parseSize('64MB', 'p'), 64 * 1024 * 1024);
    assert.equal(parseSize('512KB', 'p'), 512 * 1024);
    assert.equal(parseSize('1.5 GiB', 'p'), 1.5 * 1024 ** 3);
    assert.equal(parseSize(1000, 'p'), 1000);
    assert.equal(parseSize('1', 'p'), 1);
  });

  test('a bad size names its path', () => {
    for (const bad of ['64 parsecs', 'MB', '0MB', 0, 1.5, '-1KB']) {
      assert.throws(
        () => parseSize(bad, 'custom.mapreduce.wc.chunkSize'),
        /^ConfigError: custom\.mapreduce\.wc\.chunkSize: /,
      );
    }
  });

  test('normalises prefixes to end with a slash', () => {
    assert.deepEqual(parseLocation('b-1/a//b', 'p'), { bucket: 'b-1', prefix: 'a/b/' });
    assert.deepEqual(parseLocation('b-1', 'p'), { bucket: 'b-1', prefix: '' });
    assert.throws(
      () => parseLocation('b-1/../x', 'custom.mapreduce.j.input'),
      /custom\.mapreduce\.j\.input: prefix may not/,
    );
  });

  test('overlap is by bucket and prefix containment', () => {
    assert.equal(overlaps({ bucket: 'a', prefix: 'x/' }, { bucket: 'b', prefix: 'x/' }), false);
    assert.equal(overlaps({ bucket: 'a', prefix: 'x/' }, { bucket: 'a', prefix: 'x/y/' }), true);
    assert.equal(overlaps({ bucket: 'a', prefix: 'x/' }, { bucket: 'a', prefix: 'xy/' }), false);
  });
});
