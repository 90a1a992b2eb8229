// `sls container ls / get` and the cloud `run`: an output on MinIO, WebDAV or Onedata is written by the supervisor
// but is not S3, so the commands that read outputs back from S3 leave it out and say so.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import { createLocalStorage } from '@serverless-continuum/core/storage';
import type { ResolvedContainerFunction } from '../../src/config';
import { runInCloud } from '../../src/commands/run';
import { getOutputs, listLines } from '../../src/commands/storage';

const binding = (over: Partial<ResolvedBinding>): ResolvedBinding => ({
  storage: 's3',
  bucket: 'images',
  prefix: '',
  suffix: [],
  prefixFilter: [],
  existing: false,
  ...over,
});

function fn(outputs: ResolvedBinding[]): ResolvedContainerFunction {
  return {
    name: 'thumb',
    inputs: [binding({ prefix: 'in' })],
    outputs,
  } as unknown as ResolvedContainerFunction;
}

describe('outputs that are not S3', () => {
  test('ls names them without listing them, and lists the S3 ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'continuum-ls-'));
    try {
      const storage = createLocalStorage(root);
      await storage.put('images', 'out/a.png', Buffer.from('png'));
      const lines = await listLines(
        storage,
        fn([
          binding({ prefix: 'out' }),
          binding({ storage: 'minio.lab', bucket: 'results', prefix: 'thumbs' }),
        ]),
      );
      assert.deepEqual(
        lines.filter((line) => !line.startsWith('  ')),
        [
          'input s3://images/in/ (0 objects)',
          'output s3://images/out/ (1 objects)',
          'output minio.lab:results/thumbs (not S3: not listed here)',
        ],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('get downloads only the S3 outputs, into the folder itself when there is one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'continuum-get-'));
    try {
      const storage = createLocalStorage(join(root, 'store'));
      await storage.put('images', 'out/a.png', Buffer.from('png'));
      const written = await getOutputs(
        storage,
        fn([binding({ prefix: 'out' }), binding({ storage: 'webdav.dcache', bucket: 'data', prefix: 'x' })]),
        join(root, 'got'),
      );
      assert.deepEqual(written, ['a.png']);
      assert.equal(readFileSync(join(root, 'got', 'a.png'), 'utf8'), 'png');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a cloud run of a function whose outputs are all elsewhere is refused before anything is uploaded', async () => {
    const root = mkdtempSync(join(tmpdir(), 'continuum-run-'));
    try {
      const storage = createLocalStorage(root);
      await assert.rejects(
        runInCloud(
          storage,
          fn([binding({ storage: 'minio.lab', bucket: 'results' })]),
          join(root, 'x'),
          join(root, 'out'),
          { waitSeconds: 1 },
        ),
        /functions\.thumb\.output: the function has no S3 output to wait for/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
