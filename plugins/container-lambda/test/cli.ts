// Runs the real Serverless CLI (serverless@3 or osls) for commands other than `package` (the harness covers
// that): `sls create`, `sls container ...`, `sls invoke local`. Offline, with dummy credentials.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export type Framework = 'serverless' | 'osls';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const CLI: Record<Framework, string> = {
  serverless: join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
  osls: join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'),
};

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runSls(
  framework: Framework,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'NODE_OPTIONS'])
    delete env[name];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI[framework], ...args], {
      cwd: options.cwd,
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: 'AKIACLIDUMMY',
        AWS_SECRET_ACCESS_KEY: 'cli-dummy-secret',
        AWS_REGION: 'us-east-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        CI: '1',
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
