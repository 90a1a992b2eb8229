// The path a user walks, outside this repository: the plugins packed by `npm run pack`, each template created
// with `sls create --template-path`, one tarball installed with a plain `npm install` into that fresh
// project (no registry holds our packages), and the template README's own commands run there as written:
// `sls package`, `sls mapreduce run --local`, `sls container run --local`, `sls invoke local`. With
// serverless@3 (the templates' own package.json) and with osls (the README's swap), then with pnpm, strict.
//
// Only two things differ from what the README says: `npx serverless@3 create` / `npx osls@4 create` run the
// repo's own copies of those majors (npx would fetch the same package), and npm prefers its cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { REPO_ROOT } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { FRAMEWORK_CREATE, readmeSteps, runSteps, substitute } from './harness/readme-steps';
import { unresolvedModules } from './harness/dist-requires';
import { referenceWordCount, tsvCounts } from '../plugins/mapreduce/test/reference';

// Two projects at a time: most of a walk is npm waiting on the disk and the network, not on a core.
// A user's npm, reading its cache first: every package but ours comes from the registry once per machine.
const NPM_ENV = { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
const PNPM_VERSION = '10.33.0';

// On a RAM-backed folder when the machine has one: the projects hold some 120,000 files (1 GB), and
// on a disk mounted with online discard (this machine's) removing them alone takes over a minute.
const TMP = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const work = mkdtempSync(join(TMP, 'continuum-user-'));
const packed = join(work, 'packed');
after(() => {
  if (process.env.KEEP_FIXTURES !== '1') rmSync(work, { recursive: true, force: true });
});

before(() => {
  const pack = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'pack.mjs'), '--out', packed], {
    encoding: 'utf8',
  });
  assert.equal(pack.status, 0, pack.stderr);
});

function readme(template: string): string {
  return readFileSync(join(REPO_ROOT, 'templates', template, 'README.md'), 'utf8');
}

const OSLS = '## With osls instead of serverless@3';

/** The README's steps (its first block, or the osls one) with the repository's and the tarballs' real places. */
function walk(template: string, framework: 'serverless' | 'osls'): string[] {
  return substitute(readmeSteps(readme(template), framework === 'osls' ? OSLS : ''), [
    FRAMEWORK_CREATE[framework],
    ['<repo>/templates/', `${join(REPO_ROOT, 'templates')}/`],
    ['<repo>/packed/', `${packed}/`],
  ]);
}

async function walkIn(name: string, steps: string[], env: Record<string, string> = {}): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  const started = Date.now();
  const run = await runSteps(steps, dir, { ...NPM_ENV, ...env });
  assert.equal(run.code, 0, run.output);
  const times = run.times.map(
    ({ step, ms }) => `  ${(ms / 1000).toFixed(1).padStart(5)} s  ${step.slice(0, 90)}`,
  );
  console.log(
    `${name}: README steps in ${((Date.now() - started) / 1000).toFixed(1)} s\n${times.join('\n')}`,
  );
  return run.output;
}

function packagedTemplate(service: string): CfnTemplate {
  const file = join(service, '.serverless', 'cloudformation-template-update-stack.json');
  const template = JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
  validateTemplate(template);
  return template;
}

/** The project holds the one plugin it installed, with its own copy of core inside it. */
function assertOnePlugin(service: string, plugin: string): void {
  const scope = join(service, 'node_modules', '@serverless-continuum');
  assert.deepEqual(readdirSync(scope), [plugin]);
  assert.ok(
    existsSync(join(scope, plugin, 'node_modules', '@serverless-continuum', 'core', 'dist', 'index.js')),
  );
}

function assertWordCount(service: string, output: string): void {
  assert.match(output, /Run \S+ of job wordcount succeeded/);
  const runDir = /^Parts: \d+ in (.+)$/m.exec(output)?.[1];
  assert.ok(runDir && existsSync(runDir), output);
  const parts = readdirSync(runDir)
    .filter((file) => file.startsWith('part-'))
    .map((file) => readFileSync(join(runDir, file), 'utf8'));
  const expected = referenceWordCount(readFileSync(join(service, 'data', 'sample.txt'), 'utf8'));
  assert.deepEqual(new Map([...tsvCounts(parts)].sort()), new Map([...expected].sort()));
}

