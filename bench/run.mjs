// `npm run bench`: word count over a generated text file (500 MB; BENCH_MB=50 for a quick run), medians of 3:
// (a) `sls mapreduce run --local` (the real CLI on bench/service; `runLocal` directly when the plugin is not built)
// (b) a hand-written single-threaded Node.js loop with the same tokenizing (bench/baseline.mjs)
// (c) LC_ALL=C tr -cs A-Za-z '\n' | tr A-Z a-z | sort | uniq -c, as the issue writes it (the locale prefix
//     covers the first tr only), and (c') the same with LC_ALL=C on every stage
// Prints times, ratios, peak RSS of (a), and checks that all four agree on every count. Then the streaming bench,
// the tascaas bench, the image builder's and the mapreduce scale bench (BENCH_ONLY=streaming, tascaas, image or
// scale runs one alone).
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { generateCorpus } from './corpus.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The tascaas bench (bench/tascaas/balance.mts) runs after the word count, or alone with BENCH_ONLY=tascaas. */
function benchTascaas() {
  if (!existsSync(join(root, 'plugins', 'tascaas', 'dist', 'worker', 'index.js'))) {
    console.log('\ntascaas: skipped, run `npm run build` first (its programs run the built worker SDK)');
    return;
  }
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'tascaas', 'balance.mts')], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exitCode = 1;
}

/** The streaming bench (bench/streaming.mjs) runs after the word count, or alone with BENCH_ONLY=streaming. */
function benchStreaming() {
  const run = spawnSync(process.execPath, [join(here, 'streaming.mjs')], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}

/** The registry builder's bench (bench/image/build-push.mts): after the others, or alone with BENCH_ONLY=image. */
function benchImage() {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'image', 'build-push.mts')], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exitCode = 1;
}
if (process.env.BENCH_ONLY === 'tascaas') {
  benchTascaas();
  process.exit();
}
if (process.env.BENCH_ONLY === 'image') {
  benchImage();
  process.exit();
}

/** The mapreduce scale bench (bench/mapreduce/scale.mts) runs last, or alone with BENCH_ONLY=scale. */
function benchScale() {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'mapreduce', 'scale.mts')], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exitCode = 1;
}
if (process.env.BENCH_ONLY === 'scale') {
  benchScale();
  process.exit();
}
if (process.env.BENCH_ONLY === 'streaming') {
  benchStreaming();
  process.exit();
}
const MB = Number(process.env.BENCH_MB ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dataDir = join(here, '.data');
const corpus = join(dataDir, `corpus-${MB}mb.txt`);
const work = mkdtempSync(join(tmpdir(), 'mr-bench-'));
const hasTime = existsSync('/usr/bin/time');
// (a) runs the CLI the demo uses, osls (the maintained open-source fork); BENCH_CLI=serverless measures serverless@3.
const cliName = process.env.BENCH_CLI ?? 'osls';
const cliBin = join(root, 'node_modules', cliName, 'bin', 'serverless.js');

if (!existsSync(corpus) || statSync(corpus).size !== Math.round(MB * 1024 * 1024)) {
  mkdirSync(dataDir, { recursive: true });
  const t = Date.now();
  process.stdout.write(`generating ${corpus} (${MB} MB, Zipf-like words) ... `);
  generateCorpus(corpus, MB);
  console.log(`${((Date.now() - t) / 1000).toFixed(1)} s`);
}

// The job's documented chunk size, 64 MB; smaller files get smaller chunks so that every core has splits to map.
const chunkMb = MB >= 256 ? 64 : Math.max(1, Math.ceil(MB / 8));
process.env.BENCH_CHUNK = `${chunkMb}MB`;
const slsEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
};

