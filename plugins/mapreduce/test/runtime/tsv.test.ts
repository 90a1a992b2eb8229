import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatOutputLine } from '../../src/runtime/keys';
import { parseTsvLine } from '../../src/runtime/tsv';

describe('TSV parts', () => {
  test('a tab, newline, carriage return or backslash in a key or value is escaped: one line, two fields', () => {
    assert.equal(formatOutputLine('tab\there', 'two\nlines', 'tsv'), 'tab\\there\ttwo\\nlines\n');
    assert.equal(formatOutputLine('cr\r', 'back\\slash', 'tsv'), 'cr\\r\tback\\\\slash\n');
    // JSON text is escaped too: its backslashes double, so that reading undoes exactly what writing did.
    assert.equal(formatOutputLine(['a\tb'], { s: 'x"y' }, 'tsv'), '["a\\\\tb"]\t{"s":"x\\\\"y"}\n');
    assert.equal(formatOutputLine('plain', 42, 'tsv'), 'plain\t42\n');
  });

  test('every line reads back as exactly its record, whatever the key and value hold', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\t', '\n', '\r', '\\', 't', 'n', 'é', '😀') });
    fc.assert(
      fc.property(text, text, (key, value) => {
        const line = formatOutputLine(key, value, 'tsv');
        assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
        assert.equal(line.split('\t').length, 2, 'two fields');
        assert.deepEqual(parseTsvLine(line.slice(0, -1)), [key, value]);
      }),
    );
  });

  test('reading keeps an unknown escape and a trailing backslash as they are', () => {
    assert.deepEqual(parseTsvLine('a\\qb\tc\\'), ['a\\qb', 'c\\']);
    assert.deepEqual(parseTsvLine('no escapes\tat all'), ['no escapes', 'at all']);
  });
});
