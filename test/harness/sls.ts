// Runs the real Serverless Framework (`sls package`) on a fixture service, offline and without credentials,
// and returns the CloudFormation template it would deploy.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';

export type Framework = 'serverless' | 'osls';

export interface PackageOptions {
  /** Extra environment variables for the CLI (they win over the harness defaults). */
  env?: Record<string, string>;
  /** Extra CLI arguments after `package`, e.g. `['--stage', 'prod']`. */
  args?: string[];
}

export interface PackageResult {
  template: CfnTemplate;
  /** The temporary copy of the fixture the CLI ran in; removed when the test process exits. */
  dir: string;
  stdout: string;
  stderr: string;
}

export interface PackageFailure {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** The error `packageService` rejects with when the CLI fails: the output is kept for the assertion. */
export interface PackageError extends Error, PackageFailure {}

export const REPO_ROOT = resolve(__dirname, '..', '..');

const CLI: Record<Framework, string> = {
  serverless: join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'),
  osls: join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'),
};

// A full `sls package` takes about 5 s here; 120 s only catches a hung CLI (a prompt, a network wait).
const TIMEOUT_MS = 120_000;

const TEMPLATE = join('.serverless', 'cloudformation-template-update-stack.json');

const created = new Set<string>();
let cleanupRegistered = false;

function keepFixtures(): boolean {
  return process.env.KEEP_FIXTURES === '1';
}

function removeCopy(dir: string): void {
  created.delete(dir);
  if (!keepFixtures()) rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies the fixture to `<repo>/.tmp/fixtures/<name>-<random>`: inside the repo, so Node resolves
 * `@serverless-continuum/*`, the plugins and ts-node from the repo's own node_modules.
 */
export function copyFixture(fixtureDir: string): string {
  const source = resolve(fixtureDir);
  if (!existsSync(join(source, 'serverless.yml')) && !existsSync(join(source, 'serverless.ts'))) {
    throw new Error(`${source}: no serverless.yml or serverless.ts, not a fixture service`);
  }
  const dir = join(REPO_ROOT, '.tmp', 'fixtures', `${basename(source)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  cpSync(source, dir, {
    recursive: true,
    filter: (path) => !/[\\/](node_modules|\.serverless)$/.test(path),
  });
  created.add(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', () => {
      for (const copy of [...created]) removeCopy(copy);
    });
  }
  return dir;
}

function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, 'packages', 'core', 'dist', 'index.js'))) {
    throw new Error(
      'packages/core/dist is missing: the framework loads built plugins, run `npm run build` first',
    );
  }
}

/**
 * The environment every framework run gets: dummy credentials, no AWS config files (under `dir`), no
 * telemetry or prompts, and none of the caller's NODE_OPTIONS.
 */
export function cliEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Never let a developer's real AWS identity reach the CLI.
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'SERVERLESS_ACCESS_KEY']) {
    delete env[name];
  }
  // A test process may run under tsx; the CLI must load fixtures its own way.
  delete env.NODE_OPTIONS;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAHARNESSDUMMY',
    AWS_SECRET_ACCESS_KEY: 'harness-dummy-secret',
    AWS_REGION: 'us-east-1',
    // Files that do not exist: ~/.aws profiles, regions and credential processes stay out of the run.
    AWS_CONFIG_FILE: join(dir, '.aws-none', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, '.aws-none', 'credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...extra,
  };
}

export interface SlsRunOptions {
  /** The service folder the CLI runs in. */
  cwd: string;
  /** Extra environment variables (they win over the harness defaults). */
  env?: Record<string, string>;
  /** Called with everything printed so far, on each chunk (to react to progress lines). */
  onOutput?: (all: string) => void;
  timeoutMs?: number;
}

/**
 * Runs the real CLI of one framework with any arguments (`package`, `create`, `invoke local`, a plugin's own
 * command), offline, with dummy credentials. Resolves with the exit code and output; rejects only when the
 * process could not start or was killed at the timeout.
 */
export function runSls(
  framework: Framework,
  args: string[],
  options: SlsRunOptions,
): Promise<PackageFailure> {
  const cli = CLI[framework];
  if (!existsSync(cli)) return Promise.reject(new Error(`${framework} is not installed at ${cli}`));
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: cliEnv(options.cwd, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(stdout + stderr);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(stdout + stderr);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal) {
        const error = new Error(
          `${framework} ${args.join(' ')} in ${options.cwd} was killed (${signal}) after ${timeoutMs / 1000} s at most\n${stderr}`,
        );
        reject(Object.assign(error, { stdout, stderr, code }));
        return;
      }
      resolvePromise({ stdout, stderr, code });
    });
  });
}

function runCli(dir: string, framework: Framework, options: PackageOptions): Promise<PackageFailure> {
  return runSls(framework, ['package', ...(options.args ?? [])], { cwd: dir, env: options.env });
}

/** Runs the real `sls package` on a copy of the fixture; rejects (with stdout/stderr) when the CLI fails. */
export async function packageService(
  fixtureDir: string,
  framework: Framework,
  options: PackageOptions = {},
): Promise<PackageResult> {
  assertBuilt();
  const dir = copyFixture(fixtureDir);
  const run = await runCli(dir, framework, options);
  if (run.code !== 0) {
    const error = new Error(
      `${framework} package failed (exit ${run.code}) for ${basename(fixtureDir)}:\n${run.stderr}\n${run.stdout}`,
    ) as PackageError;
    Object.assign(error, run);
    throw error;
  }
  const templatePath = join(dir, TEMPLATE);
  if (!existsSync(templatePath)) {
    throw Object.assign(new Error(`${framework} package succeeded but wrote no ${TEMPLATE} in ${dir}`), run);
  }
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
  return { template, dir, stdout: run.stdout, stderr: run.stderr };
}

/** Runs `sls package` expecting it to fail; resolves with the output, rejects if the CLI succeeds. */
export async function packageServiceFails(
  fixtureDir: string,
  framework: Framework,
  options: PackageOptions = {},
): Promise<PackageFailure> {
  assertBuilt();
  const dir = copyFixture(fixtureDir);
  try {
    const run = await runCli(dir, framework, options);
    if (run.code === 0) {
      throw Object.assign(
        new Error(`${framework} package of ${basename(fixtureDir)} succeeded, expected a failure`),
        run,
      );
    }
    return run;
  } finally {
    removeCopy(dir);
  }
}
