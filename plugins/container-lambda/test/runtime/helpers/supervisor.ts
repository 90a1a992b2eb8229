// Starts the supervisor as a child process, the way Lambda or Batch would: from the TypeScript sources (through
// tsx) or from the bundled dist/runtime/supervisor.js, with an environment the test controls completely.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PLUGIN_DIR = resolve(__dirname, '../../..');
export const REPO_DIR = resolve(PLUGIN_DIR, '../..');
export const SOURCE_ENTRY = join(PLUGIN_DIR, 'src/runtime/main.ts');
export const BUNDLE = join(PLUGIN_DIR, 'dist/runtime/supervisor.js');

/** Writes a small /bin/sh script into a fresh temp folder and returns its path. */
export function writeScript(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-script-'));
  const path = join(dir, 'script.sh');
  writeFileSync(path, body);
  chmodSync(path, 0o644);
  return path;
}

/** Dummy credentials and a region: the SDK signs requests to the loopback servers with these. */
export const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

export interface SupervisorProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The bundled supervisor alone in a PID namespace with its own /proc, under a shell as PID 1 (Lambda's init
 * stands there): a sandbox, where it ends every process it did not find at start-up. Never run the
 * sandbox-wide sweep outside one: on this shared machine it would end other people's processes.
 */
export function startSandboxedSupervisor(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): SupervisorProcess {
  return watch(
    spawn(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount-proc',
        '--kill-child',
        '/bin/sh',
        '-c',
        '"$@" & wait $!',
        'init',
        process.execPath,
        BUNDLE,
      ],
      {
        cwd: options.cwd ?? REPO_DIR,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
}

export function startSupervisor(
  env: Record<string, string>,
  options: {
    from?: 'source' | 'bundle';
    cwd?: string;
    entry?: string;
    /** A command the supervisor runs under (`unshare --user ...`), as Lambda's init would start it. */
    under?: string[];
  } = {},
): SupervisorProcess {
  const args =
    options.from === 'bundle'
      ? [options.entry ?? BUNDLE]
      : ['--import', require.resolve('tsx'), options.entry ?? SOURCE_ENTRY];
  const [program, ...rest] = [...(options.under ?? []), process.execPath, ...args];
  const child = spawn(program!, rest, {
    cwd: options.cwd ?? REPO_DIR,
    // This machine is shared with other work, not a sandbox: the supervisor ends only its scripts' processes,
    // unless a test runs it in a PID namespace of its own (startSandboxedSupervisor).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONTINUUM_PROCESS_SCOPE: 'descendants', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child);
}

function watch(child: ChildProcess): SupervisorProcess {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
