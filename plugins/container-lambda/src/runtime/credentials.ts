// Keeps the function's credentials out of reach of the script: Lambda and Batch put them in the supervisor's
// start-up environment, which any process of the same user can read at /proc/<pid>/environ. They are moved into
// the supervisor's heap (where its SDK clients read them) and the start-up copy is overwritten, before any
// script runs. Node.js 20 cannot exec itself with a new environment, so the start-up copy is cleared in place.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ContinuumError } from '@serverless-continuum/core/errors';

/** What Lambda (keys), ECS/Batch (the container credentials endpoint) and EKS put in the environment. */
export const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;

interface StartupEntry {
  name: string;
  /** Offset of the value (after `NAME=`) in /proc/self/environ. */
  valueOffset: number;
  valueLength: number;
}

function credentialEntries(environ: Buffer): StartupEntry[] {
  const names = new Set<string>(CREDENTIAL_VARIABLES);
  const entries: StartupEntry[] = [];
  let start = 0;
  while (start < environ.length) {
    let end = environ.indexOf(0, start);
    if (end < 0) end = environ.length;
    const equals = environ.indexOf('=', start);
    if (equals > start && equals < end) {
      const name = environ.toString('latin1', start, equals);
      if (names.has(name) && end > equals + 1) {
        entries.push({ name, valueOffset: equals + 1, valueLength: end - equals - 1 });
      }
    }
    start = end + 1;
  }
  return entries;
}

/** Where the kernel keeps this process's start-up environment: fields 50 and 51 of /proc/self/stat. */
function environArea(): { start: number; end: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { start: Number(fields[50 - 3]), end: Number(fields[51 - 3]) };
}

/**
 * Clears the credential values from /proc/self/environ, keeping them in `process.env` for the SDK (a copy on
 * the heap, which /proc does not show; scripts get an environment of their own, never this one). Returns the
 * names it cleared. Throws when it cannot: running scripts that could read the credentials is refused.
 */
export function hideStartupCredentials(): string[] {
  let environ: Buffer;
  try {
    environ = readFileSync('/proc/self/environ');
  } catch {
    // No /proc: not Linux, so neither Lambda nor Batch; nothing shows the environment this way.
    return [];
  }
  const entries = credentialEntries(environ);
  if (entries.length === 0) return [];
  try {
    for (const { name } of entries) {
      const value = process.env[name];
      // setenv() copies the value to the heap and points environ there, so the start-up bytes are unused after.
      if (value !== undefined) process.env[name] = `${value}`;
    }
    const area = environArea();
    if (!(area.end - area.start === environ.length)) {
      throw new Error(
        `/proc/self/stat gives an environment of ${area.end - area.start} bytes, not ${environ.length}`,
      );
    }
    const memory = openSync('/proc/self/mem', 'r+');
    try {
      for (const entry of entries) {
        writeSync(
          memory,
          Buffer.alloc(entry.valueLength),
          0,
          entry.valueLength,
          area.start + entry.valueOffset,
        );
      }
    } finally {
      closeSync(memory);
    }
    const left = credentialEntries(readFileSync('/proc/self/environ'));
    if (left.length > 0) throw new Error(`${left.map((e) => e.name).join(', ')} still readable`);
  } catch (error) {
    throw new ContinuumError(
      'CONTINUUM_UNSUPPORTED',
      "the supervisor could not clear the function's credentials from its start-up environment " +
        `(/proc/self/environ): ${(error as Error).message}; it refuses to run scripts that could read them`,
      { cause: error },
    );
  }
  return entries.map((e) => e.name);
}
