// Object keys never escape the folder they are downloaded into; storage paths and s3:// URLs parse as users write them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import { S3Client } from '@aws-sdk/client-s3';
import {
  createLocalStorage,
  createS3Storage,
  downloadIntoFolder,
  isSafeKey,
  joinKey,
  parseS3Url,
  parseStoragePath,
  safeJoin,
} from '@serverless-continuum/core/storage';
import { listenLoopback } from '../../../test/harness/loopback';
import { s3ClientConfig } from '../../../test/harness/services';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'continuum-keys-'));
  roots.push(root);
  return root;
}

/** Every file and folder under `dir`, as relative paths. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const BASE = join(tmpdir(), 'work', 'inputs');

const HOSTILE_KEYS: [key: string, reason: string][] = [
  ['../x', 'the key has a ".." segment'],
  ['a/../../x', 'the key has a ".." segment'],
  ['safe/../safe2', 'the key has a ".." segment'],
  ['/etc/passwd', 'the key is an absolute path'],
  ['a\0b', 'the key contains a NUL byte'],
  ['..\\x', 'the key has a ".." segment'],
  ['a\\..\\..\\x', 'the key has a ".." segment'],
  ['\\\\server\\share', 'the key is an absolute path'],
  ['C:\\Windows\\win.ini', 'the key is an absolute path'],
  ['', 'the key is empty'],
  ['./x', 'the key has a "." segment'],
  ['a//b', 'the key has an empty segment'],
  ['folder/', 'the key has an empty segment'],
  ['..', 'the key has a ".." segment'],
];

describe('safeJoin', () => {
  for (const [key, reason] of HOSTILE_KEYS) {
    test(`refuses ${JSON.stringify(key)}: ${reason}`, () => {
      assert.throws(() => safeJoin(BASE, key), {
        code: 'CONTINUUM_UNSAFE_KEY',
        message: `object key ${JSON.stringify(key)} would escape ${BASE} (${reason})`,
      });
      assert.equal(isSafeKey(key), false);
    });
  }

  test('maps ordinary keys to paths inside the folder', () => {
    assert.equal(safeJoin(BASE, 'photo.jpg'), join(BASE, 'photo.jpg'));
    assert.equal(
      safeJoin(BASE, 'dossier à/été 2024/naïve file ✓.txt'),
      join(BASE, 'dossier à', 'été 2024', 'naïve file ✓.txt'),
    );
    assert.equal(safeJoin(`${BASE}${sep}`, 'a/b'), join(BASE, 'a', 'b'));
  });

  test('accepts names that merely contain dots', () => {
    for (const key of ['...', '..hidden', 'file..', '.env', 'a/.../b', 'v1.2..3']) {
      assert.equal(safeJoin(BASE, key), join(BASE, ...key.split('/')), key);
      assert.equal(isSafeKey(key), true, key);
    }
  });

  test('either refuses a key or returns a path strictly inside the folder, for any key', () => {
    const piece = fc.constantFrom(
      '..',
      '.',
      '',
      'a',
      'b c',
      '\\',
      '/',
      '\\..',
      '..\\',
      '\0',
      'C:',
      '~',
      'é',
      '%2e%2e',
    );
    const key = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('/')),
      fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    fc.assert(
      fc.property(key, (k) => {
        let path: string;
        try {
          path = safeJoin(BASE, k);
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'CONTINUUM_UNSAFE_KEY');
          return;
        }
        assert.ok(path.startsWith(BASE + sep), `${JSON.stringify(k)} -> ${path}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('downloads of hostile keys', () => {
  test('refuse a file name that would leave the folder, before writing anything', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(join(root, 'storage'));
    await storage.put('data', 'ok.txt', 'fine');
    const target = join(root, 'downloads');
    mkdirSync(target);
    await assert.rejects(downloadIntoFolder(storage, 'data', 'ok.txt', target, '../escape.txt'), {
      code: 'CONTINUUM_UNSAFE_KEY',
    });
    assert.deepEqual(tree(root), [
      'downloads',
      'storage',
      join('storage', 'data'),
      join('storage', 'data', 'ok.txt'),
    ]);
  });

  test('never write outside the folder when an S3 bucket holds keys with ".." segments', async () => {
    // Such keys are legal in S3 (anyone who can write to the bucket can create them), but s3rver cannot store
    // them: this loopback server answers the two S3 calls involved at the wire, with a real ListObjectsV2 body.
    const objects: Record<string, string> = {
      'good/a.txt': 'fine',
      'x/../../escape.txt': 'escaped!',
      '../outside.txt': 'escaped!',
      '/abs.txt': 'escaped!',
    };
    const requests: string[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      if (url.pathname === '/shared-inputs/' && url.searchParams.get('list-type') === '2') {
        const contents = Object.entries(objects)
          .map(([key, body]) => `<Contents><Key>${key}</Key><Size>${body.length}</Size></Contents>`)
          .join('');
        response.setHeader('content-type', 'application/xml');
        response.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>shared-inputs</Name><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
        return;
      }
      const body = objects[decodeURIComponent(url.pathname.slice('/shared-inputs/'.length))];
      response.statusCode = body === undefined ? 404 : 200;
      response.end(body ?? '');
    });
    const loopback = await listenLoopback(server);
    try {
      const storage = createS3Storage({ client: new S3Client(s3ClientConfig(loopback.endpoint)) });
      const root = tempRoot();
      const target = join(root, 'inputs');
      mkdirSync(target);
      const refused: string[] = [];
      for await (const object of storage.list('shared-inputs')) {
        try {
          await downloadIntoFolder(storage, 'shared-inputs', object.key, target);
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'CONTINUUM_UNSAFE_KEY');
          refused.push(object.key);
        }
      }
      assert.deepEqual(refused.sort(), ['../outside.txt', '/abs.txt', 'x/../../escape.txt']);
      assert.deepEqual(tree(root), ['inputs', join('inputs', 'good'), join('inputs', 'good', 'a.txt')]);
      // The refused objects were not even fetched.
      assert.deepEqual(
        requests.filter((r) => r.startsWith('GET /shared-inputs/') && !r.includes('list-type')),
        ['GET /shared-inputs/good/a.txt?x-id=GetObject'],
      );
    } finally {
      await loopback.close();
    }
  });
});

describe('joinKey', () => {
  test('joins parts with single slashes and drops empty parts', () => {
    assert.equal(joinKey('out/', '/run-1/', 'part-00000'), 'out/run-1/part-00000');
    assert.equal(joinKey('', 'x'), 'x');
    assert.equal(joinKey('a', '', 'b'), 'a/b');
    assert.equal(joinKey(), '');
  });
});

describe('parseStoragePath', () => {
  test('splits FDL storage paths into bucket and a prefix without edge slashes', () => {
    assert.deepEqual(parseStoragePath('bucket'), { bucket: 'bucket', prefix: '' });
    assert.deepEqual(parseStoragePath('bucket/'), { bucket: 'bucket', prefix: '' });
    assert.deepEqual(parseStoragePath('bucket/prefix/sub'), { bucket: 'bucket', prefix: 'prefix/sub' });
    assert.deepEqual(parseStoragePath('/bucket/prefix/sub/'), { bucket: 'bucket', prefix: 'prefix/sub' });
    assert.deepEqual(parseStoragePath(' my-bucket/in '), { bucket: 'my-bucket', prefix: 'in' });
  });

  test('names the config path when no bucket is given', () => {
    assert.throws(() => parseStoragePath('', 'functions.thumb.input[0].path'), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message: 'functions.thumb.input[0].path: "" names no bucket (write it as "bucket" or "bucket/prefix")',
    });
    assert.throws(() => parseStoragePath('/'), { message: /^path: "\/" names no bucket/ });
  });

  test('writes the prefix in the convention the caller names: bare (no edge slashes) or folder (ending in /)', () => {
    assert.deepEqual(parseStoragePath('bucket/in/sub/', 'p', { prefix: 'bare' }), {
      bucket: 'bucket',
      prefix: 'in/sub',
    });
    assert.deepEqual(parseStoragePath('bucket/in/sub', 'p', { prefix: 'folder' }), {
      bucket: 'bucket',
      prefix: 'in/sub/',
    });
    assert.deepEqual(parseStoragePath('bucket/', 'p', { prefix: 'folder' }), {
      bucket: 'bucket',
      prefix: '',
    });
  });

  test('reads a doubled slash inside the prefix as one', () => {
    assert.deepEqual(parseStoragePath('bucket/a//b'), { bucket: 'bucket', prefix: 'a/b' });
    assert.deepEqual(parseStoragePath('bucket/a//b', 'p', { prefix: 'folder' }), {
      bucket: 'bucket',
      prefix: 'a/b/',
    });
  });

  test('refuses . or .. segments in the prefix, and when asked a bucket name S3 does not allow', () => {
    assert.throws(() => parseStoragePath('My_Bucket/in', 'custom.x.input', { bucketName: true }), {
      message: 'custom.x.input: invalid bucket name "My_Bucket" (write bucket/prefix)',
    });
    assert.throws(() => parseStoragePath('b-1/in/../x', 'functions.f.input[0].path'), {
      message: 'functions.f.input[0].path: "b-1/in/../x" has a . or .. segment (write bucket[/prefix])',
    });
    assert.throws(() => parseStoragePath('b-1/./x'), {
      message: /^path: "b-1\/\.\/x" has a \. or \.\. segment/,
    });
  });
});

describe('parseS3Url', () => {
  test('splits s3://bucket/key, keeping the key exactly as written', () => {
    assert.deepEqual(parseS3Url('s3://corpus/in/books 2024/a+b%20.txt'), {
      bucket: 'corpus',
      key: 'in/books 2024/a+b%20.txt',
    });
    assert.deepEqual(parseS3Url('s3://corpus'), { bucket: 'corpus', key: '' });
    assert.deepEqual(parseS3Url('s3://corpus/'), { bucket: 'corpus', key: '' });
    assert.deepEqual(parseS3Url('s3://corpus/prefix/'), { bucket: 'corpus', key: 'prefix/' });
  });

  test('refuses anything that is not an s3:// URL with a bucket', () => {
    for (const url of ['https://corpus.s3.amazonaws.com/a', 's3:///key', 'corpus/key', '']) {
      assert.throws(() => parseS3Url(url), {
        code: 'CONTINUUM_INVALID_CONFIG',
        message: `${JSON.stringify(url)} is not an s3://bucket/key URL`,
      });
    }
  });
});
