// Runs the shell steps of a README as a user would type them, in a folder outside the repository.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, cliEnv, type Framework } from './sls';

/**
 * The commands of the first ```sh block after `heading` (the start of the file when `heading` is empty), up to
 * the comment line `# On AWS` or `# On your cluster` (what follows needs an account or a cluster). Comment-only
 * and blank lines are dropped.
 */
export function readmeSteps(readme: string, heading = ''): string[] {
  const from = heading ? readme.indexOf(`\n${heading}\n`) : 0;
  if (from < 0) throw new Error(`the README has no "${heading}" section`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))?.[1];
  if (!block) throw new Error(`no \`\`\`sh block after "${heading || 'the start'}"`);
  const lines = block.split('\n');
  const end = lines.findIndex((line) => line.startsWith('# On AWS') || line.startsWith('# On your cluster'));
  return lines
    .slice(0, end < 0 ? undefined : end)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/**
 * Replaces, in every step, each `from` with its `to`; fails when a `from` appears in no step (the README and
 * the test would then describe different walks).
 */
export function substitute(steps: string[], replacements: [from: string, to: string][]): string[] {
  let result = steps;
  for (const [from, to] of replacements) {
    if (!result.some((step) => step.includes(from))) {
      throw new Error(`no README step contains "${from}":\n${steps.join('\n')}`);
    }
    result = result.map((step) => step.split(from).join(to));
  }
  return result;
}

/** `npx serverless@3 create` and `npx osls@4 create` with the repo's own copies of those same majors. */
export const FRAMEWORK_CREATE: Record<Framework, [string, string]> = {
  serverless: [
    'npx serverless@3 create',
    `node ${join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js')} create`,
  ],
  osls: [
    'npx osls@4 create',
    `node ${join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js')} create`,
  ],
};

export interface StepsResult {
  code: number | null;
  /** Each command (`+ <command>`), what it printed (stdout and stderr interleaved), then `= <ms> ms`. */
  output: string;
  /** How long each command that finished took, in order. */
  times: { step: string; ms: number }[];
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** One `sh -e` script: each step announced, run, and timed. */
function script(steps: string[]): string {
  return steps
    .flatMap((step) => [
      `printf '+ %s\\n' ${shellQuote(step)}`,
      'started=$(date +%s%N)',
      step,
      `printf '= %s ms\\n' $(( ($(date +%s%N) - started) / 1000000 ))`,
    ])
    .join('\n');
}

/**
 * Runs the steps as one `sh -e` script in `cwd` (so `cd` carries over), with the framework harness's
 * environment and none of the calling npm's `npm_*` variables; `env` is added on top.
 */
export function runSteps(
  steps: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<StepsResult> {
  const base = cliEnv(cwd, env);
  for (const name of Object.keys(base)) if (name.toLowerCase().startsWith('npm_')) delete base[name];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-ec', script(steps)], {
      cwd,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal)
        reject(new Error(`the steps were killed (${signal}) after ${timeoutMs / 1000} s:\n${output}`));
      else {
        const times = [...output.matchAll(/^= (\d+) ms$/gm)].map((match, i) => ({
          step: steps[i]!,
          ms: Number(match[1]),
        }));
        resolvePromise({ code, output, times });
      }
    });
  });
}
