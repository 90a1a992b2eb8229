import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testJob } from '../reference';
import { runLocal } from '../../src/local/run';
import { createWorkFolder, keepWorkFolder, sweepWorkFolders } from '../../src/local/work-folders';

const fixtures = join(__dirname, 'fixtures');
const wordcount = join(fixtures, 'wordcount.ts');

describe('work folders of local runs', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-work-folders-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a run killed with SIGKILL leaves its work folder; the next run removes it and says which and how much', async () => {
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch);
    const input = join(dir, 'corpus.txt');
    writeFileSync(input, 'alpha beta\ngamma\n'.repeat(100));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(fixtures, 'killed-run.ts'), input, join(dir, 'out-killed'), scratch],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The run is under way once its bundle is in its work folder.
    let killed: string | undefined;
    for (let i = 0; i < 300 && !killed; i++) {
      await sleep(100);
      const folder = existsSync(scratch) ? readdirSync(scratch)[0] : undefined;
      if (folder && existsSync(join(scratch, folder, 'worker.js'))) killed = join(scratch, folder);
    }
    assert.ok(killed, `the run to kill made its work folder; it said: ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    assert.ok(existsSync(killed), 'a killed run cannot remove its own folder');

    const swept: Array<{ path: string; bytes: number }> = [];
    await runLocal({
      job: testJob(),
      modules: { map: { file: wordcount, export: 'map' }, reduce: { file: wordcount, export: 'reduce' } },
      input,
      outputDir: join(dir, 'out-next'),
      workers: 1,
      workDir: scratch,
      onSweep: (removed) => swept.push(...removed),
    });
    assert.equal(existsSync(killed), false);
    assert.deepEqual(
      swept.map((s) => s.path),
      [killed],
    );
    assert.ok(swept[0]!.bytes > 1000, `the bundle alone is larger: ${swept[0]!.bytes} bytes`);
    assert.deepEqual(readdirSync(scratch), [], 'and the run that swept leaves nothing either');
  });

  test("the sweep never removes a live run's folder, and removes one whose pid now belongs to another process", async () => {
    const scratch = mkdtempSync(join(dir, 'sweep-'));
    const live = createWorkFolder(scratch, 'live');
    const owned = (name: string, owner: unknown): string => {
      const folder = join(scratch, `mapreduce-${name}-x`);
      mkdirSync(folder);
      writeFileSync(join(folder, 'owner.json'), JSON.stringify(owner));
      return folder;
    };
    const own = JSON.parse(readFileSync(join(live, 'owner.json'), 'utf8')) as {
      pid: number;
      startTime?: string;
      bootId?: string;
    };
    assert.equal(own.pid, process.pid);
    // This very process's pid, but started at another time: the pid was reused, the run is gone.
    const reused = owned('reused', { ...own, startTime: String(Number(own.startTime) - 1) });
    const otherBoot = owned('boot', { ...own, bootId: 'another boot' });
    // A process that exited: its pid is free.
    const done = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => done.once('exit', resolve));
    const exited = owned('exited', { pid: done.pid, startTime: '1' });
    // A live process other than this one, with its real start time.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const stat = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const otherLive = owned('other', { pid: sleeper.pid, startTime, bootId: own.bootId });
      const unowned = join(scratch, 'mapreduce-unowned-x');
      mkdirSync(unowned);
      const failed = createWorkFolder(scratch, 'failed');
      writeFileSync(join(failed, 'owner.json'), JSON.stringify({ ...own, startTime: 'gone' }));
      keepWorkFolder(failed);
      const unrelated = join(scratch, 'something-else');
      mkdirSync(unrelated);
      writeFileSync(join(unrelated, 'owner.json'), JSON.stringify({ pid: done.pid }));

      const swept = sweepWorkFolders(scratch);
      assert.deepEqual(swept.map((s) => s.path).sort(), [otherBoot, exited, reused].sort());
      for (const kept of [live, otherLive, unowned, failed, unrelated]) assert.ok(existsSync(kept), kept);
      for (const gone of [reused, otherBoot, exited]) assert.equal(existsSync(gone), false, gone);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
