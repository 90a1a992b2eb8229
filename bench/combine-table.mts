// Micro-benchmark behind the mapper's combining table (not part of `npm run bench`): the benchmark's map on the
// 50 MB corpus in one thread, its words dropped, counted in `StringTable` (as the mapper does), or in a `Map`
// (as bench/baseline.mjs does). Best of 4 each, interleaved. Usage (after `BENCH_MB=50 npm run bench` made the corpus):
//   node --import tsx bench/combine-table.mts [bench/.data/corpus-50mb.txt]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringTable } from '../plugins/mapreduce/src/runtime/string-table';

const file = process.argv[2] ?? join(import.meta.dirname, '.data', 'corpus-50mb.txt');
const text = readFileSync(file, 'utf8');
type Emit = (word: string, n: number) => void;
const map = (record: string, emit: Emit): void => {
  for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
};
const eachLine = (emit: Emit): void => {
  let from = 0;
  while (from < text.length) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    map(text.slice(from, nl), emit);
    from = nl + 1;
  }
};

let words = 0;
const variants: Record<string, () => number> = {
  'map only (words dropped)': () => {
    eachLine(() => words++);
    return 0;
  },
  'map + StringTable (the mapper)': () => {
    const table = new StringTable<number>(1 << 14);
    eachLine((w, n) => {
      const slot = table.find(w);
      if (slot < 0) table.insertAt(slot, w, n);
      else table.setAt(slot, table.valueAt(slot) + n);
    });
    return table.size;
  },
  'map + Map get/set (bench/baseline.mjs)': () => {
    const counts = new Map<string, number>();
    eachLine((w, n) => counts.set(w, (counts.get(w) ?? 0) + n));
    return counts.size;
  },
};
const best = new Map<string, number>();
for (let round = 0; round < 4; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const started = performance.now();
    run();
    best.set(name, Math.min(best.get(name) ?? Infinity, performance.now() - started));
  }
}
const mb = Buffer.byteLength(text) / 2 ** 20;
console.log(`${mb.toFixed(0)} MB, ${words / 4} words, best of 4:`);
for (const [name, ms] of best) console.log(`  ${name}: ${(ms / 1000).toFixed(2)} s`);
