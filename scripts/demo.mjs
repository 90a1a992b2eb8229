// `npm run demo`: a word count over a generated text corpus with `sls mapreduce run --local`, through the real CLI
// and `serverless.example.ts`. No cloud account, no network: worker threads on this machine.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// DEMO_DIR and DEMO_MB let a test run the demo small and in its own folder.
const demoDir = process.env.DEMO_DIR ?? join(root, '.tmp', 'demo');
const corpus = join(demoDir, 'corpus.txt');
const outputDir = join(demoDir, 'output');
const TARGET_BYTES = Number(process.env.DEMO_MB ?? 32) * 1024 * 1024;

if (!existsSync(join(root, 'plugins', 'mapreduce', 'dist', 'index.js'))) {
  console.error('The plugins are not built yet: run `npm run build` (npm ci runs it for you) and try again.');
  process.exit(1);
}

// Common words first, so the top of the count reads like English; a generated long tail after them.
const COMMON = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have ' +
  'an they you were her she there one all we their been has when who will more no if out so said what up ' +
  'its about into than them can only other new some could time these two may then do first any my now such ' +
  'like our over man me even most made after also did many before must through back years where much your ' +
  'way well down should because each just those people how too little state good very make world still own ' +
  'see men work long get here between both life being under never day same another know while last might us ' +
  'great old year off come since against go came right used take three data cloud function lambda bucket ' +
  'object mapper reducer partition split record science edge continuum cluster serverless'
).split(' ');
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ra',
  'tu',
  'vi',
  'so',
  'pe',
  'da',
  'qui',
  'zen',
  'bar',
  'tor',
  'lin',
];

function vocabulary() {
  const words = [...COMMON];
  const seen = new Set(words);
  for (let i = 0; words.length < 20000; i++) {
    let n = i + 1;
    let word = '';
    while (n > 0) {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    }
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

/** A deterministic Zipf-like corpus (word rank r drawn with weight 1/r); the same bytes on every machine. */
function generateCorpus(file, targetBytes) {
  const words = vocabulary();
  const cumulative = new Float64Array(words.length);
  let total = 0;
  for (let r = 0; r < words.length; r++) cumulative[r] = total += 1 / (r + 1);
  let state = 20250101;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const pick = () => {
    const x = random() * total;
    let lo = 0;
    let hi = words.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  let written = 0;
  let wordCount = 0;
  try {
    while (written < targetBytes) {
      const lines = [];
      for (let i = 0; i < 2000; i++) {
        const n = 6 + Math.floor(random() * 10);
        const line = [];
        for (let j = 0; j < n; j++) line.push(pick());
        wordCount += n;
        const text = line.join(' ');
        lines.push(i % 5 === 0 ? text.charAt(0).toUpperCase() + text.slice(1) + '.' : text);
      }
      const chunk = Buffer.from(lines.join('\n') + '\n');
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return wordCount;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// 1. The corpus (kept in .tmp/demo between runs).
let started = Date.now();
if (!existsSync(corpus) || statSync(corpus).size < TARGET_BYTES) {
  const words = generateCorpus(corpus, TARGET_BYTES);
  console.log(
    `Generated ${relative(root, corpus)}: ${(statSync(corpus).size / 1024 / 1024).toFixed(1)} MB, ` +
      `${words.toLocaleString('en-US')} words (${seconds(Date.now() - started)})`,
  );
} else {
  console.log(`Using ${relative(root, corpus)} (${(statSync(corpus).size / 1024 / 1024).toFixed(1)} MB)`);
}

// 2. The real CLI, on the service in serverless.example.ts.
const args = [
  join(root, 'node_modules', 'osls', 'bin', 'serverless.js'),
  'mapreduce',
  'run',
  '--job',
  'wordcount',
  '--input',
  relative(root, corpus),
  '--local',
  '--output',
  relative(root, outputDir),
  '--config',
  'serverless.example.ts',
];
console.log(`\n$ serverless ${args.slice(1).join(' ')}\n`);
started = Date.now();
const run = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
});
if (run.status !== 0) process.exit(run.status ?? 1);
const elapsed = Date.now() - started;

// 3. The top words of the newest run, read back from its parts.
const runs = readdirSync(outputDir)
  .map((name) => join(outputDir, name))
  .filter((dir) => existsSync(join(dir, '_SUCCESS.json')))
  .sort((a, b) => statSync(join(a, '_SUCCESS.json')).mtimeMs - statSync(join(b, '_SUCCESS.json')).mtimeMs);
const runDir = runs.at(-1);
// Parts escape tabs, newlines and backslashes inside fields: read them with the plugin's own reader.
const { parseTsvLine } = await import('../plugins/mapreduce/dist/runtime/tsv.js');
const counts = [];
for (const part of readdirSync(runDir).filter((f) => f.startsWith('part-'))) {
  for (const line of readFileSync(join(runDir, part), 'utf8').split('\n')) {
    if (!line) continue;
    const [word, n] = parseTsvLine(line);
    counts.push([word, Number(n)]);
  }
}
counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
const totalWords = counts.reduce((sum, [, n]) => sum + n, 0);
console.log(
  `\nTop words of ${relative(root, runDir)} (${counts.length.toLocaleString('en-US')} distinct, ` +
    `${totalWords.toLocaleString('en-US')} in all; CLI run including framework start-up ${seconds(elapsed)}):`,
);
for (const [word, n] of counts.slice(0, 10))
  console.log(`  ${word.padEnd(12)} ${n.toLocaleString('en-US').padStart(12)}`);
console.log('\nNext: `npm run resources` shows what `sls deploy` would create for this service on AWS.');
