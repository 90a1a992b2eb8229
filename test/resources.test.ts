// `npm run resources`: the real framework packages a service at the root and the resources print grouped by plugin.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO_ROOT } from './harness/sls';
import { validateTemplate } from './harness/validate-template';

const script = join(REPO_ROOT, 'scripts', 'resources.mjs');
const example = 'test/fixtures/core-harness/resources-example.ts';

function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KEEP_FIXTURES: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

const out = mkdtempSync(join(tmpdir(), 'resources-test-'));
after(() => rmSync(out, { recursive: true, force: true }));

function resourceFolders(): string[] {
  const tmp = join(REPO_ROOT, '.tmp');
  return existsSync(tmp) ? readdirSync(tmp).filter((name) => name.startsWith('resources-')) : [];
}

test('prints the resources grouped by plugin, plugins first, the framework last', async () => {
  const before = resourceFolders();
  const saved = join(out, 'osls.json');
  const { stdout, code, stderr } = await run(['--config', example, '--save-template', saved]);
  assert.equal(code, 0, stderr);
  validateTemplate(JSON.parse(readFileSync(saved, 'utf8')));
  const lines = stdout.split('\n');
  assert.equal(
    lines[0],
    'Resources that `sls deploy` would create for resources-example (stage dev), from an offline osls package:',
  );
  assert.match(stdout, /^\| plugin +\| logical id +\| type +\|$/m);
  assert.match(stdout, /^\| harness +\| HarnessBucket +\| AWS::S3::Bucket +\|$/m);
  assert.match(stdout, /^\| +\| HarnessDeadLetterQueue +\| AWS::SQS::Queue +\|$/m);
  assert.match(stdout, /^\| framework +\| ServerlessDeploymentBucket +\| AWS::S3::Bucket +\|$/m);
  assert.match(stdout, /^\| +\| ThumbLambdaFunction +\| AWS::Lambda::Function +\|$/m);
  assert.ok(stdout.indexOf('| harness') < stdout.indexOf('| framework'));
  assert.match(stdout, /\n10 resources from 2 sources\n/);
  // The packaged copy is gone; the links it held never took anything from the repo with them.
  assert.deepEqual(resourceFolders(), before);
  assert.ok(existsSync(join(REPO_ROOT, 'test', 'fixtures', 'core-harness', 'harness-plugin', 'index.js')));
});

test('--framework serverless --json gives the same rows from serverless@3', async () => {
  const { stdout, code, stderr } = await run(['--config', example, '--framework', 'serverless', '--json']);
  assert.equal(code, 0, stderr);
  const rows = JSON.parse(stdout) as Array<{ plugin: string; logicalId: string; type: string }>;
  assert.deepEqual(
    rows.filter((row) => row.plugin === 'harness').map((row) => row.logicalId),
    ['HarnessBucket', 'HarnessDeadLetterQueue', 'HarnessQueue', 'HarnessPolicy'],
  );
  assert.deepEqual(
    rows.find((row) => row.logicalId === 'ThumbLambdaFunction'),
    {
      plugin: 'framework',
      logicalId: 'ThumbLambdaFunction',
      type: 'AWS::Lambda::Function',
    },
  );
});

test('serverless.example.ts packages, and every resource comes from a plugin of the suite or the framework', async () => {
  const saved = join(out, 'example.json');
  const { stdout, code, stderr } = await run(['--json', '--save-template', saved]);
  assert.equal(code, 0, `${stderr}\n${stdout}`);
  validateTemplate(JSON.parse(readFileSync(saved, 'utf8')));
  const rows = JSON.parse(stdout) as Array<{ plugin: string; type: string }>;
  const sources = new Set(rows.map((row) => row.plugin));
  for (const source of sources) {
    assert.ok(
      ['framework', 'container-lambda', 'mapreduce', 'tascaas', 'oscar-target'].includes(source),
      source,
    );
  }
  assert.ok(rows.some((row) => row.type === 'AWS::S3::Bucket' && row.plugin === 'framework'));
});

test('refuses an unknown framework with a clear message', async () => {
  const { stderr, code } = await run(['--framework', 'sls4']);
  assert.equal(code, 1);
  assert.match(stderr, /--framework must be one of osls, serverless, got sls4/);
});
