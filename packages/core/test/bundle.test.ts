// Bundling runtime handlers with esbuild, and packing them into deterministic Lambda zips.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundle, bundleZip } from '@serverless-continuum/core/bundle';
import { readZip } from '../../../test/harness/zip';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A temporary project folder holding `files` (path -> source). */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'continuum-bundle-'));
  roots.push(root);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  return root;
}

/** Runs a CommonJS bundle in a fresh Node process and returns what `handler(input)` resolves to. */
function runHandler(file: string, input: unknown): unknown {
  const script = `require(${JSON.stringify(file)}).handler(${JSON.stringify(input)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const HANDLER_PROJECT = {
  'src/handler.ts': [
    "import { shout } from './lib/shout';",
    "import type { Event } from './lib/types';",
    'export async function handler(event: Event): Promise<{ message: string }> {',
    '  return { message: shout(event.name) };',
    '}',
    '',
  ].join('\n'),
  'src/lib/shout.ts': 'export const shout = (name: string): string => `${name.toUpperCase()}!`;\n',
  'src/lib/types.ts': 'export interface Event { name: string }\n',
};

describe('bundle', () => {
  test('bundles a TypeScript entry with its local imports into one CommonJS file that runs', async () => {
    const root = project(HANDLER_PROJECT);
    const outfile = join(root, '.build', 'handler.js');
    await bundle({ entry: join(root, 'src/handler.ts'), outfile });
    const code = readFileSync(outfile, 'utf8');
    assert.ok(!/^import /m.test(code), 'no ES imports left');
    assert.ok(
      !code.includes("require('./lib/shout')") && !code.includes('require("./lib/shout")'),
      'inlined',
    );
    assert.deepEqual(runHandler(outfile, { name: 'ada' }), { message: 'ADA!' });
    assert.deepEqual(readdirSync(join(root, '.build')), ['handler.js'], 'no temporary files left behind');
  });

  test('bundles generated source that imports the user module from resolveDir', async () => {
    const root = project(HANDLER_PROJECT);
    const outfile = join(root, 'out.js');
    await bundle({
      contents: "export { handler } from './src/handler';\n",
      resolveDir: root,
      outfile,
      define: { 'process.env.CONTINUUM_ROLE': '"mapper"' },
    });
    assert.deepEqual(runHandler(outfile, { name: 'grace' }), { message: 'GRACE!' });
  });

  test('replaces define constants and leaves external packages as runtime requires', async () => {
    const root = project({
      'index.ts': [
        "import { S3Client } from '@aws-sdk/client-s3';",
        'export async function handler() {',
        '  return { role: process.env.CONTINUUM_ROLE, client: typeof S3Client };',
        '}',
      ].join('\n'),
    });
    const outfile = join(root, 'out.js');
    await bundle({
      entry: join(root, 'index.ts'),
      outfile,
      external: ['@aws-sdk/*'],
      define: { 'process.env.CONTINUUM_ROLE': '"reducer"' },
    });
    const code = readFileSync(outfile, 'utf8');
    assert.match(code, /require\("@aws-sdk\/client-s3"\)/);
    assert.ok(code.includes('"reducer"'));
    assert.ok(code.length < 5000, `external SDK is not inlined (bundle is ${code.length} bytes)`);
  });

  test('reports a syntax error as CONTINUUM_BUNDLE naming the file and line', async () => {
    const root = project({ 'broken.ts': 'export const a = 1;\nexport const b = ;\n' });
    await assert.rejects(
      bundle({ entry: join(root, 'broken.ts'), outfile: join(root, 'out.js') }),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, 'CONTINUUM_BUNDLE');
        assert.match(error.message, /broken\.ts:2:\d+: Unexpected ";"/);
        return true;
      },
    );
    assert.equal(existsSync(join(root, 'out.js')), false, 'nothing is written on failure');
  });

  test('reports an unresolvable import as CONTINUUM_BUNDLE naming the module', async () => {
    const root = project({ 'index.ts': "import { x } from './missing-module';\nexport const y = x;\n" });
    await assert.rejects(
      bundle({ entry: join(root, 'index.ts'), outfile: join(root, 'out.js') }),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, 'CONTINUUM_BUNDLE');
        assert.ok(error.message.includes('Could not resolve "./missing-module"'), error.message);
        assert.ok(error.message.includes('index.ts:1:'), error.message);
        return true;
      },
    );
  });

  test('asks for exactly one of entry and contents', async () => {
    await assert.rejects(
      bundle({ outfile: join(tmpdir(), 'never.js') }),
      /exactly one of `entry` and `contents`/,
    );
  });
});

describe('bundleZip', () => {
  test('writes byte-identical zips for the same sources', async () => {
    const root = project(HANDLER_PROJECT);
    await bundleZip({ entry: join(root, 'src/handler.ts'), zipFile: join(root, 'first.zip') });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a later wall-clock second must not matter
    await bundleZip({ entry: join(root, 'src/handler.ts'), zipFile: join(root, 'second.zip') });
    assert.deepEqual(readFileSync(join(root, 'first.zip')), readFileSync(join(root, 'second.zip')));
  });

  test('holds the bundle as index.js, readable, with a fixed date and 0644 permissions', async () => {
    const root = project(HANDLER_PROJECT);
    const zipFile = join(root, 'dist', 'fn.zip');
    const outfile = join(root, 'dist', 'fn.js');
    await bundleZip({ entry: join(root, 'src/handler.ts'), zipFile, outfile });
    const entries = readZip(readFileSync(zipFile));
    assert.deepEqual(
      entries.map((e) => e.name),
      ['index.js'],
    );
    const [entry] = entries;
    assert.ok(entry);
    assert.deepEqual(entry.data, readFileSync(outfile));
    assert.equal(entry.dosDate, (0 << 9) | (1 << 5) | 1, '1980-01-01');
    assert.equal(entry.dosTime, 0);
    assert.equal(entry.mode, 0o100644);
    const unpacked = join(root, 'unpacked', 'index.js');
    mkdirSync(dirname(unpacked));
    writeFileSync(unpacked, entry.data);
    assert.deepEqual(runHandler(unpacked, { name: 'zip' }), { message: 'ZIP!' });
  });

  test('names the bundle handlerFile inside the zip', async () => {
    const root = project(HANDLER_PROJECT);
    const zipFile = join(root, 'fn.zip');
    await bundleZip({
      contents: "export * from './src/handler';",
      resolveDir: root,
      zipFile,
      handlerFile: 'main.js',
    });
    assert.deepEqual(
      readZip(readFileSync(zipFile)).map((e) => e.name),
      ['main.js'],
    );
  });

  test('leaves the previous zip untouched when bundling fails', async () => {
    const root = project(HANDLER_PROJECT);
    const zipFile = join(root, 'fn.zip');
    await bundleZip({ entry: join(root, 'src/handler.ts'), zipFile });
    const before = readFileSync(zipFile);
    writeFileSync(join(root, 'src/lib/shout.ts'), 'export const shout = (;\n');
    await assert.rejects(bundleZip({ entry: join(root, 'src/handler.ts'), zipFile }), /shout\.ts:1:/);
    assert.deepEqual(readFileSync(zipFile), before);
    assert.deepEqual(readdirSync(root).sort(), ['fn.zip', 'src']);
  });
});
