// runScriptInFolder: the run both local runners share (container-lambda's supervisor, oscar-target's local runner).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScriptInFolder, type FolderRun, type PlannedUpload } from '@serverless-continuum/core/local';

function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'core-folder-run-'));
  const path = join(dir, 'script.sh');
  writeFileSync(path, body);
  chmodSync(path, 0o644);
  return path;
}

function run(overrides: Partial<FolderRun> & Pick<FolderRun, 'script'>): FolderRun {
  return {
    cwd: tmpdir(),
    tmpRoot: tmpdir(),
    environment: async ({ inputDir, outputDir, inputPath }) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TMP_INPUT_DIR: inputDir,
      TMP_OUTPUT_DIR: outputDir,
      ...(inputPath ? { INPUT_FILE_PATH: inputPath } : {}),
    }),
    outputs: [{ bucket: 'b', prefix: 'out', suffix: ['.txt'] }],
    publish: async () => undefined,
    subject: 'the test',
    now: () => Date.now(),
    log: () => undefined,
    ...overrides,
  };
}

describe('runScriptInFolder', () => {
  test('places the input, runs the script, and hands over the files the outputs take while they exist', async () => {
    let handed: Array<PlannedUpload & { content: string }> = [];
    let folder = '';
    const result = await runScriptInFolder(
      run({
        script: script(
          'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/copy.txt"\necho skip > "$TMP_OUTPUT_DIR/x.log"\n',
        ),
        input: { name: 'in put.txt', place: async (path) => writeFileSync(path, 'IN') },
        publish: async (plan) => {
          handed = plan.map((upload) => ({ ...upload, content: readFileSync(upload.file, 'utf8') }));
          folder = plan[0]!.file;
        },
      }),
    );
    assert.equal(result.script.exitCode, 0);
    assert.deepEqual(
      handed.map(({ bucket, key, relativePath, content }) => ({ bucket, key, relativePath, content })),
      [{ bucket: 'b', key: 'out/copy.txt', relativePath: 'copy.txt', content: 'IN' }],
    );
    assert.deepEqual(
      result.published.map((upload) => upload.key),
      ['out/copy.txt'],
    );
    assert.equal(existsSync(folder), false, 'the run folder is removed afterwards');
  });

  test('a failing script hands nothing over', async () => {
    let called = false;
    const result = await runScriptInFolder(
      run({
        script: script('echo x > "$TMP_OUTPUT_DIR/x.txt"\nexit 4\n'),
        publish: async () => {
          called = true;
        },
      }),
    );
    assert.equal(result.script.exitCode, 4);
    assert.deepEqual(result.published, []);
    assert.equal(called, false);
  });

  test('an input name that would leave the input folder is refused before anything runs', async () => {
    let placed = false;
    await assert.rejects(
      runScriptInFolder(
        run({
          script: script('true\n'),
          input: { name: '../escape.txt', place: async () => void (placed = true) },
        }),
      ),
      (error: unknown) => (error as { code?: string }).code === 'CONTINUUM_UNSAFE_KEY',
    );
    assert.equal(placed, false);
  });
});
