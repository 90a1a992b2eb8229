import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketLogicalId,
  frameworkBucketLogicalId,
  lambdaLogicalId,
  logicalId,
  normalizeName,
  SERVICE_ROLE_ID,
} from '../src/cfn';

test('normalizeName spells dashes and underscores out and drops what a logical id cannot hold', () => {
  assert.equal(normalizeName('thumb'), 'Thumb');
  assert.equal(normalizeName('word-count_v2'), 'WordDashcountUnderscorev2');
  assert.equal(normalizeName('a.b c/d'), 'Abcd');
  assert.equal(normalizeName('Already'), 'Already');
  assert.equal(normalizeName(''), '');
});

test('distinct function names never collapse onto one logical id', () => {
  assert.notEqual(normalizeName('a-b'), normalizeName('a_b'));
  assert.notEqual(normalizeName('a-b'), normalizeName('ab'));
});

test('logical ids match the framework for functions, its role and buckets', () => {
  assert.equal(lambdaLogicalId('word-count'), 'WordDashcountLambdaFunction');
  assert.equal(SERVICE_ROLE_ID, 'IamRoleLambdaExecution');
  assert.equal(bucketLogicalId('my-data.bucket'), 'S3BucketMyDashdatabucket');
  assert.equal(logicalId('wordcount', 'run-table'), 'WordcountRunDashtable');
  assert.match(logicalId('a-b', 'c_d', 'e.f'), /^[A-Za-z0-9]+$/);
});

test("frameworkBucketLogicalId is the framework's own id for an s3 event bucket", () => {
  assert.equal(frameworkBucketLogicalId('my-data.bucket'), 'S3BucketMydatabucket');
  assert.equal(frameworkBucketLogicalId('corpus'), 'S3BucketCorpus');
});