/** Runs a command; returns wall seconds and, with /usr/bin/time, the peak RSS in MB. */
function measure(label, argv, options = {}) {
  const cmd = hasTime ? ['/usr/bin/time', '-v', ...argv] : argv;
  const started = process.hrtime.bigint();
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (out.status !== 0) {
    throw new Error(
      `${label} failed (${out.status}):\n${out.stdout.slice(-2000)}\n${out.stderr.slice(-4000)}`,
    );
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(out.stderr ?? '');
  const user = /User time \(seconds\): ([\d.]+)/.exec(out.stderr ?? '');
  const sys = /System time \(seconds\): ([\d.]+)/.exec(out.stderr ?? '');
  const cpu = user && sys ? Number(user[1]) + Number(sys[1]) : undefined;
  return { seconds, cpu, rssMb: rss ? Number(rss[1]) / 1024 : undefined, stdout: out.stdout };
}

/** The arguments of (a): `sls mapreduce run --job wordcount --local` on one input. */
const cliArgs = (input, output) => [
  cliBin,
  ...['mapreduce', 'run', '--job', 'wordcount', '--local', '--input', input, '--output', output],
];
const outA = join(work, 'a');
const outB = join(work, 'b.tsv');
const outC = join(work, 'c.txt');
const outD = join(work, 'd.txt');
/** The CLI is measured when the built plugin runs a tiny job; otherwise (a) falls back to `runLocal` and says why. */
function cliWorks() {
  if (!existsSync(join(root, 'plugins/mapreduce/dist/local/run.js')))
    return 'the plugin is not built (npm run build)';
  const tiny = join(work, 'tiny.txt');
  writeFileSync(tiny, 'a tiny corpus\n');
  const out = spawnSync(process.execPath, cliArgs(tiny, join(work, 'tiny')), {
    cwd: join(here, 'service'),
    env: slsEnv,
    encoding: 'utf8',
  });
  return out.status === 0
    ? true
    : `the CLI failed on a tiny input: ${(out.stderr || out.stdout).split('\n').find(Boolean)}`;
}
const cli = cliWorks();
const cliBuilt = cli === true;
if (!cliBuilt) console.log(`(a) measures runLocal directly: ${cli}`);

const variants = {
  a: cliBuilt
    ? {
        name: `(a) sls mapreduce run --local (${cliName})`,
        argv: [process.execPath, ...cliArgs(corpus, outA)],
        options: { cwd: join(here, 'service'), env: slsEnv },
      }
    : {
        name: '(a) runLocal (direct)',
        argv: [process.execPath, '--import', 'tsx', join(here, 'local-run.mts'), corpus, outA],
        options: { cwd: root, env: { ...process.env, BENCH_CHUNK: String(chunkMb * 1024 * 1024) } },
      },
  b: {
    name: '(b) single-threaded Node.js loop',
    argv: [process.execPath, join(here, 'baseline.mjs'), corpus, outB],
    options: {},
  },
  // The issue's command as written: `LC_ALL=C` prefixes the first `tr` only, so `tr A-Z a-z`, `sort` and
  // `uniq` run in this environment's locale (printed below).
  c: {
    name: '(c) LC_ALL=C tr | tr | sort | uniq -c, as the issue writes it',
    argv: [
      'sh',
      '-c',
      `LC_ALL=C tr -cs A-Za-z '\\n' < "$0" | tr A-Z a-z | sort | uniq -c > "$1"`,
      corpus,
      outC,
    ],
    options: {},
  },
  // The stricter reading: every stage in the C locale (byte comparisons: the fastest `sort`).
  d: {
    name: "(c') the same with LC_ALL=C for every stage",
    argv: [
      'sh',
      '-c',
      `LC_ALL=C tr -cs A-Za-z '\\n' < "$0" | LC_ALL=C tr A-Z a-z | LC_ALL=C sort | LC_ALL=C uniq -c > "$1"`,
      corpus,
      outD,
    ],
    options: { env: { ...process.env, LC_ALL: 'C' } },
  },
};

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(
  `word count over ${MB} MB (chunks of ${chunkMb} MB), ${RUNS} runs each, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, locale LANG=${process.env.LANG ?? ''} LC_ALL=${process.env.LC_ALL ?? ''}`,
);
if (loadavg()[0] > availableParallelism() / 2) {
  console.log(
    '  note: the machine is busy; wall-clock ratios understate (a), which needs every core at once',
  );
}
const results = { a: [], b: [], c: [], d: [] };
let peakA = 0;
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const key of ['a', 'b', 'c', 'd']) {
      if (key === 'a') rmSync(outA, { recursive: true, force: true });
      const v = variants[key];
      const m = measure(v.name, v.argv, v.options);
      results[key].push(m.seconds);
      if (key === 'a' && m.rssMb) peakA = Math.max(peakA, m.rssMb);
      console.log(
        `  run ${run} ${v.name}: ${m.seconds.toFixed(2)} s` +
          (m.cpu !== undefined ? ` (cpu ${m.cpu.toFixed(2)} s)` : '') +
          (m.rssMb ? `, peak RSS ${m.rssMb.toFixed(0)} MB` : ''),
      );
    }
  }

  // All four must agree on every count.
  const expected = new Map(
    readFileSync(outB, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([k, v]) => [k, Number(v)]),
  );
  const got = new Map();
  const runDir = join(outA, readdirSync(outA)[0]);
  // Parts escape tabs, newlines and backslashes inside fields: read them with the plugin's own reader (its
  // sources through tsx, since (a) may run without a build).
  const { parseTsvLine } = await tsImport('../plugins/mapreduce/src/runtime/tsv.ts', import.meta.url);
  for (const part of readdirSync(runDir).filter((f) => f.startsWith('part-'))) {
    for (const line of readFileSync(join(runDir, part), 'utf8').split('\n').filter(Boolean)) {
      const [k, v] = parseTsvLine(line);
      got.set(k, Number(v));
    }
  }
  const uniqCounts = (file) =>
    new Map(
      readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([n, w]) => n && w)
        .map(([n, w]) => [w, Number(n)]),
    );
  const same = (m) => m.size === expected.size && [...expected].every(([k, v]) => m.get(k) === v);
  const agree = same(got) && same(uniqCounts(outC)) && same(uniqCounts(outD));

  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((k) => median(results[k]));
  console.log(`\nmedians of ${RUNS} (${MB} MB):`);
  console.log(
    `  ${variants.a.name}: ${a.toFixed(2)} s, peak RSS ${peakA ? `${peakA.toFixed(0)} MB` : 'n/a'}`,
  );
  console.log(`  ${variants.b.name}: ${b.toFixed(2)} s`);
  console.log(`  ${variants.c.name}: ${c.toFixed(2)} s`);
  console.log(`  ${variants.d.name}: ${d.toFixed(2)} s`);
  console.log(
    `ratios: (b)/(a) = ${(b / a).toFixed(2)}x (target >= 1.6), (c)/(a) = ${(c / a).toFixed(2)}x (target >= 5), (c')/(a) = ${(d / a).toFixed(2)}x`,
  );
  console.log(
    `peak memory of (a): ${peakA ? `${peakA.toFixed(0)} MB (target < 1024)` : 'n/a (no /usr/bin/time)'}`,
  );
  console.log(`results agree: ${agree ? `yes (${expected.size} distinct words)` : 'NO'}`);
  if (!agree) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
benchStreaming();
benchTascaas();
benchScale();
benchImage();
