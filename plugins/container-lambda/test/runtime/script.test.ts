import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript, TailBuffer } from '@serverless-continuum/core/local';
import { writeScript } from './helpers/supervisor';

const base = { env: { PATH: process.env.PATH ?? '/bin' }, cwd: tmpdir(), now: () => Date.now() };

describe('running the script', () => {
  test('captures stdout, streams every line to the log and reports the exit code', async () => {
    const lines: string[] = [];
    const result = await runScript({
      ...base,
      script: writeScript('echo one\necho two >&2\nprintf three\nexit 3\n'),
      log: (line) => lines.push(line),
    });
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout.toString(), 'one\nthree');
    assert.equal(result.stderrTail, 'two');
    assert.deepEqual(lines.sort(), ['[stderr] two', 'one', 'three']);
  });

  test('keeps only the last 20 lines of stderr', async () => {
    const result = await runScript({
      ...base,
      script: writeScript('i=1\nwhile [ $i -le 50 ]; do echo "line $i" >&2; i=$((i+1)); done\nexit 1\n'),
      log: () => undefined,
    });
    const tail = result.stderrTail.split('\n');
    assert.equal(tail.length, 20);
    assert.equal(tail[0], 'line 31');
    assert.equal(tail[19], 'line 50');
  });

  test('bounds the stdout it keeps', async () => {
    const result = await runScript({
      ...base,
      script: writeScript('head -c 100000 /dev/zero\n'),
      log: () => undefined,
      maxStdoutBytes: 1000,
    });
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.stdoutTruncated, true);
  });

  test('sends at most its log limit to the log, then one line saying how much was left out', async () => {
    const lines: string[] = [];
    const result = await runScript({
      ...base,
      script: writeScript('echo one\necho two\necho three\necho four\n'),
      log: (line) => lines.push(line),
      logLimitBytes: 8,
    });
    assert.equal(result.stdout.toString(), 'one\ntwo\nthree\nfour\n', 'the answer keeps its own limit');
    assert.deepEqual(lines, [
      'one',
      'two',
      "[supervisor] 11 more bytes of the script's output were left out of the log (it keeps 8 bytes per invocation)",
    ]);
  });

  test('at the deadline the whole process group is killed, background children included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-deadline-'));
    try {
      const marker = join(dir, 'survivor');
      // The background child would create the marker after the deadline if it outlived the script.
      const script = writeScript(`(sleep 1; touch "$MARKER") &\nsleep 30\n`);
      const result = await runScript({
        ...base,
        env: { ...base.env, MARKER: marker },
        script,
        deadlineAt: Date.now() + 300,
        log: () => undefined,
      });
      assert.equal(result.timedOut, true);
      assert.equal(result.signal, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(existsSync(marker), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the tail buffer keeps the end of a long stream', () => {
    const tail = new TailBuffer(10);
    for (let i = 0; i < 100; i++) tail.push(Buffer.from(`${i}\n`));
    assert.equal(tail.text(2), '98\n99');
  });
});
