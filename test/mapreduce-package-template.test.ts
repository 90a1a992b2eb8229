// templates/mapreduce-wordcount: `sls create --template-path` gives a service that packages and runs --local.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { packageService } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { REPO_ROOT, referenceWordCount, runSls } from '../plugins/mapreduce/test/cli';
import { parseTsvLine } from '../plugins/mapreduce/src/runtime/tsv';

// Inside the repo, so the created service resolves the plugin from the repo's node_modules.
const dir = join(REPO_ROOT, '.tmp', 'fixtures', `mapreduce-template-${randomBytes(4).toString('hex')}`);
after(() => rmSync(dir, { recursive: true, force: true }));

test('sls create --template-path makes a service from the starter', async () => {
  const run = await runSls(
    'osls',
    ['create', '--template-path', join(REPO_ROOT, 'templates', 'mapreduce-wordcount'), '--path', dir],
    { cwd: REPO_ROOT },
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.ok(readdirSync(join(dir, 'src')).includes('wordcount.ts'));
});

test('the starter packages: three functions and a trigger on its input prefix', async () => {
  const { template } = await packageService(dir, 'serverless');
  validateTemplate(template);
  const trigger = template.Resources.WordcountDashmrDashcoordinatorCustomS31 as {
    Properties: Record<string, unknown>;
  };
  assert.equal(trigger.Properties.BucketName, 'change-me-corpus-bucket');
  assert.deepEqual(trigger.Properties.BucketConfigs, [
    { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'texts/' }] },
  ]);
  for (const role of ['Coordinator', 'Mapper', 'Reducer']) {
    assert.ok(template.Resources[`WordcountDashmrDash${role.toLowerCase()}LambdaFunction`], role);
  }
});

test('the starter runs --local on its sample text and counts every word', async () => {
  const run = await runSls(
    'osls',
    ['mapreduce', 'run', '--job', 'wordcount', '--input', 'data/sample.txt', '--local'],
    {
      cwd: dir,
    },
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const runId = /Run (\S+) of job wordcount succeeded/.exec(run.stdout)?.[1];
  assert.ok(runId, run.stdout);
  const runDir = join(dir, 'mapreduce-output', runId);
  const counts = new Map<string, number>();
  for (const part of readdirSync(runDir).filter((f) => f.startsWith('part-'))) {
    for (const line of readFileSync(join(runDir, part), 'utf8').split('\n').filter(Boolean)) {
      const [word, n] = parseTsvLine(line);
      counts.set(word!, Number(n));
    }
  }
  const expected = referenceWordCount(readFileSync(join(dir, 'data', 'sample.txt'), 'utf8'));
  assert.deepEqual(new Map([...counts].sort()), new Map([...expected].sort()));
});
