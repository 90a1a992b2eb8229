// `sls tascaas serve|worker|submit|status --local` as separate real processes (osls): an infrastructure killed
// with SIGKILL mid-run, and the job still completes with every iteration counted once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, cliEnv } from './harness/sls';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'tascaas-local');
const OSLS = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const ITERATIONS = 9000;

interface Status {
  state: string;
  iterations: number;
  done: number;
  manifest?: string;
  partitions: { index: number; state: string; done: number; assigned: number; attempts: number }[];
}

describe('the local service as separate processes', () => {
  const children: ChildProcess[] = [];
  let dataDir: string;
  let url = '';
  let secret = '';

  /** `sls tascaas ...` in the fixture, in a process group of its own (so SIGKILL takes its programs too). */
  function sls(args: string[], env: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [OSLS, 'tascaas', ...args], {
      cwd: FIXTURE,
      env: { ...cliEnv(FIXTURE, env), TASCAAS_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    return child;
  }

  async function run(args: string[]): Promise<string> {
    const child = sls(args);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `sls tascaas ${args.join(' ')}:\n${out}\n${err}`);
    return out.trim();
  }

  const status = async (id: string) =>
    JSON.parse(await run(['status', '--local', '--endpoint', url, '--id', id, '--json'])) as Status;

  async function until(id: string, test: (s: Status) => boolean, timeoutMs: number): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await status(id);
      if (test(current)) return current;
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tascaas-local-'));
    const server = sls(['serve', '--local', '--port', '0', '--data', dataDir]);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on('line', (line) => {
        if (/^http:\/\/127\.0\.0\.1:\d+$/.test(line.trim())) url = line.trim();
        if (line.startsWith('secret: ')) secret = line.slice('secret: '.length).trim();
        if (url && secret) resolve();
      });
      server.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes a job whose infrastructure was killed with SIGKILL mid-run, every iteration counted once', async () => {
    const program = ['--', process.execPath, 'program.mjs'];
    const doomed = sls(['worker', '--local', '--endpoint', url, '--slots', '3', ...program]);
    const submitted = await run([
      'submit',
      '--local',
      '--endpoint',
      url,
      '--job',
      'pi',
      '--iterations',
      String(ITERATIONS),
      '--time',
      '3600',
    ]);
    const id = submitted.split('\n').at(-1) ?? '';
    // All three partitions run on the doomed infrastructure and have reported (with checkpoints) for a while.
    await until(id, (s) => s.partitions.every((p) => p.attempts === 1 && p.done >= 600), 60_000);
    // The survivor registers only now, so that it could take nothing before the kill.
    const survivor = sls(['worker', '--local', '--endpoint', url, '--slots', '3', ...program]);
    process.kill(-(doomed.pid ?? 0), 'SIGKILL');
    const done = await until(id, (s) => s.state !== 'RUNNING', 120_000);
    assert.equal(done.state, 'COMPLETED', JSON.stringify(done));
    assert.equal(done.done, ITERATIONS);
    assert.ok(
      done.partitions.some((p) => p.attempts >= 2),
      `a partition was delivered again: ${JSON.stringify(done.partitions)}`,
    );
    // Every iteration counted once: the results, each the absolute count of its partition, add up to the job.
    const objects = join(dataDir, 'objects');
    const bucket = (done.manifest ?? '').split('/')[0] ?? '';
    const manifest = JSON.parse(readFileSync(join(objects, done.manifest ?? ''), 'utf8')) as {
      partitions: { index: number; done: number; result: string }[];
    };
    let counted = 0;
    for (const partition of manifest.partitions) {
      const result = JSON.parse(readFileSync(join(objects, bucket, partition.result), 'utf8')) as {
        iterations: number;
        state: string;
      };
      assert.equal(result.iterations, partition.done, `partition ${partition.index}`);
      assert.equal((JSON.parse(result.state) as { count: number }).count, partition.done);
      counted += result.iterations;
    }
    assert.equal(counted, ITERATIONS);
    survivor.kill('SIGTERM');
  });
});
