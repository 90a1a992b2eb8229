// core's registerProvider proven with the real CLI: a service on a provider that is not AWS (a tiny local
// provider plugin built on core, as oscar-target will be) packages with each framework, the framework
// validates `provider:` against the provider's schema, and reaches the provider's hooks.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runSls, type Framework } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'custom-provider');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `custom-provider-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

function copyOfFixture(): string {
  const dir = join(work, randomBytes(3).toString('hex'));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

for (const framework of ['serverless', 'osls'] as const satisfies Framework[]) {
  describe(`a provider registered through core, under ${framework}`, () => {
    test("sls package reaches the provider's hooks, with its provider settings and functions", async () => {
      const dir = copyOfFixture();
      const run = await runSls(framework, ['package'], { cwd: dir });
      const output = run.stdout + run.stderr;
      assert.equal(run.code, 0, output);
      assert.match(output, /continuum-test packaged 1 function\(s\) for https:\/\/cluster\.example\.org/);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, '.serverless', 'continuum-test.json'), 'utf8')), {
        provider: true,
        endpoint: 'https://cluster.example.org',
        functions: { grayify: 'ghcr.io/grycap/imagemagick' },
      });
    });

    test('the framework validates provider: against the schema the provider declared, naming the path', async () => {
      const run = await runSls(framework, ['package', '--config', 'bad-endpoint.yml'], {
        cwd: copyOfFixture(),
      });
      assert.notEqual(run.code, 0);
      assert.match(run.stdout + run.stderr, /at 'provider\.endpoint': must match pattern "\^https:\/\/"/);
    });

    test("a service on another provider that lists the plugin packages without the provider's hooks", async () => {
      const dir = copyOfFixture();
      const run = await runSls(framework, ['package', '--config', 'aws-service.yml'], { cwd: dir });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.doesNotMatch(run.stdout + run.stderr, /continuum-test packaged/);
      assert.equal(existsSync(join(dir, '.serverless', 'continuum-test.json')), false);
      assert.ok(existsSync(join(dir, '.serverless', 'cloudformation-template-update-stack.json')));
    });
  });
}
