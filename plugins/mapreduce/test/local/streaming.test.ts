// Streaming jobs on the local engine: Python programs under Hadoop Streaming's contract give exactly the parts the
// JavaScript jobs give, with every guarantee of the JavaScript path.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
import { sampleText } from '../cli';
import { referenceWordCount, testJob, tsvCounts } from '../reference';
import { runLocal, type RunLocalOptions } from '../../src/local/run';
import type { JobRuntimeConfig } from '../../src/runtime/contract';
import type { StreamingPrograms } from '../../src/runtime/streaming/programs';
import type { FailureReport } from '../../src/runtime/types';

const fixtures = join(__dirname, 'fixtures');
/** Splits of 64 KB: a dozen programs per run, not one per 4 KB. */
const CHUNK = 64 * 1024;
const jsJob = (overrides: Partial<JobRuntimeConfig> = {}) => testJob({ chunkSize: CHUNK, ...overrides });
const py = (script: string, ...args: string[]) => ['python3', `streaming/${script}`, ...args];

/**
 * CRLF and LF, unicode, empty lines, a 300 KB line, first tokens in several scripts, and no final newline. No
 * key holds a tab: in Hadoop Streaming's contract the first tab ends the key.
 */
function trickyCorpus(): string {
  const longLine = Array.from({ length: 40_000 }, (_, i) => ['Lambda', 'edge', 'ünïcode'][i % 3]).join(' ');
  return [
    sampleText(4000),
    '',
    longLine,
    '',
    '',
    '😀 emoji first token',
    'ünïcode first, again\r',
    'Ωmega ωmega',
    ' space-led line',
    'a line with a\ttab inside',
    'the last line has no newline',
  ].join('\n');
}

function streamingJob(
  programs: Partial<StreamingPrograms> & Pick<StreamingPrograms, 'map' | 'reduce'>,
  overrides: Partial<JobRuntimeConfig> = {},
): JobRuntimeConfig {
  return testJob({
    streaming: { maxLineBytes: 1024 * 1024, mapperTimeout: 300, reducerTimeout: 300, ...programs },
    retries: 0,
    chunkSize: CHUNK,
    ...overrides,
  });
}