function assertWordCountPackage(service: string): void {
  const template = packagedTemplate(service);
  for (const role of ['coordinator', 'mapper', 'reducer']) {
    assert.ok(template.Resources[`WordcountDashmrDash${role}LambdaFunction`], role);
  }
}

function assertGrayified(service: string, output: string, invoked: boolean): void {
  const fn = packagedTemplate(service).Resources.GrayifyLambdaFunction?.Properties as {
    PackageType?: string;
  };
  assert.equal(fn.PackageType, 'Image');
  assert.deepEqual(readdirSync(join(service, 'out')), ['photo-gray.png']);
  assert.match(output, /grayify ran locally: 1 file\(s\) in/);
  if (invoked) {
    const bucket = join(service, '.continuum', 'storage', 'my-grayify-bucket', 'output');
    assert.deepEqual(readdirSync(bucket), ['photo-gray.png']);
  }
}

describe('templates/mapreduce-wordcount in a project of its own', { concurrency: 2 }, () => {
  test('serverless@3 and a typed serverless.ts: package, then run --local on the sample', async () => {
    const output = await walkIn('wordcount-serverless', walk('mapreduce-wordcount', 'serverless'));
    const service = join(work, 'wordcount-serverless', 'my-wordcount');
    assertOnePlugin(service, 'mapreduce');
    assertWordCountPackage(service);
    assertWordCount(service, output);
  });

  test('osls: package, then run --local on the sample', async () => {
    const output = await walkIn('wordcount-osls', walk('mapreduce-wordcount', 'osls'));
    const service = join(work, 'wordcount-osls', 'my-wordcount');
    assertOnePlugin(service, 'mapreduce');
    assert.ok(!existsSync(join(service, 'node_modules', 'serverless')), 'serverless@3 was installed too');
    assertWordCountPackage(service);
    assertWordCount(service, output);
  });
});

describe('templates/mapreduce-streaming in a project of its own', { concurrency: 2 }, () => {
  test('serverless@3: run --local of the Python programs on the sample', async () => {
    const output = await walkIn('streaming-serverless', walk('mapreduce-streaming', 'serverless'));
    const service = join(work, 'streaming-serverless', 'my-wordcount');
    assertOnePlugin(service, 'mapreduce');
    assertWordCount(service, output);
  });

  test('osls: run --local of the Python programs on the sample', async () => {
    const output = await walkIn('streaming-osls', walk('mapreduce-streaming', 'osls'));
    const service = join(work, 'streaming-osls', 'my-wordcount');
    assertOnePlugin(service, 'mapreduce');
    assertWordCount(service, output);
  });
});

describe('templates/container-lambda in a project of its own', { concurrency: 2 }, () => {
  test('serverless@3: package, container run --local and invoke local on the sample image', async () => {
    const output = await walkIn('container-serverless', walk('container-lambda', 'serverless'));
    const service = join(work, 'container-serverless', 'my-service');
    assertOnePlugin(service, 'container-lambda');
    assertGrayified(service, output, true);
  });

  test('osls: package, container run --local and invoke local on the sample image', async () => {
    const output = await walkIn('container-osls', walk('container-lambda', 'osls'));
    const service = join(work, 'container-osls', 'my-service');
    assertOnePlugin(service, 'container-lambda');
    assertGrayified(service, output, true);
  });
});

/** The local job's last line (templates/tascaas-montecarlo/scripts/local-run.mjs) and the packaged service. */
function assertMonteCarlo(service: string, output: string, points: number): void {
  assert.match(output, new RegExp(`^pi ~ 3\\.1\\d* from ${points} points in \\d+ partitions$`, 'm'), output);
  const template = packagedTemplate(service);
  for (const fn of ['Submit', 'Dispatch', 'Balance', 'Monitor', 'Status']) {
    assert.ok(template.Resources[`Tascaas${fn}LambdaFunction`], fn);
  }
}

describe('templates/tascaas-montecarlo in a project of its own', { concurrency: 2 }, () => {
  const env = { ITERATIONS: '20000000', TIME: '10' };

  test('serverless@3: package, then the whole job on this machine (API, two infrastructures, submit, status)', async () => {
    const output = await walkIn('montecarlo-serverless', walk('tascaas-montecarlo', 'serverless'), env);
    const service = join(work, 'montecarlo-serverless', 'my-montecarlo');
    assertOnePlugin(service, 'tascaas');
    assertMonteCarlo(service, output, 20_000_000);
  });

  test('osls: package, then the whole job on this machine', async () => {
    const output = await walkIn('montecarlo-osls', walk('tascaas-montecarlo', 'osls'), env);
    const service = join(work, 'montecarlo-osls', 'my-montecarlo');
    assertOnePlugin(service, 'tascaas');
    assert.ok(!existsSync(join(service, 'node_modules', 'serverless')), 'serverless@3 was installed too');
    assertMonteCarlo(service, output, 20_000_000);
  });
});

