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

test('sls info lists the names of the secrets and where they live, never a value', () => {
  const reader = {
    name: 'reader',
    execution: 'lambda',
    inputs: [],
    outputs: [],
    api: true,
    secrets: {
      DB_PASSWORD: { service: 'ssm', reference: '/lab/db/password', parameterPath: 'lab/db/password' },
      LICENSE: {
        service: 'secretsmanager',
        reference: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:license-AbCdEf',
      },
    },
  } as unknown as ResolvedContainerFunction;
  assert.deepEqual(infoLines([reader]), [
    'reader: lambda, HTTP, secrets DB_PASSWORD (SSM /lab/db/password), LICENSE (Secrets Manager arn:aws:secretsmanager:us-east-1:123456789012:secret:license-AbCdEf)',
  ]);
});

test('sls info names an output to another store as the binding names it', () => {
  const fn = {
    name: 'grayify',
    execution: 'lambda',
    inputs: [binding('images', 'in')],
    outputs: [{ ...binding('results', 'gray'), storage: 'webdav.dcache' }],
    api: false,
  } as unknown as ResolvedContainerFunction;
  assert.deepEqual(infoLines([fn]), ['grayify: lambda, in s3://images/in/, out webdav.dcache:results/gray/']);
});
