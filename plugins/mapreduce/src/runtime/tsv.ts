// The TSV of output parts: `key<TAB>value` lines where a tab, newline, carriage return or backslash inside a
// field is written as `\t`, `\n`, `\r` or `\\`, so every line is one record with exactly its fields. Every
// reader of the project's parts (tests, the demo, the benchmark) goes through `parseTsvLine`.

const SPECIAL = /[\t\n\r\\]/;
const SPECIALS = /[\t\n\r\\]/g;
const ESCAPED = /\\([tnr\\])/g;
const ESCAPE_OF: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };
const CHAR_OF: Record<string, string> = { t: '\t', n: '\n', r: '\r', '\\': '\\' };

/** A field as written: the text itself unless it holds a tab, newline, carriage return or backslash. */
export function escapeTsvField(text: string): string {
  // The test first: most fields (words, numbers) hold none, and then no new string is made.
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPE_OF[c]!) : text;
}

/** A field as read: undoes `escapeTsvField`; any other backslash sequence is kept as it is. */
export function unescapeTsvField(field: string): string {
  return field.includes('\\') ? field.replace(ESCAPED, (_, c: string) => CHAR_OF[c]!) : field;
}

/** The fields of one line of a part (without its `\n`), unescaped. */
export function parseTsvLine(line: string): string[] {
  return line.split('\t').map(unescapeTsvField);
}
