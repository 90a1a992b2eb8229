import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { recordsOf, uploadOf } from '@serverless-continuum/core/lambda';

const record = (object: unknown, bucket: unknown = { name: 'corpus' }) => ({
  eventSource: 'aws:s3',
  s3: { bucket, object },
});

describe('S3 events', () => {
  test('an upload record gives its bucket, decoded key, size and version pins', () => {
    assert.deepEqual(
      uploadOf(record({ key: 'texts/my+corpus%C3%A9.txt', size: 12, eTag: '"abc"', sequencer: '01' })),
      { bucket: 'corpus', key: 'texts/my corpusé.txt', size: 12, etag: 'abc', sequencer: '01' },
    );
    assert.deepEqual(uploadOf(record({ key: 'a.txt', versionId: 'v1' })), {
      bucket: 'corpus',
      key: 'a.txt',
      versionId: 'v1',
    });
  });

  test('a malformed record is skipped with its reason instead of throwing', () => {
    const skips = [
      null,
      'text',
      { s3: null },
      record({ size: 5 }),
      record({ key: '' }),
      record({ key: 'a.txt' }, {}),
      record({ key: 'texts/%ZZ.txt', size: 5 }),
      record({ key: 'a.txt', size: '5' }),
      record({ key: 'a.txt', size: -1 }),
    ].map((r) => uploadOf(r));
    assert.deepEqual(skips, [
      { skip: 'not an S3 event record', bucket: '', key: '' },
      { skip: 'not an S3 event record', bucket: '', key: '' },
      { skip: 'not an S3 event record', bucket: '', key: '' },
      { skip: 'the record names no object key', bucket: 'corpus', key: '' },
      { skip: 'the record names no object key', bucket: 'corpus', key: '' },
      { skip: 'the record names no bucket', bucket: '', key: 'a.txt' },
      { skip: 'the object key is not valid URL encoding', bucket: 'corpus', key: 'texts/%ZZ.txt' },
      { skip: 'the object size "5" is not a byte count', bucket: 'corpus', key: 'a.txt' },
      { skip: 'the object size -1 is not a byte count', bucket: 'corpus', key: 'a.txt' },
    ]);
  });

  test('pins of the wrong type are left out rather than trusted', () => {
    assert.deepEqual(uploadOf(record({ key: 'a.txt', size: 1, eTag: 7, versionId: null })), {
      bucket: 'corpus',
      key: 'a.txt',
      size: 1,
    });
  });

  test('an event without a Records list has no records to read, and says why', () => {
    assert.deepEqual(recordsOf(null), { skip: 'not an S3 event (it has no Records list)' });
    assert.deepEqual(recordsOf({ Records: 'x' }), { skip: 'not an S3 event (it has no Records list)' });
    assert.deepEqual(recordsOf({ Event: 's3:TestEvent', Bucket: 'corpus' }), { skip: 'an S3 test event' });
    assert.deepEqual(recordsOf({ Records: [null] }), [null]);
  });
});
