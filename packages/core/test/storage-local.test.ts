// What only the local adapter (and the file transfers) must guarantee: no half-written object or file is ever
// visible, and no key, bucket name or symbolic link leads outside the storage folder.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  createLocalStorage,
  downloadToFile,
  PART_SIZE,
  uploadFile,
  type ObjectInfo,
} from '@serverless-continuum/core/storage';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'continuum-local-'));
  roots.push(root);
  return root;
}

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

async function keys(items: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item.key);
  return out;
}

/** A stream that sends `first`, then waits for `release()` before sending `rest` (or failing). */
function gatedStream(first: string, rest: string | Error) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let sentFirst!: () => void;
  const firstSent = new Promise<void>((resolve) => (sentFirst = resolve));
  const stream = Readable.from(
    (async function* () {
      yield Buffer.from(first);
      sentFirst();
      await gate;
      if (rest instanceof Error) throw rest;
      yield Buffer.from(rest);
    })(),
  );
  return { stream, release, firstSent };
}

describe('local storage writes', () => {
  test('readers see the old object, never a half-written one, until the new one is complete', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(root);
    await storage.put('results', 'part-00000', 'old result\n');
    const slow = gatedStream('new res', 'ult, complete\n');
    const writing = storage.put('results', 'part-00000', slow.stream);
    await slow.firstSent;
    assert.equal((await storage.getBytes('results', 'part-00000')).toString(), 'old result\n');
    assert.equal((await storage.head('results', 'part-00000'))?.size, 11);
    assert.deepEqual(await keys(storage.list('results')), ['part-00000'], 'the temporary file is not listed');
    slow.release();
    await writing;
    assert.equal((await storage.getBytes('results', 'part-00000')).toString(), 'new result, complete\n');
  });

  test('publishes nothing and leaves no temporary file when the body fails halfway', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(root);
    await storage.put('results', 'kept.txt', 'previous');
    const failing = gatedStream('half of it', new Error('worker crashed'));
    const writing = storage.put('results', 'out/part-00001', failing.stream);
    failing.release();
    await assert.rejects(writing, {
      code: 'CONTINUUM_STORAGE',
      message: 'could not write local://results/out/part-00001: worker crashed',
    });
    assert.equal(await storage.head('results', 'out/part-00001'), undefined);
    assert.deepEqual(tree(join(root, 'results')), ['kept.txt', 'out']);
  });

  test('cannot hold both a key and keys below it, and says so', async () => {
    const storage = createLocalStorage(tempRoot());
    await storage.put('data', 'a', 'file');
    await assert.rejects(storage.put('data', 'a/b', 'below'), {
      code: 'CONTINUUM_STORAGE',
      message: /^could not write local:\/\/data\/a\/b \(a key is also used as a folder\)/,
    });
  });

  test('skips stray temporary files and symbolic links when listing', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(root);
    await storage.put('data', 'in/a.txt', 'a');
    writeFileSync(join(root, 'data', 'in', '.b.txt.continuum-tmp-0123456789abcdef'), 'interrupted');
    const outside = tempRoot();
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(root, 'data', 'in', 'linked-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'data', 'in', 'linked-file'));
    assert.deepEqual(await keys(storage.list('data')), ['in/a.txt']);
  });
});

describe('local storage refuses to leave its folder', () => {
  test('through keys or bucket names', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(join(root, 'storage'));
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a\0b', '..\\x']) {
      await assert.rejects(storage.put('data', key, 'x'), { code: 'CONTINUUM_UNSAFE_KEY' }, key);
      await assert.rejects(storage.get('data', key), { code: 'CONTINUUM_UNSAFE_KEY' }, key);
      await assert.rejects(storage.head('data', key), { code: 'CONTINUUM_UNSAFE_KEY' }, key);
      await assert.rejects(storage.delete('data', key), { code: 'CONTINUUM_UNSAFE_KEY' }, key);
    }
    for (const bucket of ['..', 'a/b', '../data', '']) {
      await assert.rejects(storage.put(bucket, 'x.txt', 'x'), { code: 'CONTINUUM_UNSAFE_KEY' }, bucket);
    }
    assert.deepEqual(await keys(storage.list('data', '../')), []);
    assert.deepEqual(tree(root), []);
  });

  test('through a folder that is a symbolic link to somewhere else', async () => {
    const root = tempRoot();
    const outside = tempRoot();
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    mkdirSync(join(root, 'data'));
    symlinkSync(outside, join(root, 'data', 'link'));
    const storage = createLocalStorage(root);
    const refused = { code: 'CONTINUUM_UNSAFE_KEY', message: /a folder on its path links to / };
    await assert.rejects(storage.get('data', 'link/secret.txt'), refused);
    await assert.rejects(storage.put('data', 'link/secret.txt', 'overwritten'), refused);
    await assert.rejects(storage.put('data', 'link/new/deep.txt', 'planted'), refused);
    await assert.rejects(storage.delete('data', 'link/secret.txt'), refused);
    assert.deepEqual(tree(outside), ['secret.txt']);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret');
  });
});

describe('file transfers', () => {
  test('upload a small and a multi-part-sized file and download them back byte for byte', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(join(root, 'storage'));
    const small = join(root, 'small.csv');
    const big = join(root, 'big.bin');
    writeFileSync(small, 'x,y\n1,2\n');
    writeFileSync(big, randomBytes(PART_SIZE + 12345));
    await uploadFile(storage, 'data', 'in/small.csv', small);
    await uploadFile(storage, 'data', 'in/big.bin', big);
    await downloadToFile(storage, 'data', 'in/small.csv', join(root, 'back', 'small.csv'));
    await downloadToFile(storage, 'data', 'in/big.bin', join(root, 'back', 'nested', 'big.bin'));
    assert.deepEqual(readFileSync(join(root, 'back', 'small.csv')), readFileSync(small));
    assert.deepEqual(readFileSync(join(root, 'back', 'nested', 'big.bin')), readFileSync(big));
    assert.deepEqual(tree(join(root, 'back')), ['nested', join('nested', 'big.bin'), 'small.csv']);
  });

  test('a failed download leaves the previous file untouched and no temporary file', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(join(root, 'storage'));
    const target = join(root, 'out', 'result.txt');
    mkdirSync(join(root, 'out'));
    writeFileSync(target, 'previous');
    await assert.rejects(downloadToFile(storage, 'data', 'missing.txt', target), {
      code: 'CONTINUUM_NOT_FOUND',
      message: 'object local://data/missing.txt not found',
    });
    assert.equal(readFileSync(target, 'utf8'), 'previous');
    assert.deepEqual(tree(join(root, 'out')), ['result.txt']);
  });

  test('uploading a missing file names the file', async () => {
    const root = tempRoot();
    const storage = createLocalStorage(root);
    const missing = join(root, 'nope.csv');
    await assert.rejects(
      uploadFile(storage, 'data', 'in/nope.csv', missing),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTINUUM_NOT_FOUND');
        assert.ok(error.message.startsWith(`cannot upload ${missing} to data/in/nope.csv: `), error.message);
        return true;
      },
    );
  });
});
