// A job as the trigger graph sees it: what starts it and everything it writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveJob } from '../src/config';
import { triggerUnit } from '../src/compile';
import { serviceWith, WORDCOUNT_MODULE } from './service-dir';

const dir = serviceWith({ 'src/wordcount.ts': WORDCOUNT_MODULE });
const job = (extra: { temp?: string } = {}) =>
  resolveJob(
    'wc',
    {
      input: 'bkt/in/',
      output: 'bkt/out/',
      map: 'src/wordcount.map',
      reduce: 'src/wordcount.reduce',
      ...extra,
    },
    dir,
  );
const paths = (bindings: Array<{ path: string; binding: { bucket: string; prefix: string } }>) =>
  bindings.map((b) => [b.path, `${b.binding.bucket}/${b.binding.prefix}`]);

test('the input starts the job; it writes under the output, intermediates included', () => {
  const unit = triggerUnit(job());
  assert.equal(unit.path, 'custom.mapreduce.wc');
  assert.deepEqual(paths(unit.inputs), [['custom.mapreduce.wc.input', 'bkt/in']]);
  assert.deepEqual(paths(unit.outputs), [['custom.mapreduce.wc.output', 'bkt/out']]);
});

test('a temp location outside the output is one more place the job writes to', () => {
  assert.deepEqual(paths(triggerUnit(job({ temp: 'scratch/wc' })).outputs), [
    ['custom.mapreduce.wc.output', 'bkt/out'],
    ['custom.mapreduce.wc.temp', 'scratch/wc'],
  ]);
});
