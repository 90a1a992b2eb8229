// `npm run demo` (scripts/demo.mjs) end to end, on a small corpus in its own folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../plugins/mapreduce/test/cli';

// The first test file to run may be this one: on a fresh clone nothing has made .tmp yet.
mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(REPO_ROOT, '.tmp', 'demo-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm run demo counts the generated corpus with the real CLI and prints the top words and the report', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DIR: dir, DEMO_MB: '2', NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'demo.mjs')], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const generated = /Generated \S+: [\d.]+ MB, ([\d,]+) words/.exec(run.stdout);
  assert.ok(generated, run.stdout);
  assert.match(run.stdout, /Run \S+ of job wordcount succeeded/);
  assert.match(run.stdout, /Report: .*_SUCCESS\.json/);
  // The word total read back from the parts equals what the generator wrote: nothing lost, nothing doubled.
  assert.match(run.stdout, new RegExp(`[\\d,]+ distinct, ${generated[1]} in all`));
  assert.match(run.stdout, /Top words of [^\n]+\n {2}the +[\d,]+\n {2}of +[\d,]+/);
  assert.match(run.stdout, /npm run resources/);
});
