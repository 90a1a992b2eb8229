import { test } from 'node:test';
import assert from 'node:assert/strict';
import { infoLines } from '../src/compile/info';
import type { ResolvedJob } from '../src/config';

test('sls info says what starts each job and where its results land', () => {
  const job = {
    name: 'wordcount',
    runtime: {
      input: { bucket: 'corpus', prefix: 'texts/' },
      output: { bucket: 'results', prefix: 'wordcount/' },
      chunkSize: 64 * 1024 * 1024,
      reducers: 4,
    },
  } as unknown as ResolvedJob;
  assert.deepEqual(infoLines([job]), [
    'wordcount: upload to s3://corpus/texts/ -> s3://results/wordcount/<run id>/ (64.0 MB splits, 4 reducers)',
  ]);
});
