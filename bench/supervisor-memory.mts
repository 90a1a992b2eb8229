// The supervisor's memory over many sequential invocations: the bundled supervisor (dist/runtime/supervisor.js,
// `npm run build` first) speaks the Runtime API to a loopback server; each invocation's script prints 2 MB to
// stderr (past the 1 MiB log cap) and 100 KB to stdout (the answer). Prints VmRSS after chosen invocations.
// Usage: node --import tsx bench/supervisor-memory.mts [invocations=1000]
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRuntimeApi } from '../plugins/container-lambda/test/runtime/helpers/runtime-api';

const BUNDLE = resolve(import.meta.dirname, '../plugins/container-lambda/dist/runtime/supervisor.js');

const invocations = Number(process.argv[2] ?? 1000);
if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);

const api = await startRuntimeApi();
const line = 'x'.repeat(99);
const scratch = mkdtempSync(join(tmpdir(), 'continuum-bench-'));
const script = join(scratch, 'script.sh');
writeFileSync(script, `yes '${line}' | head -c 2000000 >&2\nyes '${line}' | head -c 100000\n`);
chmodSync(script, 0o644);
const supervisor = spawn(process.execPath, [BUNDLE], {
  env: {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_RUNTIME_API: api.address,
    // A shared machine, not a sandbox: end only the scripts' own processes.
    CONTINUUM_PROCESS_SCOPE: 'descendants',
    CONTINUUM_SCRIPT: script,
    TMPDIR: scratch,
  },
  // What Lambda would send to CloudWatch is read and dropped here.
  stdio: ['ignore', 'pipe', 'pipe'],
});
supervisor.stdout.resume();
supervisor.stderr.resume();

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const checkpoints = new Set([1, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, invocations]);
const rows: { invocation: number; rssMb: number; peakMb: number }[] = [];
const started = Date.now();
try {
  for (let i = 1; i <= invocations; i++) {
    const outcome = await api.invoke({ invocation: i }, { requestId: `bench-${i}` });
    if (outcome.kind !== 'response' || (outcome.body as string).length !== 100_000) {
      throw new Error(`invocation ${i}: ${JSON.stringify(outcome.body).slice(0, 200)}`);
    }
    if (checkpoints.has(i)) {
      const { rss, peak } = memory(supervisor.pid!);
      rows.push({ invocation: i, rssMb: Math.round(rss * 10) / 10, peakMb: Math.round(peak * 10) / 10 });
    }
  }
} finally {
  supervisor.kill('SIGKILL');
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
}
console.table(rows);
const first = rows.find((row) => row.invocation >= 10) ?? rows[0]!;
const last = rows[rows.length - 1]!;
console.log(
  `${invocations} invocations in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${first.rssMb} MB after ` +
    `${first.invocation}, ${last.rssMb} MB after ${last.invocation} (peak ${last.peakMb} MB)`,
);
