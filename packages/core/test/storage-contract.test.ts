// One behavioural specification of the Storage interface, run against both adapters:
// `s3` against a real s3rver on a free loopback port, and `local` against a temporary folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import {
  createLocalStorage,
  createS3Storage,
  readAll,
  type Storage,
} from '@serverless-continuum/core/storage';
import { createBucket, startS3rver, type LocalService } from '../../../test/harness/services';

interface Adapter {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A storage and an empty bucket on it, fresh for one test. */
  freshBucket(): Promise<{ storage: Storage; bucket: string }>;
  /** The store keeps object versions (S3: an unversioned bucket's objects are version "null"). */
  keepsVersions: boolean;
  /** The store refuses a read whose If-Match no longer holds (s3rver 3.7 ignores If-Match). */
  checksIfMatch: boolean;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Deterministic pseudo-random bytes, so a failing range can be reproduced. */
function patternBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, fragment: string): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code);
    assert.ok(error.message.includes(fragment), `"${error.message}" should mention ${fragment}`);
    return true;
  });
}

const UNICODE_KEYS = [
  'dossier à/été 2024/naïve file ✓.txt',
  'emoji/🧪 results 🚀.csv',
  'plus/a+b',
  'percent/%20 literally',
  'spaces/ leading and trailing ',
  'quotes/"double" and \'single\'.txt',
  'symbols/#hash?query=1&and;semi',
];

