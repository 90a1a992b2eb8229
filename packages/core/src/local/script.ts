// Runs the user's script as `/bin/sh <script>` in its own process group, with bounded output capture and a deadline;
// once it exits, nothing it started is left running.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { descendantSweep, type ScriptSweep } from './processes';

export interface ScriptRun {
  script: string;
  env: Record<string, string>;
  cwd: string;
  /** Epoch ms at which the whole process group is killed; undefined: no deadline. */
  deadlineAt?: number;
  now: () => number;
  /** Each line the script prints, as it prints it (stderr lines are marked). */
  log: (line: string) => void;
  /** Most stdout bytes kept (the rest is counted, not kept). */
  maxStdoutBytes?: number;
  /** Most bytes of the script's output sent to the log (default LOG_LIMIT_BYTES). */
  logLimitBytes?: number;
  /** Ends what the script left running once it exits (default: its descendants, see processes.ts). */
  sweep?: ScriptSweep;
}

export interface ScriptResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because the deadline came. */
  timedOut: boolean;
  stdout: Buffer;
  stdoutTruncated: boolean;
  /** The last lines of stderr (at most STDERR_TAIL_LINES lines and STDERR_TAIL_BYTES bytes). */
  stderrTail: string;
}

export const STDERR_TAIL_LINES = 20;
export const STDERR_TAIL_BYTES = 4096;
/** Lambda answers at most 6 MB; base64 grows by 4/3, so keep a little under 4.5 MB of stdout. */
export const DEFAULT_MAX_STDOUT_BYTES = 4_400_000;

/** Keeps the last `maxLines` lines / `maxBytes` bytes of a stream. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.maxBytes && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(maxLines: number): string {
    let buffer = Buffer.concat(this.chunks);
    if (buffer.length > this.maxBytes) buffer = buffer.subarray(buffer.length - this.maxBytes);
    const lines = buffer.toString('utf8').replace(/\n+$/, '').split('\n');
    return lines.slice(-maxLines).join('\n');
  }
}

/**
 * What one invocation may send to the log: CloudWatch bills every byte, and a script printing gigabytes must not
 * flood it (nor the supervisor's memory). Past this, lines are counted, not logged.
 */
export const LOG_LIMIT_BYTES = 1_048_576;

/** The log share of one run: stdout and stderr lines draw on the same budget. */
class LogBudget {
  private used = 0;
  omitted = 0;

  constructor(private readonly limit: number) {}

  /** Whether `bytes` more may go to the log; when not, they are counted as left out. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) {
      this.used = this.limit;
      this.omitted += bytes;
      return false;
    }
    this.used += bytes;
    return true;
  }

  get exhausted(): boolean {
    return this.used >= this.limit;
  }
}

/** Splits a byte stream into lines for the log, holding at most one partial line, within the run's budget. */
function lineSplitter(
  budget: LogBudget,
  emit: (line: string) => void,
): { push(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const flush = (line: string, bytes: number) => {
    if (budget.take(bytes)) emit(line);
  };
  return {
    push(chunk) {
      if (budget.exhausted) {
        // Nothing more reaches the log: count the bytes without decoding them.
        budget.take(chunk.length);
        return;
      }
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 16_384) {
        lines.push(partial);
        partial = '';
      }
      for (const line of lines) flush(line, Buffer.byteLength(line) + 1);
    },
    end() {
      partial += decoder.end();
      if (partial) flush(partial, Buffer.byteLength(partial));
      partial = '';
    },
  };
}

/** Process groups of the scripts running now, so a supervisor that is told to stop can take them with it. */
const running = new Set<number>();

/** Kills every script still running (Batch sends SIGTERM at its job timeout; the scripts must not outlive us). */
export function killRunningScripts(): void {
  for (const pid of running) killGroup(pid);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runScript(run: ScriptRun): Promise<ScriptResult> {
  const maxStdout = run.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const sweep = run.sweep ?? descendantSweep();
  return new Promise((resolve, reject) => {
    // The script path and everything else reach /bin/sh as argv and environment, never as command text.
    const child = spawn('/bin/sh', [run.script], {
      cwd: run.cwd,
      env: run.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) running.add(child.pid);
    const stdoutChunks: Buffer[] = [];
    let stdoutSize = 0;
    let stdoutTruncated = false;
    const stderrTail = new TailBuffer(STDERR_TAIL_BYTES);
    const budget = new LogBudget(run.logLimitBytes ?? LOG_LIMIT_BYTES);
    const outLines = lineSplitter(budget, (line) => run.log(line));
    const errLines = lineSplitter(budget, (line) => run.log(`[stderr] ${line}`));
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let exitTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;

    // Backpressure: these handlers are synchronous and keep bounded state (the answer's bytes, a stderr tail,
    // the log's share), and the log writes to a pipe or file synchronously, so the pipes are read only as fast
    // as they run; a script writing faster blocks on its full pipe instead of filling the supervisor's memory.
    child.stdout.on('data', (chunk: Buffer) => {
      outLines.push(chunk);
      if (stdoutSize + chunk.length > maxStdout) {
        stdoutTruncated = true;
        const room = maxStdout - stdoutSize;
        if (room > 0) stdoutChunks.push(chunk.subarray(0, room));
        stdoutSize = maxStdout;
      } else {
        stdoutChunks.push(chunk);
        stdoutSize += chunk.length;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errLines.push(chunk);
      stderrTail.push(chunk);
    });

    let swept = false;
    let closed = false;
    let ended = 0;
    const finish = () => {
      if (settled || !exit || !swept) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (exitTimer) clearTimeout(exitTimer);
      if (child.pid !== undefined) running.delete(child.pid);
      outLines.end();
      errLines.end();
      if (budget.omitted > 0) {
        run.log(
          `[supervisor] ${budget.omitted} more bytes of the script's output were left out of the log ` +
            `(it keeps ${run.logLimitBytes ?? LOG_LIMIT_BYTES} bytes per invocation)`,
        );
      }
      if (ended > 0) {
        run.log(`[supervisor] ended ${ended} process${ended === 1 ? '' : 'es'} the script left running`);
      }
      resolve({
        exitCode: exit.code,
        signal: exit.signal,
        timedOut,
        stdout: Buffer.concat(stdoutChunks),
        stdoutTruncated,
        stderrTail: stderrTail.text(STDERR_TAIL_LINES),
      });
    };

    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Nothing the script started may outlive it: not in a reused Lambda sandbox, not while its outputs are
      // published. The group goes first, then whatever escaped it (see processes.ts).
      killGroup(child.pid);
      const pid = child.pid ?? -1;
      const marker = run.env.TMP_OUTPUT_DIR ? `TMP_OUTPUT_DIR=${run.env.TMP_OUTPUT_DIR}` : undefined;
      void sweep({ pid, marker })
        .catch((error: unknown) => {
          run.log(`[supervisor] could not look for processes the script left: ${(error as Error).message}`);
          return 0;
        })
        .then((count) => {
          ended = count;
          swept = true;
          if (closed) return finish();
          // A process of another user may still hold the pipes open; do not wait for it forever.
          exitTimer = setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            finish();
          }, 2000);
        });
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      closed = true;
      finish();
    });

    if (run.deadlineAt !== undefined) {
      const wait = Math.max(0, run.deadlineAt - run.now());
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, wait);
    }
  });
}
