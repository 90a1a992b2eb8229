// `npm run pack`: what is inside each plugin tarball a user installs (read from the tarball itself).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './harness/sls';
import { undeclaredModules, type PackageManifest } from './harness/dist-requires';

const CORE = join('node_modules', '@serverless-continuum', 'core');
const work = mkdtempSync(join(tmpdir(), 'continuum-pack-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

let tarballs: string[] = [];
before(() => {
  const packed = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'pack.mjs'), '--out', work], {
    encoding: 'utf8',
  });
  assert.equal(packed.status, 0, packed.stderr);
  tarballs = packed.stdout.trim().split('\n');
});

test('npm run pack writes one tarball per plugin', () => {
  assert.deepEqual(readdirSync(work).sort(), [
    'serverless-continuum-container-lambda-0.1.0.tgz',
    'serverless-continuum-mapreduce-0.1.0.tgz',
    'serverless-continuum-oscar-target-0.1.0.tgz',
    'serverless-continuum-tascaas-0.1.0.tgz',
  ]);
  assert.deepEqual(
    tarballs.sort(),
    readdirSync(work)
      .sort()
      .map((name) => join(work, name)),
  );
});

for (const plugin of ['container-lambda', 'mapreduce', 'oscar-target', 'tascaas']) {
  describe(`the ${plugin} tarball`, () => {
    const tarball = join(work, `serverless-continuum-${plugin}-0.1.0.tgz`);
    const extracted = join(work, `${plugin}-extracted`);
    let entries: string[] = [];
    let manifest: PackageManifest & { bundleDependencies?: string[] };
    before(() => {
      entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((entry) => entry.replace(/^package\//, ''));
      mkdirSync(extracted);
      execFileSync('tar', ['-xzf', tarball, '-C', extracted]);
      manifest = JSON.parse(readFileSync(join(extracted, 'package', 'package.json'), 'utf8'));
    });

    test('bundles its own copy of core: package.json, dist and LICENSE under node_modules', () => {
      for (const file of ['package.json', 'dist/index.js', 'dist/errors.js', 'LICENSE']) {
        assert.ok(entries.includes(`${CORE}/${file}`), `${CORE}/${file} is not in ${tarball}`);
      }
      assert.deepEqual(manifest.bundleDependencies, ['@serverless-continuum/core']);
      assert.equal(manifest.dependencies?.['@serverless-continuum/core'], '0.1.0');
    });

    test('has its LICENSE, README and dist, and no compiler build info, tests or sources', () => {
      for (const file of ['package.json', 'LICENSE', 'README.md', 'dist/index.js']) {
        assert.ok(entries.includes(file), `${file} is not in ${tarball}`);
      }
      const unwanted = entries.filter((entry) =>
        /\.tsbuildinfo$|(^|\/)test\/|\.test\.|(^|\/)src\/|\.ts$(?<!\.d\.ts)/.test(entry),
      );
      assert.deepEqual(unwanted, []);
    });

    test('declares every module its dist and the bundled core require, since npm installs no bundled package’s dependencies', async () => {
      const root = join(extracted, 'package');
      assert.deepEqual(await undeclaredModules(join(root, 'dist'), manifest), []);
      assert.deepEqual(await undeclaredModules(join(root, CORE, 'dist'), manifest), []);
    });
  });
}
