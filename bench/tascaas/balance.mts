// `npm run bench`, tascaas part. The local server with 3 infrastructures (separate processes) whose programs run
// at 1:2:4 speeds over a fixed total of work: the makespan with balancing, without (static equal partitions), and
// the ideal (work / total speed); then the latency of a `report` round trip and `report` throughput with 100
// concurrent partitions, against a no-op round trip on the same server as the baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer, type LocalServer } from '../../plugins/tascaas/src/local/server';

const BASE = Number(process.env.BENCH_TASCAAS_RATE ?? 1000);
const SPEEDS = [1, 2, 4].map((s) => s * BASE);
const IDEAL = Number(process.env.BENCH_TASCAAS_IDEAL ?? 15);
const WORK = IDEAL * SPEEDS.reduce((a, b) => a + b, 0);

const dataDir = mkdtempSync(join(tmpdir(), 'tascaas-bench-'));
const server: LocalServer = await startLocalServer({
  definitions: [
    {
      name: 'bench',
      partitions: 3,
      maxPartitions: 100,
      maxAttempts: 3,
      reportInterval: 1,
      results: { bucket: 'results', prefix: 'bench/' },
    },
  ],
  scaleTime: 30,
  dataDir,
  log: () => undefined,
  monitorEveryMs: 500,
});
const auth = { authorization: `Bearer ${server.secret}` };

async function submit(job: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${server.url}/jobs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ job: 'bench', ...job }),
  });
  if (response.status !== 201) throw new Error(`submit: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function status(id: string): Promise<{ state: string; done: number }> {
  return (await (await fetch(`${server.url}/jobs/${id}`, { headers: auth })).json()) as {
    state: string;
    done: number;
  };
}

/** Seconds from submit to COMPLETED with three infrastructures at 1:2:4. */
async function makespan(time: number): Promise<number> {
  const children: ChildProcess[] = SPEEDS.map((speed) =>
    spawn(
      process.execPath,
      [new URL('./infrastructure.mjs', import.meta.url).pathname, server.url, server.secret],
      {
        env: { ...process.env, BENCH_SPEED: String(speed) },
        stdio: 'ignore',
      },
    ),
  );
  // Let every infrastructure register first, so that each takes one partition.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const started = performance.now();
  const id = await submit({ iterations: WORK, time, partitions: 3 });
  for (;;) {
    const job = await status(id);
    if (job.state === 'COMPLETED') {
      if (job.done !== WORK) throw new Error(`job ${id}: ${job.done} iterations done, not ${WORK}`);
      break;
    }
    if (job.state === 'FAILED') throw new Error(`job ${id} failed`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  return seconds;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/** 100 partitions reporting concurrently, `rounds` reports each: latencies (ms) and reports per second. */
async function reports(rounds: number) {
  const id = await submit({ iterations: 100_000_000, time: 3600, partitions: 100 });
  const node = (
    (await (
      await fetch(`${server.url}/node/register?secret=${server.secret}&slots=100&maxSlots=100`)
    ).json()) as { id: string }
  ).id;
  const answer = (await (await fetch(`${server.url}/node/${node}/jobs?slots=100`)).json()) as {
    configs: { ID: string; worker: string }[];
  };
  if (answer.configs.length !== 100) throw new Error(`pulled ${answer.configs.length} partitions, not 100`);
  for (const c of answer.configs) await fetch(`${server.url}/lb/${c.ID}/start?worker=${c.worker}&dt=0`);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    answer.configs.map(async (c) => {
      for (let round = 1; round <= rounds; round++) {
        const t = performance.now();
        const response = await fetch(
          `${server.url}/lb/${c.ID}/report?worker=${c.worker}&nIter=${round * 10}&dt=${round}`,
        );
        const body = await response.text();
        if (!body.startsWith('0\n')) throw new Error(`report answered ${body.trim()}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  void id;
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    perSecond: latencies.length / seconds,
  };
}

/** The same concurrency on a route that does no work (an unknown path answers 404 at once). */
async function noop(rounds: number) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      for (let round = 0; round < rounds; round++) {
        const t = performance.now();
        await (await fetch(`${server.url}/noop`)).text();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    perSecond: latencies.length / seconds,
  };
}

try {
  console.log(
    `\ntascaas: ${WORK} iterations over 3 infrastructures at ${SPEEDS.join(':')} it/s (ideal ${IDEAL} s)`,
  );
  const balanced = await makespan(3600);
  const unbalanced = await makespan(-1);
  console.log(
    `  balanced:   ${balanced.toFixed(2)} s = ${(balanced / IDEAL).toFixed(3)}x ideal (target <= 1.10)`,
  );
  console.log(`  unbalanced: ${unbalanced.toFixed(2)} s = ${(unbalanced / IDEAL).toFixed(3)}x ideal`);
  console.log(
    `  balanced is ${((1 - balanced / unbalanced) * 100).toFixed(1)}% shorter than unbalanced (target >= 30%)`,
  );
  const rounds = Number(process.env.BENCH_TASCAAS_ROUNDS ?? 20);
  const base = await noop(rounds);
  const lb = await reports(rounds);
  console.log(
    `  report round trip, 100 concurrent partitions: p50 ${lb.p50.toFixed(1)} ms, p95 ${lb.p95.toFixed(1)} ms, ${lb.perSecond.toFixed(0)} reports/s`,
  );
  console.log(
    `  no-op round trip (baseline), same concurrency: p50 ${base.p50.toFixed(1)} ms, p95 ${base.p95.toFixed(1)} ms, ${base.perSecond.toFixed(0)} requests/s`,
  );
  console.log(
    `  report / no-op: p50 ${(lb.p50 / base.p50).toFixed(2)}x, throughput ${(lb.perSecond / base.perSecond).toFixed(2)}x`,
  );
  if (balanced / IDEAL > 1.1 || balanced / unbalanced > 0.7) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
