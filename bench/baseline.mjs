// Baseline (b): a hand-written single-threaded word count with the same tokenizing as the benchmark's map function.
// Usage: node bench/baseline.mjs <input> <output>
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const counts = new Map();
const fd = openSync(input, 'r');
const chunk = Buffer.allocUnsafe(8 << 20);
let carry = '';
const countLine = (line) => {
  for (const w of line.toLowerCase().match(/[a-z]+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
};
for (;;) {
  const n = readSync(fd, chunk, 0, chunk.length, null);
  if (n === 0) break;
  const lastNl = chunk.lastIndexOf(10, n - 1);
  if (lastNl < 0) {
    carry += chunk.toString('utf8', 0, n);
    continue;
  }
  const text = carry + chunk.toString('utf8', 0, lastNl);
  carry = chunk.toString('utf8', lastNl + 1, n);
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    if (nl < 0) {
      countLine(text.slice(from));
      break;
    }
    countLine(text.slice(from, nl));
    from = nl + 1;
  }
}
if (carry) countLine(carry);
closeSync(fd);
const keys = [...counts.keys()].sort();
writeFileSync(output, keys.map((k) => `${k}\t${counts.get(k)}\n`).join(''));