function storageContract(adapter: Adapter): void {
  describe(`${adapter.name} storage`, () => {
    before(() => adapter.setUp());
    after(() => adapter.tearDown());

    test('returns what was put, for buffers, strings, byte arrays and streams', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'buffer.bin', Buffer.from([0, 1, 2, 255]));
      await storage.put(bucket, 'text.txt', 'héllo\n');
      await storage.put(bucket, 'bytes.bin', new Uint8Array([9, 8, 7]));
      await storage.put(bucket, 'stream.txt', Readable.from([Buffer.from('one '), Buffer.from('two')]));
      await storage.put(bucket, 'empty', Buffer.alloc(0));
      assert.deepEqual(await storage.getBytes(bucket, 'buffer.bin'), Buffer.from([0, 1, 2, 255]));
      assert.equal((await storage.getBytes(bucket, 'text.txt')).toString('utf8'), 'héllo\n');
      assert.deepEqual(await storage.getBytes(bucket, 'bytes.bin'), Buffer.from([9, 8, 7]));
      assert.equal((await readAll(await storage.get(bucket, 'stream.txt'))).toString(), 'one two');
      assert.equal((await storage.getBytes(bucket, 'empty')).length, 0);
    });

    test('replaces an object that is put again', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'result.json', '{"v":1,"long":"xxxxxxxxxxxxxxxx"}');
      await storage.put(bucket, 'result.json', '{"v":2}');
      assert.equal((await storage.getBytes(bucket, 'result.json')).toString(), '{"v":2}');
      assert.equal((await storage.head(bucket, 'result.json'))?.size, 7);
    });

    test('reads any byte range [start, end) exactly as the same slice of the object', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      const size = 64 * 1024 + 7;
      const data = patternBytes(size, 42);
      await storage.put(bucket, 'ranges.bin', data);
      const slice = async (start: number, end?: number): Promise<void> => {
        const got = await storage.getBytes(
          bucket,
          'ranges.bin',
          end === undefined ? { start } : { start, end },
        );
        assert.deepEqual(got, data.subarray(start, end), `range ${start}-${end}`);
      };
      // The edges, explicitly: first byte, last byte, single bytes, open end, the whole object.
      await slice(0, 1);
      await slice(size - 1, size);
      await slice(size - 1);
      await slice(0);
      await slice(0, size);
      await slice(12345, 12346);
      await slice(100, 100);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: size - 1 }),
          fc.integer({ min: 0, max: size }),
          async (a, b) => slice(Math.min(a, b), Math.max(a, b)),
        ),
        { numRuns: 60 },
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: size - 1 }), async (start) => slice(start, start + 1)),
        { numRuns: 30 },
      );
    });

    test('reads a range running past the end up to the end, and one starting past the end as empty', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'short.txt', 'abcdef');
      assert.equal((await storage.getBytes(bucket, 'short.txt', { start: 4, end: 100 })).toString(), 'ef');
      assert.equal((await storage.getBytes(bucket, 'short.txt', { start: 6 })).length, 0);
      assert.equal((await storage.getBytes(bucket, 'short.txt', { start: 50, end: 60 })).length, 0);
    });

    test('refuses a negative or fractional range', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'x.txt', 'abc');
      await rejectsWithCode(
        storage.get(bucket, 'x.txt', { start: -1, end: 2 }),
        'CONTINUUM_STORAGE',
        'x.txt',
      );
      await rejectsWithCode(
        storage.get(bucket, 'x.txt', { start: 0.5 }),
        'CONTINUUM_STORAGE',
        'whole numbers',
      );
    });

    test('lists more than 1,000 keys across pages, each once, in key order', async (t) => {
      const { storage, bucket } = await adapter.freshBucket();
      const keys = Array.from({ length: 1205 }, (_, i) => `many/item-${String(i).padStart(5, '0')}.txt`);
      // Inserted out of order, plus neighbours outside the prefix that must not show up.
      const shuffled = [...keys].sort((a, b) =>
        a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1,
      );
      await inParallel(shuffled, 16, (key) => storage.put(bucket, key, key));
      await storage.put(bucket, 'manx', 'outside');
      await storage.put(bucket, 'other/item.txt', 'outside');
      const listing = process.hrtime.bigint();
      const listed = await collect(storage.list(bucket, 'many/'));
      t.diagnostic(`listed 1,205 keys in ${(Number(process.hrtime.bigint() - listing) / 1e6).toFixed(0)} ms`);
      assert.equal(listed.length, 1205);
      assert.deepEqual(
        listed.map((o) => o.key),
        keys,
      );
      assert.equal(listed[0]?.size, 'many/item-00000.txt'.length);
      assert.equal((await collect(storage.list(bucket))).length, 1207);
    });

    test('lists by plain string prefix, including prefixes that end inside a name', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      for (const key of [
        'logs/2024-01/a',
        'logs/2024-02/b',
        'logs/2024-10/c',
        'logs/2025-01/d',
        'logsheet',
        'z',
      ])
        await storage.put(bucket, key, 'x');
      const keysUnder = async (prefix?: string) =>
        (await collect(storage.list(bucket, prefix))).map((o) => o.key);
      assert.deepEqual(await keysUnder('logs/2024-0'), ['logs/2024-01/a', 'logs/2024-02/b']);
      assert.deepEqual(await keysUnder('logs/2024'), ['logs/2024-01/a', 'logs/2024-02/b', 'logs/2024-10/c']);
      assert.deepEqual(await keysUnder('logs'), [
        'logs/2024-01/a',
        'logs/2024-02/b',
        'logs/2024-10/c',
        'logs/2025-01/d',
        'logsheet',
      ]);
      assert.deepEqual(await keysUnder('nothing/'), []);
      assert.deepEqual(await keysUnder(''), [
        'logs/2024-01/a',
        'logs/2024-02/b',
        'logs/2024-10/c',
        'logs/2025-01/d',
        'logsheet',
        'z',
      ]);
    });

    test('keeps unicode, spaces, plus and percent signs in keys exactly', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      for (const key of UNICODE_KEYS) await storage.put(bucket, key, `content of ${key}`);
      for (const key of UNICODE_KEYS) {
        assert.equal((await storage.getBytes(bucket, key)).toString(), `content of ${key}`, key);
        assert.equal((await storage.head(bucket, key))?.size, Buffer.byteLength(`content of ${key}`), key);
      }
      const listed = (await collect(storage.list(bucket))).map((o) => o.key);
      assert.deepEqual([...listed].sort(), [...UNICODE_KEYS].sort());
      assert.deepEqual(
        (await collect(storage.list(bucket, 'dossier à/été'))).map((o) => o.key),
        ['dossier à/été 2024/naïve file ✓.txt'],
      );
      // `a+b` and `a b` are different objects, as are `%20` and a space.
      assert.equal(await storage.head(bucket, 'plus/a b'), undefined);
      assert.equal(await storage.head(bucket, 'percent/  literally'), undefined);
    });

    test('reports size on head, and undefined for an absent object', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'present.txt', '12345');
      const info = await storage.head(bucket, 'present.txt');
      assert.equal(info?.key, 'present.txt');
      assert.equal(info?.size, 5);
      assert.ok(info?.lastModified instanceof Date);
      assert.equal(await storage.head(bucket, 'absent.txt'), undefined);
      assert.equal(await storage.head(bucket, 'present.txt/below'), undefined);
    });

    test('rejects get of an absent object with CONTINUUM_NOT_FOUND naming the key', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await rejectsWithCode(
        storage.get(bucket, 'missing/input file.csv'),
        'CONTINUUM_NOT_FOUND',
        'missing/input file.csv',
      );
      await rejectsWithCode(
        storage.getBytes(bucket, 'missing/x', { start: 0, end: 3 }),
        'CONTINUUM_NOT_FOUND',
        'missing/x',
      );
    });

    test('reads a range pinned to the ETag S3 gives a one-part upload (the MD5 of the content), quoted or not', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'pinned.txt', 'the quick brown fox');
      const etag = createHash('md5').update('the quick brown fox').digest('hex');
      assert.equal(
        (await storage.getBytes(bucket, 'pinned.txt', { start: 4, end: 9 }, { ifMatch: etag })).toString(),
        'quick',
      );
      assert.equal(
        (
          await readAll(await storage.get(bucket, 'pinned.txt', undefined, { ifMatch: `"${etag}"` }))
        ).toString(),
        'the quick brown fox',
      );
    });

    test('refuses a read pinned to an ETag the object no longer has, with CONTINUUM_PRECONDITION_FAILED', async (t) => {
      if (!adapter.checksIfMatch) {
        t.skip('s3rver ignores If-Match: storage-s3.test.ts checks the header and the 412 at the wire');
        return;
      }
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'input.txt', 'first upload');
      const etag = createHash('md5').update('first upload').digest('hex');
      await storage.put(bucket, 'input.txt', 'second upload');
      await rejectsWithCode(
        storage.getBytes(bucket, 'input.txt', { start: 0, end: 5 }, { ifMatch: etag }),
        'CONTINUUM_PRECONDITION_FAILED',
        'input.txt',
      );
    });

    test('reads a pinned version where the store keeps versions, and refuses the pin where it keeps none', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'versioned.txt', 'v1 content');
      const read = storage.getBytes(bucket, 'versioned.txt', { start: 0, end: 2 }, { versionId: 'null' });
      if (adapter.keepsVersions) assert.equal((await read).toString(), 'v1');
      else await rejectsWithCode(read, 'CONTINUUM_UNSUPPORTED', 'keeps no versions');
    });

    test('deletes idempotently: twice, or an object that never existed', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      await storage.put(bucket, 'doomed.txt', 'x');
      await storage.put(bucket, 'kept.txt', 'y');
      await storage.delete(bucket, 'doomed.txt');
      await storage.delete(bucket, 'doomed.txt');
      await storage.delete(bucket, 'never/existed.txt');
      assert.equal(await storage.head(bucket, 'doomed.txt'), undefined);
      assert.deepEqual(
        (await collect(storage.list(bucket))).map((o) => o.key),
        ['kept.txt'],
      );
    });

    test('deletes many objects at once, ignoring absent ones', async () => {
      const { storage, bucket } = await adapter.freshBucket();
      const keys = Array.from({ length: 30 }, (_, i) => `tmp/${i}`);
      for (const key of keys) await storage.put(bucket, key, 'x');
      await storage.put(bucket, 'keep', 'x');
      assert.ok(storage.deleteMany, 'both adapters implement deleteMany');
      await storage.deleteMany(bucket, [...keys, 'tmp/absent']);
      assert.deepEqual(
        (await collect(storage.list(bucket))).map((o) => o.key),
        ['keep'],
      );
    });
  });
}

let bucketCount = 0;

let s3: LocalService | undefined;
let s3Storage: Storage | undefined;
storageContract({
  name: 's3',
  keepsVersions: true,
  checksIfMatch: false,
  async setUp() {
    s3 = await startS3rver();
    s3Storage = createS3Storage({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  },
  async tearDown() {
    await s3?.close();
  },
  async freshBucket() {
    assert.ok(s3 && s3Storage);
    const bucket = `contract-${++bucketCount}`;
    await createBucket(s3.endpoint, bucket);
    return { storage: s3Storage, bucket };
  },
});

let localRoot: string | undefined;
storageContract({
  name: 'local',
  keepsVersions: false,
  checksIfMatch: true,
  async setUp() {
    localRoot = mkdtempSync(join(tmpdir(), 'continuum-local-storage-'));
  },
  async tearDown() {
    if (localRoot) rmSync(localRoot, { recursive: true, force: true });
  },
  async freshBucket() {
    assert.ok(localRoot);
    return { storage: createLocalStorage(localRoot), bucket: `contract-${++bucketCount}` };
  },
});
