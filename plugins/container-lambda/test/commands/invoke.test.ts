// `sls container invoke`: the request sent for --file, --data or neither (and --async), the URL on the
// deployed API, and which answers can be printed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedContainerFunction } from '../../src/config';
import { invokeRequest, invokeUrl, printable } from '../../src/commands/invoke';

const dir = mkdtempSync(join(tmpdir(), 'continuum-invoke-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/dev/detect';

describe('the invoke request', () => {
  test("--file is the body byte for byte, its name in X-Continuum-Filename (the script's input name)", () => {
    const file = join(dir, 'photo 1.png');
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    writeFileSync(file, bytes);
    assert.deepEqual(invokeRequest(URL, { file }), {
      method: 'POST',
      url: URL,
      headers: {
        accept: 'application/octet-stream',
        'content-type': 'application/octet-stream',
        'x-continuum-filename': 'photo 1.png',
      },
      body: bytes,
    });
  });

  test('a file name that is not plain ASCII is not sent as a header (the request id names the input then)', () => {
    const file = join(dir, 'café.png');
    writeFileSync(file, 'x');
    assert.equal(invokeRequest(URL, { file }).headers['x-continuum-filename'], undefined);
  });

  test("--data is JSON, sent as is; --async adds SCAR's X-Amz-Invocation-Type: Event", () => {
    assert.deepEqual(invokeRequest(URL, { data: '{ "a": 1 }', async: true }), {
      method: 'POST',
      url: URL,
      headers: {
        accept: 'application/octet-stream',
        'x-amz-invocation-type': 'Event',
        'content-type': 'application/json',
      },
      body: Buffer.from('{ "a": 1 }'),
    });
  });

  test('neither is a GET without a body, as SCAR sends', () => {
    assert.deepEqual(invokeRequest(URL, {}), {
      method: 'GET',
      url: URL,
      headers: { accept: 'application/octet-stream' },
    });
  });

  test('bad input is refused naming the option', () => {
    assert.throws(() => invokeRequest(URL, { data: '{a' }), /^ConfigError: --data: is not JSON/);
    assert.throws(
      () => invokeRequest(URL, { data: '{}', file: 'x' }),
      /--data: give --file or --data, not both/,
    );
    assert.throws(() => invokeRequest(URL, { file: join(dir, 'none') }), /--file: .*none does not exist/);
    assert.throws(() => invokeRequest(URL, { file: dir }), /--file: .* is not a file/);
  });

  test("the URL is the stack's ServiceEndpoint and the function's route", () => {
    const fn = { name: 'detect' } as ResolvedContainerFunction;
    assert.equal(invokeUrl('https://abc123.execute-api.us-east-1.amazonaws.com/dev/', fn), URL);
  });
});

describe('an answer', () => {
  test('is printed when it is text; binary is not', () => {
    assert.equal(printable(Buffer.from('grayified photo.png\n')), 'grayified photo.png\n');
    assert.equal(printable(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), undefined);
    assert.equal(printable(Buffer.from([0xff, 0xfe])), undefined);
  });
});
