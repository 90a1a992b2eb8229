// `sls mapreduce run --local` through the real CLI: the same word count a plain loop computes.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceWordCount, runSls, sampleText, type Framework } from '../plugins/mapreduce/test/cli';
import { parseTsvLine } from '../plugins/mapreduce/src/runtime/tsv';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');

function readTsvParts(runDir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const part of readdirSync(runDir)
    .filter((f) => f.startsWith('part-'))
    .sort()) {
    for (const line of readFileSync(join(runDir, part), 'utf8').split('\n')) {
      if (!line) continue;
      const [word, n] = parseTsvLine(line) as [string, string];
      assert.ok(!counts.has(word), `${word} appears in one part only`);
      counts.set(word, Number(n));
    }
  }
  return counts;
}

const work = mkdtempSync(join(tmpdir(), 'mapreduce-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const text = sampleText(20_000);
const input = join(work, 'corpus.txt');
writeFileSync(input, text);

for (const framework of ['osls', 'serverless'] as Framework[]) {
  describe(`sls mapreduce run --local (${framework})`, () => {
    test('prints the report and writes the reference word count', async () => {
      const output = join(work, `out-${framework}`);
      const run = await runSls(
        framework,
        [
          'mapreduce',
          'run',
          '--job',
          'wordcount',
          '--input',
          input,
          '--local',
          '--output',
          output,
          '--workers',
          '2',
        ],
        { cwd: FIXTURE },
      );
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const match = /Run (\S+) of job wordcount succeeded/.exec(run.stdout);
      assert.ok(match, run.stdout);
      const runDir = join(output, match[1]!);
      assert.match(
        run.stdout,
        new RegExp(`Report: ${join(runDir, '_SUCCESS.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      assert.match(run.stdout, /records +20,000 in/);
      assert.ok(existsSync(join(runDir, '_SUCCESS.json')));
      const report = JSON.parse(readFileSync(join(runDir, '_SUCCESS.json'), 'utf8'));
      assert.equal(report.reducers, 8);
      assert.deepEqual(
        [...readTsvParts(runDir)].sort(([a], [b]) => (a < b ? -1 : 1)),
        [...referenceWordCount(text)].sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    });
  });
}

test('run --local removes the work folder a killed local run left in the temp folder, and says which and how much', async () => {
  const temp = mkdtempSync(join(work, 'tmp-'));
  const dead = join(temp, 'mapreduce-wordcount-killed');
  mkdirSync(dead);
  // The owner file of a run whose process is gone (a pid that exited), beside 3 KB of its intermediates.
  const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  writeFileSync(join(dead, 'owner.json'), JSON.stringify({ pid: Number(exited.stdout), startTime: '1' }));
  writeFileSync(join(dead, 'part-00000'), 'x'.repeat(3 * 1024 - 'owner.json'.length));
  const run = await runSls(
    'osls',
    [
      'mapreduce',
      'run',
      '--job',
      'wordcount',
      '--input',
      input,
      '--local',
      '--output',
      join(work, 'out-swept'),
    ],
    { cwd: FIXTURE, env: { TMPDIR: temp } },
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.equal(existsSync(dead), false);
  assert.match(
    run.stdout + run.stderr,
    new RegExp(
      `Removed the work folder of 1 killed local run \\(\\d\\.\\d KB\\): ${dead.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`,
    ),
  );
  assert.deepEqual(readdirSync(temp), [], 'and the run that swept leaves nothing either');
});

test('status --local lists the local runs and prints one report', async () => {
  const output = join(work, 'out-osls');
  const list = await runSls(
    'osls',
    ['mapreduce', 'status', '--job', 'wordcount', '--local', '--output', output],
    {
      cwd: FIXTURE,
    },
  );
  assert.equal(list.code, 0, list.stderr + list.stdout);
  const runId = new RegExp(
    `Runs of job wordcount \\(${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\):\\n {2}(\\S+) +succeeded`,
  ).exec(list.stdout)?.[1];
  assert.ok(runId, list.stdout);
  const one = await runSls(
    'osls',
    ['mapreduce', 'status', '--job', 'wordcount', '--local', '--output', output, '--run', runId],
    { cwd: FIXTURE },
  );
  assert.equal(one.code, 0, one.stderr + one.stdout);
  assert.match(
    one.stdout,
    new RegExp(`Run ${runId.replace(/\./g, '\\.')} succeeded: .*_SUCCESS\\.json\\n {2}input`),
  );
  assert.match(one.stdout, /records +20,000 in/);
});

describe('sls mapreduce run --local on JSON lines (osls)', () => {
  test('computes a mean per key without a combiner, written as JSON lines', async () => {
    const file = join(work, 'measurements.jsonl');
    writeFileSync(
      file,
      [
        '{"sensor":"a","value":1}',
        '{"sensor":"b","value":10}',
        '{"sensor":"a","value":2}',
        '{"sensor":"a","value":6}',
      ].join('\n'),
    );
    const output = join(work, 'means-out');
    const run = await runSls(
      'osls',
      ['mapreduce', 'run', '--job', 'means', '--input', file, '--local', '--output', output],
      {
        cwd: FIXTURE,
      },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const runId = /Run (\S+) of job means succeeded/.exec(run.stdout)![1]!;
    const lines = readdirSync(join(output, runId))
      .filter((f) => f.startsWith('part-'))
      .flatMap((f) =>
        readFileSync(join(output, runId, f), 'utf8')
          .split('\n')
          .filter(Boolean),
      )
      .map((l) => JSON.parse(l) as [string, number])
      .sort();
    assert.deepEqual(lines, [
      ['a', 3],
      ['b', 10],
    ]);
  });

  test('a record the job cannot read fails the run visibly: _FAILED.json, no parts, the split named', async () => {
    const file = join(work, 'broken.jsonl');
    writeFileSync(file, '{"sensor":"a","value":1}\nnot json\n');
    const output = join(work, 'broken-out');
    const run = await runSls(
      'osls',
      ['mapreduce', 'run', '--job', 'means', '--input', file, '--local', '--output', output],
      {
        cwd: FIXTURE,
      },
    );
    assert.notEqual(run.code, 0);
    const message = run.stdout + run.stderr;
    const split = /split (\d+) \(bytes \d+-\d+\) of \S+ failed after 3 attempts: .*not valid JSON/.exec(
      message,
    );
    assert.ok(split, message);
    assert.match(message, /\[CONTINUUM_RUN_FAILED\]/);
    const failed = /see (\S+_FAILED\.json)/.exec(message)?.[1];
    assert.ok(failed, message);
    const report = JSON.parse(readFileSync(failed, 'utf8'));
    assert.equal(report.status, 'failed');
    assert.equal(report.split.index, Number(split[1]));
    const runDir = join(failed, '..');
    assert.deepEqual(readdirSync(runDir), ['_FAILED.json']);
  });
});

test('an unknown job is refused with the list of jobs', async () => {
  const run = await runSls('osls', ['mapreduce', 'run', '--job', 'nope', '--input', input, '--local'], {
    cwd: FIXTURE,
  });
  assert.notEqual(run.code, 0);
  assert.match(
    run.stdout + run.stderr,
    /--job: no job "nope" under custom\.mapreduce \(jobs: wordcount, means\)/,
  );
});

test('status --local of a folder with no runs says so', async () => {
  const output = join(work, 'no-runs-here');
  const list = await runSls(
    'osls',
    ['mapreduce', 'status', '--job', 'wordcount', '--local', '--output', output],
    { cwd: FIXTURE },
  );
  assert.equal(list.code, 0, list.stderr + list.stdout);
  assert.equal(list.stdout.trim(), `No finished runs of job wordcount in ${output}`);
});
