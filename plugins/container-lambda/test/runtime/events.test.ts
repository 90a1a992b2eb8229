import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import {
  classifyEvent,
  decodeRecordKey,
  httpInputName,
  keyBasename,
  matchBinding,
  passesFilters,
} from '../../src/runtime/events';

const input: StorageBindingRuntime = {
  storage: 's3',
  bucket: 'data',
  prefix: 'in',
  suffix: ['.jpg', '.png'],
};
const output: StorageBindingRuntime = { storage: 's3', bucket: 'data', prefix: 'out', suffix: ['.png'] };

function s3Event(key: string, bucket = 'data'): unknown {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventTime: '2026-11-26T10:00:00.000Z',
        s3: { bucket: { name: bucket }, object: { key, size: 3 } },
      },
    ],
  };
}

describe('S3 event keys', () => {
  test('decodes + as a space, then percent escapes', () => {
    assert.equal(decodeRecordKey('in/a+b%2Bc.jpg'), 'in/a b+c.jpg');
    assert.equal(decodeRecordKey('in/%C3%BCn%C3%AFc%C3%B6d%C3%A9+%E2%9C%93.jpg'), 'in/ünïcödé ✓.jpg');
    assert.equal(decodeRecordKey('in/it%27s+%24%28touch+pwned%29.jpg'), "in/it's $(touch pwned).jpg");
  });

  test('rejects a key that is not valid URL encoding, naming it', () => {
    assert.throws(() => decodeRecordKey('in/%E0%A4%A.jpg'), {
      code: 'CONTINUUM_UNSAFE_KEY',
      message: /in\/%E0%A4%A\.jpg/,
    });
  });

  test('classifies S3 notifications and keeps the decoded key, size and time of each record', () => {
    const classified = classifyEvent(s3Event('in/a+b.jpg'));
    assert.equal(classified.kind, 's3');
    if (classified.kind !== 's3') return;
    assert.equal(classified.records.length, 1);
    assert.deepEqual(
      {
        bucket: classified.records[0]?.bucket,
        key: classified.records[0]?.key,
        size: classified.records[0]?.size,
      },
      { bucket: 'data', key: 'in/a b.jpg', size: 3 },
    );
    assert.equal(classified.records[0]?.eventTime, '2026-11-26T10:00:00.000Z');
  });

  test('a record whose key is not valid URL encoding is kept, marked, and does not hide the others', () => {
    const event = s3Event('in/%ZZ.jpg') as { Records: unknown[] };
    event.Records.push(...(s3Event('in/ok.jpg') as { Records: unknown[] }).Records);
    const classified = classifyEvent(event);
    assert.equal(classified.kind, 's3');
    if (classified.kind !== 's3') return;
    assert.deepEqual(
      classified.records.map((r) => [r.key, r.invalidKey?.message]),
      [
        ['in/%ZZ.jpg', 'object key "in/%ZZ.jpg" is not valid URL encoding'],
        ['in/ok.jpg', undefined],
      ],
    );
  });

  test('the basename of a key is its last segment; folder markers have none', () => {
    assert.equal(keyBasename('in/sub/../../escape.jpg'), 'escape.jpg');
    assert.equal(keyBasename('in/folder/'), '');
  });
});

describe('bindings', () => {
  test('an object matches an input under its prefix with one of its suffixes', () => {
    assert.equal(matchBinding([input], 'data', 'in/x.jpg'), input);
    assert.equal(matchBinding([input], 'data', 'in/deep/x.png'), input);
    assert.equal(matchBinding([input], 'data', 'in/x.gif'), undefined);
    assert.equal(matchBinding([input], 'data', 'inbox/x.jpg'), undefined);
    assert.equal(matchBinding([input], 'other', 'in/x.jpg'), undefined);
  });

  test('the loop guard recognises what the function itself wrote', () => {
    assert.equal(matchBinding([output], 'data', 'out/x.png'), output);
    assert.equal(matchBinding([output], 'data', 'out/x.jpg'), undefined);
  });

  test('a binding with no prefix covers the whole bucket', () => {
    const whole: StorageBindingRuntime = { storage: 's3', bucket: 'b', prefix: '', suffix: [] };
    assert.equal(matchBinding([whole], 'b', 'a/b/c'), whole);
  });

  test('filters apply to the relative path: suffix and prefix lists, empty lists pass everything', () => {
    const filtered: StorageBindingRuntime = { ...output, prefixFilter: ['thumbs/'] };
    assert.equal(passesFilters(filtered, 'thumbs/a.png'), true);
    assert.equal(passesFilters(filtered, 'a.png'), false);
    assert.equal(passesFilters({ ...output, suffix: [] }, 'anything.log'), true);
  });
});

describe('HTTP calls', () => {
  test('a REST proxy event with a base64 body is an HTTP call with the decoded bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const classified = classifyEvent({
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    assert.equal(classified.kind, 'http');
    if (classified.kind !== 'http') return;
    assert.deepEqual(classified.call.body, bytes);
    assert.equal(classified.call.async, false);
  });

  test('X-Amz-Invocation-Type: Event (any case) or InvocationType: Event marks an asynchronous call', () => {
    for (const headers of [{ 'X-Amz-Invocation-Type': 'Event' }, { invocationtype: 'event' }]) {
      const classified = classifyEvent({ httpMethod: 'POST', headers, body: 'x' });
      assert.equal(classified.kind === 'http' && classified.call.async, true);
    }
  });

  test('the input file is named by a plain X-Continuum-Filename, otherwise by the request id', () => {
    const call = (name: string) => ({
      body: Buffer.alloc(0),
      headers: { 'x-continuum-filename': name },
      query: {},
      async: false,
    });
    assert.equal(httpInputName(call('photo one.jpg'), 'req-1'), 'photo one.jpg');
    assert.equal(httpInputName(call('../../etc/passwd'), 'req-1'), 'req-1');
    assert.equal(httpInputName(call('..'), 'req-1'), 'req-1');
  });

  test("S3's test event, sent when a notification is configured, has no records to process", () => {
    assert.deepEqual(classifyEvent({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'data' }), {
      kind: 's3',
      records: [],
    });
  });

  test('anything else is a direct invocation', () => {
    assert.equal(classifyEvent({ hello: 'world' }).kind, 'direct');
    assert.equal(classifyEvent(null).kind, 'direct');
  });
});
