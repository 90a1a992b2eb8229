// Runs the real Serverless Framework CLI (any command) in a service folder, offline, for end-to-end tests.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export type Framework = 'serverless' | 'osls';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const CLI: Record<Framework, string> = {
  serverless: join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
  osls: join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'),
};

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runSls(
  framework: Framework,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; onOutput?: (all: string) => void },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'NODE_OPTIONS'])
    delete env[name];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI[framework], ...args], {
      cwd: options.cwd,
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: 'AKIATESTDUMMY',
        AWS_SECRET_ACCESS_KEY: 'test-dummy-secret',
        AWS_REGION: 'us-east-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        CI: '1',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      options.onOutput?.(stdout + stderr);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      options.onOutput?.(stdout + stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The reference word count the fixtures' `wordcount` module computes, done the plain way. */
export function referenceWordCount(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    for (const word of line.toLowerCase().match(/[a-z]+/g) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** A deterministic text with a skewed vocabulary, CRLF and LF endings, empty lines and no final newline. */
export function sampleText(lines: number, seed = 7): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const words = [
    'the',
    'Data',
    'flows',
    'through',
    'lambda',
    'MAP',
    'reduce',
    'cloud',
    'edge',
    'science',
    'ünïcode',
  ];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = Math.floor(next() * 12);
    const line = Array.from({ length: n }, () => words[Math.floor(next() ** 2 * words.length)]).join(' ');
    out.push(line + (i % 7 === 0 ? '\r\n' : '\n'));
  }
  return out.join('').replace(/\n$/, '');
}