describe('streaming jobs, locally', () => {
  let dir: string;
  let input: string;
  let text: string;
  let outputs = 0;

  const run = (options: Omit<RunLocalOptions, 'input' | 'outputDir' | 'serviceDir'> & { input?: string }) =>
    runLocal({
      input,
      outputDir: join(dir, `out-${++outputs}`),
      serviceDir: fixtures,
      workers: 2,
      ...options,
    });
  const partsOf = (parts: string[]) => parts.map((p) => readFileSync(p, 'utf8'));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-streaming-test-'));
    input = join(dir, 'tricky.txt');
    text = trickyCorpus();
    writeFileSync(input, text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const combine of [true, false]) {
    test(`a Python word count ${combine ? 'with' : 'without'} combiner writes the very parts of the JavaScript job`, async () => {
      const wordcount = join(fixtures, 'wordcount.ts');
      const js = await run({
        job: jsJob(),
        modules: {
          map: { file: wordcount, export: 'map' },
          reduce: { file: wordcount, export: 'reduce' },
          ...(combine ? { combine: { file: wordcount, export: 'reduce' } } : {}),
        },
      });
      const streaming = await run({
        job: streamingJob({
          map: py('wc_mapper.py'),
          reduce: py('wc_reducer.py'),
          ...(combine ? { combine: py('wc_reducer.py') } : {}),
        }),
      });
      assert.deepEqual(partsOf(streaming.parts), partsOf(js.parts));
      assert.deepEqual(tsvCounts(partsOf(streaming.parts)), referenceWordCount(text));
      const report = streaming.report;
      assert.equal(report.splits, js.report.splits);
      assert.deepEqual(report.records.in, js.report.records.in);
      assert.equal(report.records.emitted, js.report.records.emitted);
      assert.equal(report.records.out, js.report.records.out);
      if (combine) assert.ok(report.records.mapOutput < report.records.emitted, 'the combiner ran');
      else assert.equal(report.records.mapOutput, report.records.emitted);
      assert.ok(report.cost.estimatedUsd > 0);
    });
  }

  for (const combine of [false, true]) {
    test(`a Python per-key mean ${combine ? 'with' : 'without'} combiner writes the very parts of the JavaScript job`, async () => {
      const means = join(fixtures, 'means-lines.js');
      const js = await run({
        job: jsJob(),
        modules: { map: { file: means, export: 'map' }, reduce: { file: means, export: 'reduce' } },
      });
      const streaming = await run({
        job: streamingJob({
          map: py('mean_mapper.py'),
          reduce: py('mean_reducer.py'),
          ...(combine ? { combine: py('mean_reducer.py', '--combine') } : {}),
        }),
      });
      const parts = partsOf(streaming.parts);
      assert.deepEqual(parts, partsOf(js.parts));
      assert.match(parts.join(''), /^😀\t4$/m);
      assert.match(parts.join(''), /^Ωmega\t2$/m);
    });
  }

  test("MARLA's functions run unchanged through a small adapter, with the JavaScript job's very parts", async () => {
    const wordcount = join(fixtures, 'wordcount.ts');
    const js = await run({
      job: jsJob(),
      modules: { map: { file: wordcount, export: 'map' }, reduce: { file: wordcount, export: 'reduce' } },
    });
    const marla = await run({
      job: streamingJob({
        map: py('marla.py', 'map', 'streaming/marla_functions.py'),
        reduce: py('marla.py', 'reduce', 'streaming/marla_functions.py'),
      }),
    });
    assert.deepEqual(partsOf(marla.parts), partsOf(js.parts));
  });

  test('the reducer gets its input sorted by key and grouped, whatever order the mapper wrote; no tab is an empty value', async () => {
    const streaming = await run({
      job: streamingJob({ map: py('shuffled_mapper.py'), reduce: py('checking_reducer.py') }),
    });
    assert.deepEqual(tsvCounts(partsOf(streaming.parts)), referenceWordCount(text));
  });

  test('a partition 4x its memory budget spills, merges and reduces to the same counts', async () => {
    const programs = { map: py('wc_mapper.py'), reduce: py('wc_reducer.py') };
    const whole = await run({ job: streamingJob(programs, { reducers: 1 }) });
    assert.equal(whole.report.spills, 0);
    const budget = Math.floor(whole.report.bytes.intermediate / 4);
    const spilled = await run({
      job: streamingJob(programs, { reducers: 1, reducerMemoryBudget: budget }),
    });
    assert.ok(spilled.report.spills >= 4, `spills: ${spilled.report.spills}`);
    assert.deepEqual(partsOf(spilled.parts), partsOf(whole.parts));
  });

  test('a mapper that exits 1 on one split fails the run with _FAILED.json naming the split and its last stderr lines', async () => {
    const failing = join(dir, 'failing.txt');
    const before = sampleText(600);
    writeFileSync(failing, `${before}\nfail-here\n${sampleText(600)}`);
    const outputDir = join(dir, 'out-failing');
    await assert.rejects(
      runLocal({
        job: streamingJob({ map: py('failing_mapper.py'), reduce: py('wc_reducer.py') }, { retries: 1 }),
        input: failing,
        outputDir,
        serviceDir: fixtures,
        workers: 2,
      }),
      /split \d+ \(bytes \d+-\d+\) of .*failing\.txt failed after 2 attempts: the map program `python3 streaming\/failing_mapper\.py` on split \d+ \(bytes \d+-\d+\) exited with code 1; its last stderr lines:\nreading the poisoned record\nValueError: cannot map fail-here/,
    );
    const [runId] = readdirSync(outputDir);
    const report = JSON.parse(readFileSync(join(outputDir, runId!, '_FAILED.json'), 'utf8')) as FailureReport;
    assert.equal(report.phase, 'map');
    assert.equal(report.attempts, 2);
    const offset = Buffer.byteLength(`${before}\n`);
    assert.ok(report.split!.start <= offset && offset < report.split!.end, JSON.stringify(report.split));
    assert.match(
      report.error.message,
      /exited with code 1; its last stderr lines:\nreading the poisoned record\nValueError: cannot map fail-here$/,
    );
  });

  test('a program writing a line longer than the limit fails its task, saying so', async () => {
    await assert.rejects(
      run({
        job: streamingJob({
          map: py('long_line_mapper.py'),
          reduce: py('wc_reducer.py'),
          maxLineBytes: 64 * 1024,
        }),
      }),
      /the map program `python3 streaming\/long_line_mapper\.py` on split \d+ .* wrote a line longer than 65536 bytes \(the limit: streaming\.maxLineLength\)/,
    );
  });

  test('a program still running at the deadline is killed and fails its task, saying so', async () => {
    const started = Date.now();
    await assert.rejects(
      run({
        job: streamingJob({ map: py('hanging_mapper.py'), reduce: py('wc_reducer.py'), mapperTimeout: 1 }),
        workers: 1,
        input: join(fixtures, 'streaming', 'hanging_mapper.py'),
      }),
      /the map program `python3 streaming\/hanging_mapper\.py` on split 0 .* did not finish before the task's deadline \(1 s left when it started\); its last stderr lines:\nmapped; now sleeping/,
    );
    assert.ok(Date.now() - started < 60_000, 'long before the program would have ended');
  });

  test('each program is started once per split, not once per record', async () => {
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    process.env.PID_DIR = pids;
    try {
      const streaming = await run({
        job: streamingJob({ map: py('pid_mapper.py'), reduce: py('wc_reducer.py') }),
      });
      assert.equal(readdirSync(pids).length, streaming.report.splits);
      assert.ok(streaming.report.splits < streaming.report.records.in / 100);
      assert.deepEqual(tsvCounts(partsOf(streaming.parts)), referenceWordCount(text));
    } finally {
      delete process.env.PID_DIR;
    }
  });

  test('argv reaches the program as it was written: no shell expands it', async () => {
    const streaming = await run({
      job: streamingJob(
        { map: py('args_mapper.py', '$HOME', '*.py', 'a b; echo hi'), reduce: py('wc_reducer.py') },
        { reducers: 1 },
      ),
    });
    const counts = tsvCounts(partsOf(streaming.parts));
    assert.deepEqual([...counts.keys()].sort(), ['$HOME', '*.py', 'a b; echo hi'].sort());
    assert.ok(!existsSync(join(fixtures, 'hi')));
  });
});
