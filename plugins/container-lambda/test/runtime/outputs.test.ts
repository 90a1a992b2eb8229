import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import { assertCreatedInside, listOutputFiles, planUploads } from '@serverless-continuum/core/local';

describe('outputs', () => {
  test('lists regular files recursively with relative paths and never follows symbolic links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-outputs-'));
    try {
      mkdirSync(join(dir, 'sub/deeper'), { recursive: true });
      writeFileSync(join(dir, 'a.png'), 'a');
      writeFileSync(join(dir, 'sub/deeper/b.png'), 'b');
      symlinkSync('/etc/passwd', join(dir, 'stolen.png'));
      symlinkSync('/etc', join(dir, 'etc'));
      assert.deepEqual(await listOutputFiles(dir), ['a.png', 'sub/deeper/b.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses to publish a file with more than one hard link, naming it and saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-outputs-'));
    try {
      const outputDir = join(dir, 'output');
      mkdirSync(outputDir);
      writeFileSync(join(dir, 'outside.txt'), 'elsewhere');
      writeFileSync(join(outputDir, 'own.png'), 'own');
      const binding: StorageBindingRuntime = { storage: 's3', bucket: 'b', prefix: '', suffix: [] };
      await assertCreatedInside(planUploads([binding], outputDir, ['own.png']));
      linkSync(join(dir, 'outside.txt'), join(outputDir, 'linked.png'));
      await assert.rejects(
        assertCreatedInside(planUploads([binding], outputDir, await listOutputFiles(outputDir))),
        {
          code: 'CONTINUUM_UNSAFE_OUTPUT',
          message:
            'TMP_OUTPUT_DIR/linked.png has 2 hard links: only files created in TMP_OUTPUT_DIR are uploaded ' +
            '(a hard link may be a file from elsewhere); copy it instead',
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('each file goes to <output prefix>/<relative path> of every output whose filters it passes', () => {
    const outputs: StorageBindingRuntime[] = [
      { storage: 's3', bucket: 'data', prefix: 'out', suffix: ['.png'] },
      { storage: 's3', bucket: 'logs', prefix: '', suffix: ['.log'] },
    ];
    const plan = planUploads(outputs, '/tmp/o', ['a.png', 'run.log', 'sub/b.png', 'notes.txt']);
    assert.deepEqual(
      plan.map((p) => `${p.bucket}/${p.key} <- ${p.file}`),
      [
        'data/out/a.png <- /tmp/o/a.png',
        'data/out/sub/b.png <- /tmp/o/sub/b.png',
        'logs/run.log <- /tmp/o/run.log',
      ],
    );
  });
});
