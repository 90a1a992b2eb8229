// Deterministic Zipf-like text for the word-count benchmark: `generateCorpus(file, megabytes)`.
import { closeSync, openSync, writeSync } from 'node:fs';

/** mulberry32: a small seeded PRNG, so every machine generates the same corpus. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateCorpus(file, megabytes, { vocabulary = 50_000, exponent = 1.05, seed = 42 } = {}) {
  const rand = prng(seed);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const words = [];
  const seen = new Set();
  while (words.length < vocabulary) {
    const len = 1 + Math.floor(rand() * rand() * 12);
    let w = '';
    for (let i = 0; i < len; i++) w += letters[Math.floor(rand() * rand() * letters.length)];
    if (seen.has(w)) continue;
    seen.add(w);
    words.push(w);
  }
  // Variants as they appear in text: capitalized, with punctuation.
  const variants = words.map((w) => [w, w[0].toUpperCase() + w.slice(1), `${w},`, `${w}.`, w.toUpperCase()]);
  // Inverse CDF of Zipf(exponent) quantized into a 2^20 lookup table.
  const weights = words.map((_, i) => 1 / Math.pow(i + 1, exponent));
  const total = weights.reduce((a, b) => a + b, 0);
  const TABLE = 1 << 20;
  const table = new Uint32Array(TABLE);
  let acc = 0;
  let k = 0;
  for (let i = 0; i < TABLE; i++) {
    const u = (i + 0.5) / TABLE;
    while (k < words.length - 1 && acc + weights[k] / total < u) acc += weights[k++] / total;
    table[i] = k;
  }
  const target = Math.round(megabytes * 1024 * 1024);
  const fd = openSync(file, 'w');
  let written = 0;
  const pieces = [];
  let pending = 0;
  while (written + pending < target) {
    const n = 6 + Math.floor(rand() * 12);
    let line = '';
    for (let i = 0; i < n; i++) {
      const v = rand();
      const forms = variants[table[Math.floor(rand() * TABLE)]];
      const form =
        v < 0.85 ? forms[0] : v < 0.93 ? forms[1] : v < 0.96 ? forms[2] : v < 0.99 ? forms[3] : forms[4];
      line += i ? ` ${form}` : form;
    }
    line += '\n';
    pieces.push(line);
    pending += line.length;
    if (pending >= 8 << 20) {
      written += writeSync(fd, pieces.join(''));
      pieces.length = 0;
      pending = 0;
    }
  }
  if (pieces.length) {
    let text = pieces.join('');
    if (written + text.length > target) text = text.slice(0, Math.max(0, target - written - 1)) + '\n';
    written += writeSync(fd, text);
  }
  closeSync(fd);
  return written;
}
