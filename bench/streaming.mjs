// The streaming bench (`BENCH_ONLY=streaming npm run bench`, and after the word count in a full run): word count
// over the generated corpus (BENCH_MB, default 500), medians of BENCH_RUNS (default 3), of
// (s) `sls mapreduce run --job wordcount-py --local`: Python mapper, combiner and reducer as a streaming job,
// (p) the same Python programs piped by hand, `python3 mapper.py < file | sort | python3 reducer.py`, and (p') the
//     same with `LC_ALL=C sort`,
// (j) `sls mapreduce run --job wordcount --local`, the JavaScript job, for the streaming path's overhead.
// All must agree on every count. PYTHONUNBUFFERED is removed for every variant: set (as on some machines), it
// makes Python write each line with its own system calls, which measures the environment, not the job.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from './corpus.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const service = join(here, 'service');
const MB = Number(process.env.BENCH_MB ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const corpus = join(here, '.data', `corpus-${MB}mb.txt`);
const cliBin = join(root, 'node_modules', process.env.BENCH_CLI ?? 'osls', 'bin', 'serverless.js');
const work = mkdtempSync(join(tmpdir(), 'mr-bench-streaming-'));

if (!existsSync(join(root, 'plugins/mapreduce/dist/local/run.js'))) {
  console.log('streaming: skipped, run `npm run build` first (the CLI loads the built plugin)');
  process.exit();
}
if (!existsSync(corpus) || statSync(corpus).size !== Math.round(MB * 1024 * 1024)) {
  mkdirSync(dirname(corpus), { recursive: true });
  process.stdout.write(`generating ${corpus} (${MB} MB) ... `);
  generateCorpus(corpus, MB);
  console.log('done');
}
const chunkMb = MB >= 256 ? 64 : Math.max(1, Math.ceil(MB / 8));
const env = {
  ...process.env,
  BENCH_CHUNK: `${chunkMb}MB`,
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
};
const unbuffered = env.PYTHONUNBUFFERED;
delete env.PYTHONUNBUFFERED;

function measure(label, argv, options = {}) {
  const time = existsSync('/usr/bin/time');
  const cmd = time ? ['/usr/bin/time', '-f', 'cpu %U %S', ...argv] : argv;
  const started = process.hrtime.bigint();
  const out = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, env, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (out.status !== 0) throw new Error(`${label} failed (${out.status}):\n${out.stderr.slice(-4000)}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(out.stderr ?? '');
  return { seconds, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined };
}

const cli = (job, output) => [
  process.execPath,
  cliBin,
  ...['mapreduce', 'run', '--job', job, '--local', '--input', corpus, '--output', output],
];
const pipe = (sort) => `python3 jobs/mapper.py < "$0" | ${sort} | python3 jobs/reducer.py > "$1"`;
const out = { s: join(work, 's'), p: join(work, 'p.tsv'), q: join(work, 'q.tsv'), j: join(work, 'j') };
const variants = {
  s: {
    name: '(s) streaming job, Python programs (sls mapreduce run --local)',
    argv: cli('wordcount-py', out.s),
  },
  p: {
    name: '(p) python3 mapper.py < file | sort | python3 reducer.py',
    argv: ['sh', '-c', pipe('sort'), corpus, out.p],
  },
  q: {
    name: "(p') the same with LC_ALL=C sort",
    argv: ['sh', '-c', pipe('LC_ALL=C sort'), corpus, out.q],
  },
  j: { name: '(j) the JavaScript job (sls mapreduce run --local)', argv: cli('wordcount', out.j) },
};

console.log(
  `\nstreaming word count over ${MB} MB (chunks of ${chunkMb} MB), ${RUNS} runs each, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, LANG=${env.LANG ?? ''}${unbuffered !== undefined ? ', PYTHONUNBUFFERED removed' : ''}`,
);
const results = { s: [], p: [], q: [], j: [] };
const cpus = { s: [], p: [], q: [], j: [] };
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
/** word -> count of a run's parts (TSV `word<TAB>count`; no word holds a tab or a backslash). */
function partCounts(dir) {
  const runDir = join(dir, readdirSync(dir)[0]);
  const counts = new Map();
  for (const part of readdirSync(runDir).filter((f) => f.startsWith('part-'))) {
    for (const line of readFileSync(join(runDir, part), 'utf8').split('\n').filter(Boolean)) {
      const [k, v] = line.split('\t');
      counts.set(k, Number(v));
    }
  }
  return counts;
}
const fileCounts = (file) =>
  new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([k, v]) => [k, Number(v)]),
  );
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const key of ['s', 'p', 'q', 'j']) {
      rmSync(out[key], { recursive: true, force: true });
      const m = measure(variants[key].name, variants[key].argv, { cwd: service });
      results[key].push(m.seconds);
      if (m.cpu !== undefined) cpus[key].push(m.cpu);
      console.log(
        `  run ${run} ${variants[key].name}: ${m.seconds.toFixed(2)} s` +
          (m.cpu !== undefined ? ` (cpu ${m.cpu.toFixed(2)} s)` : ''),
      );
    }
  }
  const expected = partCounts(out.j);
  const same = (m) => m.size === expected.size && [...expected].every(([k, v]) => m.get(k) === v);
  const agree = same(partCounts(out.s)) && same(fileCounts(out.p)) && same(fileCounts(out.q));
  const [s, p, q, j] = ['s', 'p', 'q', 'j'].map((k) => median(results[k]));
  console.log(`\nmedians of ${RUNS} (${MB} MB):`);
  for (const key of ['s', 'p', 'q', 'j']) {
    const cpu = cpus[key].length ? `, cpu ${median(cpus[key]).toFixed(2)} s` : '';
    console.log(`  ${variants[key].name}: ${median(results[key]).toFixed(2)} s${cpu}`);
  }
  console.log(
    `ratios: (p)/(s) = ${(p / s).toFixed(2)}x (target >= 1.6), (p')/(s) = ${(q / s).toFixed(2)}x; ` +
      `overhead of streaming over the JavaScript job: (s)/(j) = ${(s / j).toFixed(2)}x (+${(s - j).toFixed(2)} s)`,
  );
  console.log(`results agree: ${agree ? `yes (${expected.size} distinct words)` : 'NO'}`);
  if (!agree) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
