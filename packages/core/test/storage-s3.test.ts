// What only the s3 adapter does: multipart streaming of big objects, aborting failed uploads, and naming
// buckets and keys in errors. Runs against a real s3rver on a free loopback port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Storage, PART_SIZE, type Storage } from '@serverless-continuum/core/storage';
import { s3ClientConfig as coreS3ClientConfig } from '../src/storage/s3';
import {
  createBucket,
  S3RVER_CREDENTIALS,
  s3ClientConfig,
  startS3rver,
  type LocalService,
} from '../../../test/harness/services';
import { listenLoopback, type Loopback } from '../../../test/harness/loopback';

const MiB = 1024 * 1024;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function sha256Of(stream: Readable): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), bytes };
}

/** `size` random bytes as a stream of 1 MiB chunks; the hash of what was produced is in `digest()`. */
function randomStream(size: number): { stream: Readable; digest(): string } {
  const hash = createHash('sha256');
  const stream = Readable.from(
    (function* () {
      for (let left = size; left > 0; left -= MiB) {
        const chunk = randomBytes(Math.min(MiB, left));
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
  return { stream, digest: () => hash.digest('hex') };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('s3 storage against s3rver', () => {
  let s3: LocalService;
  let storage: Storage;
  let commands: string[] = [];
  const bucket = 'science-data';

  before(async () => {
    s3 = await startS3rver({ buckets: [bucket] });
    const client = new S3Client(s3ClientConfig(s3.endpoint));
    // Records the S3 operations the adapter really sends.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    storage = createS3Storage({ client });
  });
  after(() => s3.close());

  test('streams a 50 MB object through multipart put and get with the same SHA-256', async (t) => {
    const size = 50 * MiB;
    const source = randomStream(size);
    commands = [];
    const started = process.hrtime.bigint();
    await storage.put(bucket, 'big/simulation output.bin', source.stream);
    const uploaded = process.hrtime.bigint();
    assert.deepEqual(
      [...new Set(commands)],
      ['CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'],
    );
    assert.equal(commands.filter((c) => c === 'UploadPartCommand').length, Math.ceil(size / PART_SIZE));
    const info = await storage.head(bucket, 'big/simulation output.bin');
    assert.equal(info?.size, size);
    const read = await sha256Of(await storage.get(bucket, 'big/simulation output.bin'));
    const downloaded = process.hrtime.bigint();
    assert.equal(read.bytes, size);
    assert.equal(read.hash, source.digest());
    const ms = (from: bigint, to: bigint): string => (Number(to - from) / 1e6).toFixed(0);
    t.diagnostic(`50 MiB put ${ms(started, uploaded)} ms, get ${ms(uploaded, downloaded)} ms`);
  });

  test('sends a small body as one PutObject', async () => {
    commands = [];
    await storage.put(bucket, 'small/params.json', '{"alpha":0.5}');
    assert.deepEqual(commands, ['PutObjectCommand']);
  });

  test('reads ranges that straddle multipart part boundaries', async () => {
    const data = randomBytes(PART_SIZE * 2 + 1000);
    await storage.put(bucket, 'big/parts.bin', Readable.from([data]));
    for (const [start, end] of [
      [PART_SIZE - 3, PART_SIZE + 3],
      [PART_SIZE, PART_SIZE + 1],
      [PART_SIZE - 1, PART_SIZE],
      [2 * PART_SIZE - 10, 2 * PART_SIZE + 1000],
      [0, 1],
    ] as const) {
      assert.deepEqual(
        await storage.getBytes(bucket, 'big/parts.bin', { start, end }),
        data.subarray(start, end),
      );
    }
  });

  test('publishes nothing when a streamed upload fails halfway', async () => {
    const failing = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield randomBytes(MiB);
        throw new Error('simulation crashed');
      })(),
    );
    await assert.rejects(
      storage.put(bucket, 'partial/result.bin', failing),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTINUUM_STORAGE');
        assert.ok(error.message.includes('s3://science-data/partial/result.bin'), error.message);
        return true;
      },
    );
    assert.ok(commands.includes('AbortMultipartUploadCommand'), commands.join());
    assert.equal(await storage.head(bucket, 'partial/result.bin'), undefined);
    assert.deepEqual(await collect(storage.list(bucket, 'partial/')), []);
  });

  test('names the missing bucket in CONTINUUM_NOT_FOUND', async () => {
    await assert.rejects(storage.get('no-such-bucket', 'a.txt'), {
      code: 'CONTINUUM_NOT_FOUND',
      message: 'bucket "no-such-bucket" does not exist (read s3://no-such-bucket/a.txt)',
    });
    await assert.rejects(storage.put('no-such-bucket', 'a.txt', 'x'), {
      code: 'CONTINUUM_NOT_FOUND',
      message: 'bucket "no-such-bucket" does not exist (write s3://no-such-bucket/a.txt)',
    });
    await assert.rejects(collect(storage.list('no-such-bucket', 'in/')), {
      code: 'CONTINUUM_NOT_FOUND',
      message: 'bucket "no-such-bucket" does not exist (list s3://no-such-bucket/in/)',
    });
  });

  test('works with only endpoint and path-style given, as the plugins configure it', async () => {
    await createBucket(s3.endpoint, 'plugin-bucket');
    const plain = createS3Storage({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    await plain.put('plugin-bucket', 'in/photo.jpg', Buffer.from('jpeg'));
    assert.equal((await plain.getBytes('plugin-bucket', 'in/photo.jpg')).toString(), 'jpeg');
  });

  test('reports an unreachable endpoint as CONTINUUM_STORAGE naming the object', async () => {
    const port = await freePort();
    const unreachable = createS3Storage({
      client: new S3Client({ ...s3ClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 1 }),
    });
    await assert.rejects(unreachable.getBytes('data', 'input/x.csv'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONTINUUM_STORAGE');
      assert.ok(error.message.startsWith('could not read s3://data/input/x.csv: '), error.message);
      return true;
    });
  });
});

describe('s3 storage reads pinned to a version or an ETag, at the wire', () => {
  // s3rver keeps no versions and ignores If-Match: a loopback server answers as S3 documents instead.
  const seen: Array<{ url: string; ifMatch: string | undefined; range: string | undefined }> = [];
  let wire: Loopback;
  let storage: Storage;
  const s3Error = (code: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;

  before(async () => {
    wire = await listenLoopback(
      createHttpServer((req, res) => {
        seen.push({ url: req.url ?? '', ifMatch: req.headers['if-match'], range: req.headers.range });
        const [code, status] = req.url?.includes('versionId=gone')
          ? ['NoSuchVersion', 404]
          : req.headers['if-match'] === '"stale"'
            ? ['PreconditionFailed', 412]
            : [undefined, 206];
        if (code) {
          res.writeHead(status as number, { 'content-type': 'application/xml' }).end(s3Error(code));
          return;
        }
        res.writeHead(206, { 'content-range': 'bytes 0-1/10', 'content-length': '2' }).end('ok');
      }),
    );
    storage = createS3Storage({
      client: new S3Client({ ...s3ClientConfig(wire.endpoint), maxAttempts: 1 }),
    });
  });
  after(() => wire.close());

  test('sends VersionId as the versionId query and If-Match quoted, beside the Range', async () => {
    seen.length = 0;
    await storage.getBytes('corpus', 'in/big.txt', { start: 0, end: 2 }, { versionId: 'v 1' });
    await storage.getBytes('corpus', 'in/big.txt', { start: 0, end: 2 }, { ifMatch: 'abc' });
    await storage.getBytes('corpus', 'in/big.txt', { start: 0, end: 2 }, { ifMatch: '"abc"' });
    assert.deepEqual(seen, [
      { url: '/corpus/in/big.txt?versionId=v%201&x-id=GetObject', ifMatch: undefined, range: 'bytes=0-1' },
      { url: '/corpus/in/big.txt?x-id=GetObject', ifMatch: '"abc"', range: 'bytes=0-1' },
      { url: '/corpus/in/big.txt?x-id=GetObject', ifMatch: '"abc"', range: 'bytes=0-1' },
    ]);
  });

  test("maps S3's 412 to CONTINUUM_PRECONDITION_FAILED and NoSuchVersion to CONTINUUM_NOT_FOUND", async () => {
    await assert.rejects(
      storage.getBytes('corpus', 'in/big.txt', { start: 0, end: 2 }, { ifMatch: 'stale' }),
      {
        code: 'CONTINUUM_PRECONDITION_FAILED',
        message: 'object s3://corpus/in/big.txt changed (read pinned to an ETag)',
      },
    );
    await assert.rejects(storage.getBytes('corpus', 'in/big.txt', undefined, { versionId: 'gone' }), {
      code: 'CONTINUUM_NOT_FOUND',
      message: 'object s3://corpus/in/big.txt not found (no such version)',
    });
  });
});

describe('s3 storage over https with a self-signed certificate', () => {
  let s3: LocalService | undefined;
  let skip: string | undefined;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-tls-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ]),
        { stdio: 'ignore' },
      );
      const tls = {
        key: readFileSync(join(dir, 'key.pem'), 'utf8'),
        cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      };
      s3 = await startS3rver({ buckets: ['private-cloud'], tls });
    } catch (error) {
      skip = `openssl could not make a certificate: ${(error as Error).message}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  after(() => s3?.close());

  const options = () => ({ endpoint: s3?.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });

  test('refuses the certificate by default', async (t) => {
    if (skip) return t.skip(skip);
    await assert.rejects(
      createS3Storage(options()).put('private-cloud', 'a.txt', 'x'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTINUUM_STORAGE');
        assert.match(
          error.message,
          /^could not write s3:\/\/private-cloud\/a\.txt: .*(self-signed|certificate)/i,
        );
        return true;
      },
    );
  });

  test('accepts it when the user turns tlsVerify off', async (t) => {
    if (skip) return t.skip(skip);
    const storage = createS3Storage({ ...options(), tlsVerify: false });
    await storage.put('private-cloud', 'a.txt', 'over tls');
    assert.equal((await storage.getBytes('private-cloud', 'a.txt')).toString(), 'over tls');
  });
});

test('addresses an S3-compatible endpoint path-style unless told otherwise, and AWS S3 as the SDK does', () => {
  assert.equal(coreS3ClientConfig({ endpoint: 'http://127.0.0.1:9000' }).forcePathStyle, true);
  assert.equal(
    coreS3ClientConfig({ endpoint: 'https://s3.example.org', forcePathStyle: false }).forcePathStyle,
    false,
  );
  assert.equal(coreS3ClientConfig({}).forcePathStyle, undefined);
});
