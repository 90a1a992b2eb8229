import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamingProgram, showCommand, type ProgramSpec } from '../../src/runtime/streaming/program';
import { commandArgv } from '../../src/runtime/streaming/programs';
import { forEachPair, recordsAsLines } from '../../src/runtime/streaming/map';

const dir = mkdtempSync(join(tmpdir(), 'mr-program-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function spec(argv: string[], more: Partial<ProgramSpec> = {}): ProgramSpec {
  return { role: 'map', argv, cwd: dir, maxLineBytes: 1024, task: 'split 0 (bytes 0-10)', ...more };
}

/** Starts `argv`; collects its output lines. */
function start(argv: string[], more: Partial<ProgramSpec> = {}) {
  const lines: string[] = [];
  const program = StreamingProgram.start(spec(argv, more), (bytes, s, e) => {
    lines.push(...bytes.toString('utf8', s, e - 1).split('\n'));
  });
  return { program, lines };
}

describe('a streaming program', () => {
  test('gets its input on stdin and gives its output as whole lines, a last line without newline included', async () => {
    const { program, lines } = start([
      'python3',
      '-c',
      'import sys; sys.stdout.write(sys.stdin.read().upper())',
    ]);
    await program.write('a\tb\nunïcode 😀\n');
    await program.write('no newline');
    await program.end();
    assert.deepEqual(lines, ['A\tB', 'UNÏCODE 😀', 'NO NEWLINE']);
  });

  test('write waits while the program does not read: backpressure, not a growing buffer', async () => {
    const flag = join(dir, 'go');
    const { program, lines } = start([
      'python3',
      '-c',
      'import os, sys, time\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.01)\nprint(len(sys.stdin.buffer.read()))',
      flag,
    ]);
    let written = false;
    const writing = program.write(Buffer.alloc(4 * 1024 * 1024, 'x')).then(() => (written = true));
    await sleep(300);
    assert.equal(written, false, 'the pipe is full until the program reads');
    writeFileSync(flag, '');
    await writing;
    await program.end();
    assert.deepEqual(lines, [String(4 * 1024 * 1024)]);
  });

  test('a program that exits before reading all its input fails, as in Hadoop Streaming', async () => {
    const { program } = start(['python3', '-c', 'pass']);
    await program.write(Buffer.alloc(1024 * 1024, 'x'));
    await assert.rejects(
      program.end(),
      /the map program `python3 -c pass` on split 0 \(bytes 0-10\) exited before reading all of its input/,
    );
  });

  test('a program that cannot be started fails, naming it', async () => {
    const { program } = start(['no-such-program-here', 'x']);
    await assert.rejects(
      program.end(),
      /the map program `no-such-program-here x` on split 0 \(bytes 0-10\) could not be started: spawn no-such-program-here ENOENT/,
    );
  });

  test('a program killed by a signal fails, saying which', async () => {
    const { program } = start(['sh', '-c', 'kill -TERM $$']);
    await assert.rejects(program.end(), /was killed by SIGTERM \(it wrote nothing to stderr\)/);
  });
});

describe('the contract, piece by piece', () => {
  test('a line splits at its first tab; a line without one is a key with an empty value', () => {
    const pairs: Array<[string, string]> = [];
    forEachPair('a\t1\nno tab\n\t\nk\tv\tw\n', (k, v) => pairs.push([k, v]));
    assert.deepEqual(pairs, [
      ['a', '1'],
      ['no tab', ''],
      ['', ''],
      ['k', 'v\tw'],
      ['', ''],
    ]);
  });

  test('records reach stdin without their CRLF or LF, each ending with one newline; jsonl leaves blank lines out', () => {
    const block = Buffer.from('one\r\n\r\ntwo\nthree');
    const lines = recordsAsLines(block, 0, block.length, false);
    assert.equal(lines.lines.toString(), 'one\n\ntwo\nthree\n');
    assert.equal(lines.records, 4);
    const json = Buffer.from('{"a":1}\r\n  \n{"b":2}\n');
    const docs = recordsAsLines(json, 0, json.length, true);
    assert.equal(docs.lines.toString(), '{"a":1}\n{"b":2}\n');
    assert.equal(docs.records, 2);
  });

  test('a command is argv split at whitespace; shell syntax is refused, the list form taken as it is', () => {
    assert.deepEqual(commandArgv('python3  jobs/mapper.py --top 10'), [
      'python3',
      'jobs/mapper.py',
      '--top',
      '10',
    ]);
    assert.deepEqual(commandArgv(['python3', 'a b.py', '$HOME']), ['python3', 'a b.py', '$HOME']);
    assert.match(String(commandArgv('python3 m.py | sort')), /is argv, not a shell command/);
    assert.match(String(commandArgv('python3 m.py > out')), /is argv, not a shell command/);
    assert.equal(commandArgv('   '), 'must name a program to run');
    assert.equal(showCommand(['python3', 'a b.py', '$HOME']), 'python3 "a b.py" "$HOME"');
  });
});
