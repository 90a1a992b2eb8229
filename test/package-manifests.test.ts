// What each workspace package tells npm: everything its dist/ loads at run time is declared, and nothing it does
// not load; the license file is there, and nothing built for the compiler alone (.tsbuildinfo) is in its `files`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './harness/sls';
import { undeclaredModules, unusedDependencies, type PackageManifest } from './harness/dist-requires';

interface WorkspaceManifest extends PackageManifest {
  license?: string;
  files?: string[];
}

const workspaces = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces;
const LICENSE = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');

test('the repository is licensed under the Apache-2.0 text its package.json names', () => {
  assert.match(LICENSE, /^\s*Apache License\s+Version 2\.0, January 2004/);
});

for (const folder of workspaces) {
  const dir = join(REPO_ROOT, folder);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as WorkspaceManifest;

  describe(manifest.name, () => {
    test('declares every module its dist/ requires at run time', async () => {
      assert.ok(existsSync(join(dir, 'dist', 'index.js')), `${folder}/dist is missing: run npm run build`);
      assert.deepEqual(await undeclaredModules(join(dir, 'dist'), manifest), []);
    });

    test('lists no dependency that its dist/ neither requires nor names in its types', async () => {
      assert.deepEqual(await unusedDependencies(join(dir, 'dist'), manifest), []);
    });

    test('carries the repository LICENSE and says Apache-2.0', () => {
      assert.equal(manifest.license, 'Apache-2.0');
      assert.equal(readFileSync(join(dir, 'LICENSE'), 'utf8'), LICENSE);
    });

    test('publishes dist/ without the compiler build info', () => {
      assert.deepEqual(manifest.files, ['dist', '!dist/.tsbuildinfo']);
    });
  });
}
