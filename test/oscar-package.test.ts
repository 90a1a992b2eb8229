// `provider: oscar` with the real CLI, offline: `sls package` writes the OSCAR service definitions `sls deploy`
// would send (secrets redacted), and bad config stops with the exact path, under serverless@3 and osls.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runSls, type Framework } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'oscar-service');
const TEMPLATE = join(REPO_ROOT, 'templates', 'oscar-service');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `oscar-package-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

function copyOf(source: string): string {
  const dir = join(work, randomBytes(3).toString('hex'));
  cpSync(source, dir, {
    recursive: true,
    filter: (p) => !p.includes('node_modules') && !p.includes('.serverless'),
  });
  return dir;
}

interface Packaged {
  endpoint: string;
  label: string;
  services: Array<Record<string, unknown> & { name: string }>;
}

/** The fixture with OSCAR's FDL files (and SCAR's OSCAR+AWS workflow) under fdl/. */
function copyWithFdl(): string {
  const dir = copyOf(FIXTURE);
  cpSync(join(__dirname, 'fixtures', 'oscar-fdl'), join(dir, 'fdl'), { recursive: true });
  const scar = 'mask-detector-workflow__scar-mask-detector-workflow.yaml';
  cpSync(join(__dirname, 'fixtures', 'reference', 'scar', scar), join(dir, 'fdl', scar));
  return dir;
}

const packaged = (dir: string): Packaged =>
  JSON.parse(readFileSync(join(dir, '.serverless', 'oscar-services.json'), 'utf8')) as Packaged;

for (const framework of ['serverless', 'osls'] as const satisfies Framework[]) {
  describe(`provider: oscar under ${framework}`, () => {
    test('sls package writes the service definitions: the functions and the FDL-imported service', async () => {
      const dir = copyOf(FIXTURE);
      const run = await runSls(framework, ['package', '--stage', 'edge'], {
        cwd: dir,
        env: { PLANTS_API_KEY: 'key-that-must-not-leak' },
      });
      const output = run.stdout + run.stderr;
      assert.equal(run.code, 0, output);
      assert.match(
        output,
        /oscar-target: 2 OSCAR service definition\(s\) in \.serverless\/oscar-services\.json/,
      );
      const file = packaged(dir);
      assert.equal(file.endpoint, 'https://oscar.example.org');
      assert.equal(file.label, 'plants-edge');
      assert.deepEqual(
        file.services.map((s) => s.name),
        ['plants', 'grayify'],
      );
      const [plants, grayify] = file.services;
      assert.equal(plants?.memory, '2Gi');
      assert.equal(plants?.log_level, 'CRITICAL');
      assert.deepEqual(plants?.synchronous, { min_scale: 0, max_scale: 5 });
      assert.deepEqual(plants?.environment, {
        variables: { THRESHOLD: '0.8' },
        secrets: { API_KEY: '<redacted>' },
      });
      assert.match(String(plants?.script), /^#!\/bin\/sh\n# Stand-in for the plants classifier/);
      assert.deepEqual(plants?.labels, { 'serverless-continuum/service': 'plants-edge' });
      assert.deepEqual(grayify?.input, [{ storage_provider: 'minio.default', path: 'grayify/in' }]);
      assert.equal(
        existsSync(join(dir, '.serverless', 'plants.zip')),
        false,
        'OSCAR takes the script, not a zip',
      );
      const text = readFileSync(join(dir, '.serverless', 'oscar-services.json'), 'utf8');
      for (const secret of [
        'key-that-must-not-leak',
        'AKIAFIXTURE',
        'fixture-secret-key',
        'not-a-real-password',
      ]) {
        assert.ok(!text.includes(secret) && !output.includes(secret), `${secret} leaked`);
      }
    });

    test("OSCAR's example FDL files package as a service of their own", async () => {
      const dir = copyWithFdl();
      const run = await runSls(framework, ['package', '--config', 'fdl-examples.yml'], { cwd: dir });
      const output = run.stdout + run.stderr;
      assert.equal(run.code, 0, output);
      const services = packaged(dir).services;
      assert.deepEqual(
        services.map((s) => s.name),
        ['cowsay', 'cowsay-secret', 'grayify', 'anon-and-split', 'mask-detector', 'fish-detector'],
      );
      const secret = services.find((s) => s.name === 'cowsay-secret');
      assert.deepEqual(secret?.environment, {
        variables: { INPUT_TYPE: 'json' },
        secrets: { COWSAY_SECRET: '<redacted>' },
      });
      assert.deepEqual(services.find((s) => s.name === 'fish-detector')?.federation, {
        members: [{ type: 'oscar', cluster_id: 'oscar-us', service_name: 'fish-detector' }],
      });
      assert.match(output, /fdl\/fish-eu\.yaml: clusters: ignored/);
      assert.ok(!output.includes('this-is-my-secret'));
    });

    test("oscar-cli's workflow and the OSCAR part of SCAR's mask-detector workflow", async () => {
      const dir = copyWithFdl();
      const run = await runSls(framework, ['package', '--config', 'fdl-workflows.yml'], { cwd: dir });
      const output = run.stdout + run.stderr;
      assert.equal(run.code, 0, output);
      const services = packaged(dir).services;
      assert.deepEqual(
        services.map((s) => s.name),
        ['plants', 'grayify', 'oscar-anon-and-split'],
      );
      assert.deepEqual(services[2]?.output, [
        { storage_provider: 'minio', path: 'oscar-anon-and-split/output' },
        { storage_provider: 's3.my_s3', path: 'scar-mask-detector/intermediate' },
      ]);
      assert.deepEqual(services[2]?.storage_providers, {
        s3: { my_s3: { access_key: '<redacted>', secret_key: '<redacted>', region: 'us-east-1' } },
      });
      assert.match(output, /functions\.aws: 1 AWS function\(s\) not imported/);
    });

    test('the refresh-token variant packages offline', async () => {
      const dir = copyOf(FIXTURE);
      const run = await runSls(framework, ['package', '--config', 'refresh-token.yml'], { cwd: dir });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(
        packaged(dir).services.map((s) => s.name),
        ['plants'],
      );
    });

    test("the framework's validator names each bad path of provider: and functions:", async () => {
      const run = await runSls(framework, ['package', '--config', 'bad-config.yml'], {
        cwd: copyOf(FIXTURE),
      });
      const output = run.stdout + run.stderr;
      assert.notEqual(run.code, 0);
      assert.match(output, /at 'functions\.plants\.memory': must match pattern/);
      assert.match(
        output,
        /at 'functions\.plants\.logLevel': must be equal to one of the allowed values \[DEBUG, INFO, WARNING, ERROR, CRITICAL\]/,
      );
      assert.match(output, /at 'provider\.auth': unsupported object format/);
    });

    test("the plugin's own rules name the path and the fix", async () => {
      const run = await runSls(framework, ['package', '--config', 'bad-rules.yml'], { cwd: copyOf(FIXTURE) });
      assert.notEqual(run.code, 0);
      assert.match(
        run.stdout + run.stderr,
        /functions\.plants\.output\[0\]\.storage: s3\.backup names no account in custom\.oscar\.storageProviders\.s3\.backup .*\[CONTINUUM_INVALID_CONFIG\]/,
      );
    });

    test('an FDL file with problems: each one with its path in the file', async () => {
      const run = await runSls(framework, ['package', '--config', 'bad-fdl.yml'], { cwd: copyOf(FIXTURE) });
      const output = run.stdout + run.stderr;
      assert.notEqual(run.code, 0);
      assert.match(output, /custom\.oscar\.fdl: .*broken-fdl\.yaml cannot be imported as is:/);
      assert.match(output, /- functions\.oscar\[0\]\.edge\.memory: "1 GB" is not a Kubernetes quantity/);
      assert.match(
        output,
        /- functions\.oscar\[0\]\.edge\.input\[0\]\.storage_provider: must be s3, minio or onedata/,
      );
    });

    test('templates/oscar-service packages as it is', async () => {
      const dir = copyOf(TEMPLATE);
      const run = await runSls(framework, ['package'], { cwd: dir });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const [service] = packaged(dir).services;
      assert.equal(service?.name, 'grayify');
      assert.match(String(service?.script), /convert/);
    });
  });
}