describe('templates/oscar-service in a project of its own', () => {
  test('serverless@3: package the service definition, then invoke local on the sample image', async () => {
    const output = await walkIn('oscar-serverless', walk('oscar-service', 'serverless'));
    const service = join(work, 'oscar-serverless', 'my-service');
    assertOnePlugin(service, 'oscar-target');
    const written = JSON.parse(readFileSync(join(service, '.serverless', 'oscar-services.json'), 'utf8')) as {
      services: { name: string; image: string }[];
    };
    assert.deepEqual(
      written.services.map((s) => [s.name, s.image]),
      [['grayify', 'ghcr.io/grycap/imagemagick']],
    );
    assert.match(output, /grayify ran locally: 1 file\(s\)/);
    assert.ok(existsSync(join(service, 'grayify-output', 'photo-gray.png')));
  });
});

describe('with pnpm, strict: no hoisting, every package sees only what it declares', () => {
  let pnpm: string | undefined;
  let why = '';
  let strict = '';
  before(() => {
    // pnpm is an npm package: pinned, installed next to the projects, never fetched by `npx` on the fly.
    const tools = join(work, 'tools');
    mkdirSync(tools);
    const install = spawnSync('npm', ['install', '--prefix', tools, `pnpm@${PNPM_VERSION}`], {
      encoding: 'utf8',
      cwd: tools,
      env: { ...process.env, npm_config_local_prefix: tools, ...NPM_ENV },
    });
    const bin = join(tools, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
    if (install.status === 0 && existsSync(bin)) pnpm = bin;
    else why = `pnpm@${PNPM_VERSION} could not be installed from the npm registry:\n${install.stderr}`;
    // The user's own store (pnpm would otherwise make one at the root of the projects' file system).
    const store = spawnSync(process.execPath, [bin, 'store', 'path'], { cwd: homedir(), encoding: 'utf8' });
    const storeDir = store.stdout.trim().replace(/[\\/]v\d+$/, '');
    strict = `printf 'hoist=false\\nshamefully-hoist=false\\nstore-dir=%s\\n' '${storeDir}' > .npmrc`;
  });

  for (const plugin of ['container-lambda', 'mapreduce', 'oscar-target', 'tascaas']) {
    test(`the ${plugin} tarball alone: every module its dist and the bundled core require resolves`, async (t) => {
      if (!pnpm) return t.skip(why);
      const tarball = join(packed, `serverless-continuum-${plugin}-0.1.0.tgz`);
      await walkIn(`${plugin}-pnpm-alone`, [
        strict,
        `printf '{ "name": "alone", "private": true }' > package.json`,
        `node ${pnpm} add ${tarball}`,
      ]);
      const installed = realpathSync(
        join(work, `${plugin}-pnpm-alone`, 'node_modules', '@serverless-continuum', plugin),
      );
      assert.match(installed, /[\\/]\.pnpm[\\/]/);
      assert.deepEqual(await unresolvedModules(join(installed, 'dist')), []);
      assert.deepEqual(
        await unresolvedModules(join(installed, 'node_modules', '@serverless-continuum', 'core', 'dist')),
        [],
      );
    });
  }

  test('templates/mapreduce-wordcount with osls: the osls steps with pnpm in place of npm', async (t) => {
    if (!pnpm) return t.skip(why);
    const steps = substitute(walk('mapreduce-wordcount', 'osls'), [
      ['npm install -D', `${strict} && node ${pnpm} add -D`],
      ['npx osls', `node ${pnpm} exec osls`],
    ]);
    const output = await walkIn('wordcount-pnpm', steps);
    const service = join(work, 'wordcount-pnpm', 'my-wordcount');
    assert.ok(!existsSync(join(service, 'node_modules', '.pnpm', 'node_modules')), 'pnpm hoisted packages');
    assertWordCountPackage(service);
    assertWordCount(service, output);
  });
});
