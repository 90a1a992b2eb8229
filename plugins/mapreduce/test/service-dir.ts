// A throwaway service folder with a user module, for tests that resolve `map`/`reduce` paths.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

export function serviceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mapreduce-service-'));
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const WORDCOUNT_MODULE = [
  'export const map = (record: string, emit: (k: string, v: number) => void) => {',
  '  for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);',
  '};',
  'export const reduce = (_key: string, values: number[]) => values.reduce((a, b) => a + b, 0);',
  '',
].join('\n');
