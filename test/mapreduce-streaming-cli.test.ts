// `sls mapreduce run --local` of a streaming job through the real CLI: the Python programs run in the service folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceWordCount, runSls, sampleText } from '../plugins/mapreduce/test/cli';
import { tsvCounts } from '../plugins/mapreduce/test/reference';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-streaming');
const work = mkdtempSync(join(tmpdir(), 'mapreduce-streaming-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('sls mapreduce run --local runs the Python word count and writes the reference counts', async () => {
  const text = sampleText(20_000);
  const input = join(work, 'corpus.txt');
  writeFileSync(input, text);
  const output = join(work, 'out');
  const run = await runSls(
    'osls',
    [
      'mapreduce',
      'run',
      '--job',
      'wordcount-py',
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
  const match = /Run (\S+) of job wordcount-py succeeded/.exec(run.stdout);
  assert.ok(match, run.stdout);
  assert.match(run.stdout, /records +20,000 in/);
  const runDir = join(output, match[1]!);
  const parts = readdirSync(runDir)
    .filter((f) => f.startsWith('part-'))
    .map((f) => readFileSync(join(runDir, f), 'utf8'));
  assert.equal(parts.length, 4);
  assert.deepEqual(tsvCounts(parts), referenceWordCount(text));
});
