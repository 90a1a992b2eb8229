import { test } from 'node:test';
import assert from 'node:assert/strict';
import { infoLines } from '../src/compile/info';
import type { ResolvedContainerFunction } from '../src/config';

const binding = (bucket: string, prefix: string, suffix: string[] = []) => ({
  storage: 's3',
  bucket,
  prefix,
  suffix,
  prefixFilter: [],
  existing: false,
});

test('sls info names each container function with its execution, GPU, buckets and HTTP endpoint', () => {
  const grayify = {
    name: 'grayify',
    execution: 'lambda-batch',
    batch: { gpu: 1 },
    inputs: [binding('images', 'in', ['.jpg', '.png'])],
    outputs: [binding('images', 'out')],
    api: false,
  } as unknown as ResolvedContainerFunction;
  const detect = {
    name: 'detect',
    execution: 'lambda',
    inputs: [],
    outputs: [binding('results', '')],
    api: true,
  } as unknown as ResolvedContainerFunction;
  assert.deepEqual(infoLines([grayify, detect]), [
    'grayify: lambda-batch, 1 GPU, in s3://images/in/*{.jpg,.png}, out s3://images/out/',
    'detect: lambda, out s3://results/, HTTP',
  ]);
});
