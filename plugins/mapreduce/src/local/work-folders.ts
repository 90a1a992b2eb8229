// The work folders of local runs (the bundle, intermediates, spills, the staged result) and the sweep that
// removes those of runs killed before they could clean up (SIGKILL, a crash, a power cut).
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Names the process that owns a work folder; the sweep removes only folders whose owner is gone. */
const OWNER_FILE = 'owner.json';
const PREFIX = 'mapreduce-';

interface Owner {
  pid: number;
  /** Field 22 of `/proc/<pid>/stat`: when the process started, so that a reused pid is not taken for it. */
  startTime?: string;
  /** `/proc/sys/kernel/random/boot_id`: start times count from boot, and a temp folder may outlive one. */
  bootId?: string;
}

export interface SweptFolder {
  path: string;
  bytes: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The start time of `pid` in clock ticks since boot, or undefined where there is no `/proc` (macOS). */
function startTimeOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19];
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim();
}

function currentOwner(): Owner {
  const startTime = startTimeOf(process.pid);
  const boot = bootId();
  return { pid: process.pid, ...(startTime ? { startTime } : {}), ...(boot ? { bootId: boot } : {}) };
}

/** True unless the owner is known to be gone: no such process, another boot, or another process on its pid. */
function isRunning(owner: Owner): boolean {
  if (owner.bootId !== undefined && owner.bootId !== bootId()) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the pid lives, as another user's process (which may be the owner, seen from outside).
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const startTime = owner.startTime === undefined ? undefined : startTimeOf(owner.pid);
  return startTime === undefined || startTime === owner.startTime;
}

/** Creates a run's work folder under `parent`, owned by this process. */
export function createWorkFolder(parent: string, jobName: string): string {
  const dir = mkdtempSync(join(parent, `${PREFIX}${jobName}-`));
  writeFileSync(join(dir, OWNER_FILE), `${JSON.stringify(currentOwner())}\n`);
  return dir;
}

/** A failed run keeps its folder for the user to look into (its error names it): the sweep leaves it alone. */
export function keepWorkFolder(dir: string): void {
  rmSync(join(dir, OWNER_FILE), { force: true });
}

function bytesUnder(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  let bytes = 0;
  for (const name of readdirSync(path)) bytes += bytesUnder(join(path, name));
  return bytes;
}

function ownerOf(dir: string): Owner | undefined {
  const text = readText(join(dir, OWNER_FILE));
  if (text === undefined) return undefined;
  try {
    const owner = JSON.parse(text) as Partial<Owner>;
    return Number.isSafeInteger(owner.pid) && owner.pid! > 0 ? (owner as Owner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the work folders under `parent` whose owner process is gone; returns them with the bytes they held.
 * A folder without a readable owner file (a run creating it right now, a failed run's kept folder, anything
 * else named alike) is never touched, and neither is one whose owner runs.
 */
export function sweepWorkFolders(parent: string): SweptFolder[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const swept: SweptFolder[] = [];
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const path = join(parent, name);
    try {
      if (!lstatSync(path).isDirectory()) continue;
      const owner = ownerOf(path);
      if (!owner || isRunning(owner)) continue;
      const bytes = bytesUnder(path);
      rmSync(path, { recursive: true, force: true });
      swept.push({ path, bytes });
    } catch {
      // Another user's folder, or one another sweep removed first: not ours to report.
    }
  }
  return swept;
}
