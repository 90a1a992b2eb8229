import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lambdaLogicalId, logicalId, normalizeName } from '../src/cfn/naming';

test('names logical ids the way the framework does', () => {
  assert.equal(normalizeName('my-func_v2'), 'MyDashfuncUnderscorev2');
  assert.equal(lambdaLogicalId('grayify'), 'GrayifyLambdaFunction');
  assert.equal(logicalId('grayify', 'InputBucket'), 'GrayifyInputBucket');
});
