// Ending every process a script left behind once it exits, so nothing it started reaches the next invocation's
// files (Lambda reuses the sandbox) or changes the outputs while they are published. Linux /proc only.
import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc/<pid>/stat describes it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Clock ticks since boot: with the pid, it names a process even after its pid is reused. */
  startTime: string;
  state: string;
}

/** The script just ended: its pid (also its process group and session id) and the environment entry it carried. */
export interface FinishedScript {
  pid: number;
  /** `NAME=value` unique to this run (TMP_OUTPUT_DIR=...), inherited by whatever the script started. */
  marker?: string;
}

/** Ends what a script left running; resolves with how many processes it ended. */
export type ScriptSweep = (script: FinishedScript) => Promise<number>;

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields count from the last `)`. */
export function parseStat(text: string): ProcessEntry | undefined {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  // After ")": state(3) ppid(4) pgrp(5) session(6) ... starttime(22).
  const fields = text.slice(close + 2).split(' ');
  const [state, ppid, pgid, sid] = fields;
  const startTime = fields[22 - 3];
  if (!state || !ppid || !pgid || !sid || !startTime) return undefined;
  return { pid, ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), startTime, state };
}

/** Every process this one can see; none where there is no /proc (macOS: only the process group is ended). */
export function readProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return entries;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const entry = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (entry) entries.push(entry);
    } catch {
      // Gone between readdir and read.
    }
  }
  return entries;
}

function identity(entry: ProcessEntry): string {
  return `${entry.pid}:${entry.startTime}`;
}

/** This process and every ancestor up to init: never ended. */
function selfAndAncestors(entries: readonly ProcessEntry[]): Set<number> {
  const byPid = new Map(entries.map((e) => [e.pid, e]));
  const kept = new Set<number>();
  let pid: number | undefined = process.pid;
  while (pid !== undefined && pid > 0 && !kept.has(pid)) {
    kept.add(pid);
    pid = byPid.get(pid)?.ppid;
  }
  return kept;
}

function carriesMarker(pid: number, marker: string): boolean {
  try {
    // Entries are NUL-terminated; a leading NUL lets the first one match like the others.
    return Buffer.concat([Buffer.alloc(1), readFileSync(`/proc/${pid}/environ`)]).includes(`\0${marker}\0`);
  } catch {
    return false;
  }
}

/**
 * Local runs share the machine with everything else: end only the script's own processes, that is its process
 * group and session, whatever carries its marker variable, and every descendant of those (ppid chains), walking
 * again until a round finds none (a process may fork while the previous round kills). A process that left the
 * session, cleared its environment and was orphaned (a double fork) cannot be told apart here and survives.
 */
export function descendantSweep(): ScriptSweep {
  return (script) =>
    sweep((entries) => {
      const kept = selfAndAncestors(entries);
      const seeds = new Set<number>([script.pid]);
      for (const e of entries) {
        if (kept.has(e.pid)) continue;
        if (e.pgid === script.pid || e.sid === script.pid) seeds.add(e.pid);
        else if (script.marker && carriesMarker(e.pid, script.marker)) seeds.add(e.pid);
      }
      return withDescendants(entries, seeds, kept);
    });
}

/**
 * A Lambda sandbox or a Batch container holds the platform's processes (Lambda's init and extensions, an init
 * such as tini), the supervisor, and what the scripts started. Those present when the supervisor started are the
 * platform's; after each run every other process but the supervisor and its ancestors is ended, however it
 * detached itself.
 */
export function sandboxSweep(): ScriptSweep {
  const platform = new Set(readProcesses().map(identity));
  return () =>
    sweep((entries) => {
      const kept = selfAndAncestors(entries);
      return entries.filter((e) => !kept.has(e.pid) && !platform.has(identity(e)));
    });
}

function withDescendants(
  entries: readonly ProcessEntry[],
  seeds: Set<number>,
  kept: Set<number>,
): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const e of entries) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e]);
  const found = new Map<number, ProcessEntry>();
  const queue = [...seeds];
  while (queue.length) {
    const pid = queue.pop()!;
    for (const child of children.get(pid) ?? []) {
      if (found.has(child.pid) || kept.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  for (const e of entries) if (seeds.has(e.pid) && !kept.has(e.pid)) found.set(e.pid, e);
  return [...found.values()];
}

const SWEEP_ROUNDS = 50;
const ROUND_PAUSE_MS = 10;

/** Parents before their children: a shell still running when its child dies goes on to its next command. */
function parentsFirst(targets: ProcessEntry[]): ProcessEntry[] {
  const byPid = new Map(targets.map((e) => [e.pid, e]));
  const depth = (entry: ProcessEntry): number => {
    let levels = 0;
    for (let up = byPid.get(entry.ppid); up && levels < targets.length; up = byPid.get(up.ppid)) levels++;
    return levels;
  };
  return targets
    .map((entry) => ({ entry, depth: depth(entry) }))
    .sort((a, b) => a.depth - b.depth)
    .map(({ entry }) => entry);
}

/**
 * Ends what `targets` picks, round after round, until a round finds only zombies (or the rounds run out). Each
 * round first stops every target (SIGSTOP cannot be caught), parents first, then kills them: a process killed
 * while its parent still runs would let the parent react (a shell runs its next command, a loop forks again).
 */
async function sweep(targets: (entries: ProcessEntry[]) => ProcessEntry[]): Promise<number> {
  const ended = new Set<string>();
  const refused = new Set<string>();
  const signal = (entry: ProcessEntry, name: NodeJS.Signals): boolean => {
    try {
      process.kill(entry.pid, name);
      return true;
    } catch (error) {
      // ESRCH: already gone. EPERM: another user's process, not ours to end.
      if ((error as NodeJS.ErrnoException).code === 'EPERM') refused.add(identity(entry));
      return false;
    }
  };
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    const alive = targets(readProcesses()).filter(
      (e) => e.state !== 'Z' && e.state !== 'X' && !refused.has(identity(e)),
    );
    if (alive.length === 0) break;
    const ordered = parentsFirst(alive);
    for (const entry of ordered) signal(entry, 'SIGSTOP');
    for (const entry of ordered) if (signal(entry, 'SIGKILL')) ended.add(identity(entry));
    await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
  }
  return ended.size;
}
