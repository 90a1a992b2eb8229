import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logicalId } from '@serverless-continuum/core/cfn';
import { ContinuumError } from '@serverless-continuum/core/errors';

test('workspace imports resolve to sources under tsx', () => {
  assert.equal(logicalId('a'), 'A');
  assert.equal(new ContinuumError('CONTINUUM_STORAGE', 'x').code, 'CONTINUUM_STORAGE');
});
