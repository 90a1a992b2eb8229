// One streaming program (a mapper, combiner or reducer executable) fed through its stdin with backpressure and read
// line by line from its stdout: argv only (no shell), a line-length limit, a deadline, and its stderr tail in errors.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { STDERR_TAIL_BYTES, STDERR_TAIL_LINES, TailBuffer } from '@serverless-continuum/core/local';

export type ProgramRole = 'map' | 'combine' | 'reduce';

export interface ProgramSpec {
  role: ProgramRole;
  /** The executable and its arguments, as configured; never given to a shell. */
  argv: readonly string[];
  /** The service folder (locally) or the job files' folder in the image. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The longest line (in bytes, without its `\n`) the program may write. */
  maxLineBytes: number;
  /** Epoch ms at which the program is killed and the task fails; undefined: no deadline. */
  deadlineAt?: number;
  /** The task in messages: `split 3 (bytes 0-4096)`, `partition 2`. */
  task: string;
}

/**
 * Takes the program's stdout as blocks of whole lines: `bytes[start, end)` is one or more lines, each ending with
 * `\n` (the last line of the output gets one when the program wrote none). A returned promise pauses the reading.
 */
export type LineBlocks = (bytes: Buffer, start: number, end: number) => void | Promise<void>;

/** A streaming program failed: it exited non-zero, was killed, wrote too long a line, or ran past the deadline. */
export class StreamingProgramError extends Error {
  constructor(
    message: string,
    /** The last lines the program wrote to stderr (possibly empty). */
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(
      stderr ? `${message}; its last stderr lines:\n${stderr}` : `${message} (it wrote nothing to stderr)`,
      options,
    );
    this.name = 'StreamingProgramError';
  }
}

/** `python3 jobs/mapper.py`, for messages: each argument JSON-quoted when it holds a space or a quote. */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

const NL = 10;

export class StreamingProgram {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr = new TailBuffer(STDERR_TAIL_BYTES);
  private readonly done: Promise<void>;
  private failure: StreamingProgramError | undefined;
  private inputClosedEarly = false;
  private timer: NodeJS.Timeout | undefined;
  private carry: Buffer = Buffer.alloc(0);
  private reading: Promise<void> = Promise.resolve();
  /** Bytes the program wrote to stdout. */
  bytesOut = 0;

  private constructor(
    private readonly spec: ProgramSpec,
    private readonly onBlocks: LineBlocks,
  ) {
    const [file, ...args] = spec.argv;
    if (!file) throw new TypeError(`the ${spec.role} program has no command`);
    // Its own process group, so the deadline ends whatever it started too.
    this.child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    this.child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      // The program stopped reading (it exited, or closed stdin); its exit status says whether that was a failure.
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.inputClosedEarly = true;
      else this.fail(`could not write to its stdin: ${error.message}`);
    });
    this.child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    this.child.stdout.on('data', (chunk: Buffer) => this.take(chunk));
    if (spec.deadlineAt !== undefined) {
      const ms = Math.max(0, spec.deadlineAt - Date.now());
      this.timer = setTimeout(() => {
        this.fail(
          `did not finish before the task's deadline (${Math.round(ms / 1000)} s left when it started)`,
        );
        this.killGroup();
      }, ms);
      this.timer.unref();
    }
    this.done = new Promise<void>((resolve) => {
      this.child.on('error', (error) => {
        this.fail(`could not be started: ${error.message}`);
        resolve();
      });
      this.child.on('close', (code, signal) => {
        if (this.timer) clearTimeout(this.timer);
        // Nothing it started may outlive it (and keep writing into the next task's files).
        this.killGroup();
        if (code !== 0) {
          this.fail(signal ? `was killed by ${signal}` : `exited with code ${code}`);
        }
        resolve();
      });
    });
  }

  /** Starts `spec.argv` in `spec.cwd`; its stdout goes to `onBlocks`. */
  static start(spec: ProgramSpec, onBlocks: LineBlocks): StreamingProgram {
    return new StreamingProgram(spec, onBlocks);
  }

  /** Writes to the program's stdin; resolves once the pipe has room again. Rejects once the program has failed. */
  async write(bytes: Buffer | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.inputClosedEarly || this.child.stdin.destroyed) return;
    if (this.child.stdin.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const ready = () => {
        this.child.stdin.off('drain', ready);
        this.child.stdin.off('close', ready);
        resolve();
      };
      this.child.stdin.on('drain', ready);
      this.child.stdin.on('close', ready);
    });
    if (this.failure) throw this.failure;
  }

  /** Closes stdin, waits for the program to end and for its last line to be taken; rejects if it failed. */
  async end(): Promise<void> {
    if (!this.child.stdin.destroyed) this.child.stdin.end();
    await this.done;
    await this.reading;
    if (!this.failure && this.carry.length) {
      const last = Buffer.concat([this.carry, Buffer.from('\n')]);
      this.carry = Buffer.alloc(0);
      await this.deliver(last, 0, last.length);
    }
    if (this.failure) throw this.failure;
    if (this.inputClosedEarly) {
      this.fail('exited before reading all of its input (Hadoop Streaming fails such a task too)');
      throw this.failure;
    }
  }

  /** Ends the program (a task that failed elsewhere). */
  kill(): void {
    this.killGroup();
  }

  private take(chunk: Buffer): void {
    if (this.failure) return;
    this.bytesOut += chunk.length;
    const { maxLineBytes } = this.spec;
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(NL);
    // Every line must fit the limit: each window of maxLineBytes + 1 bytes holds a newline. Searching back from
    // the window's end jumps a whole line-length at a time, not one call per line.
    for (let from = 0; buf.length - from > maxLineBytes;) {
      const nl = buf.lastIndexOf(NL, from + maxLineBytes);
      if (nl < from) return this.tooLong();
      from = nl + 1;
    }
    if (lastNl < 0) {
      this.carry = buf;
      return;
    }
    this.carry = lastNl + 1 < buf.length ? Buffer.from(buf.subarray(lastNl + 1)) : Buffer.alloc(0);
    buf = buf.subarray(0, lastNl + 1);
    const block = buf;
    this.reading = this.reading.then(() => this.deliver(block, 0, block.length));
  }

  private async deliver(bytes: Buffer, start: number, end: number): Promise<void> {
    if (this.failure) return;
    let pending: void | Promise<void>;
    try {
      pending = this.onBlocks(bytes, start, end);
    } catch (error) {
      this.fail(`its output could not be taken: ${(error as Error).message}`, error);
      this.killGroup();
      return;
    }
    if (pending) {
      // Backpressure on stdout: the program blocks on its full pipe while its output is being taken.
      this.child.stdout.pause();
      try {
        await pending;
      } catch (error) {
        this.fail(`its output could not be taken: ${(error as Error).message}`, error);
        this.killGroup();
      } finally {
        this.child.stdout.resume();
      }
    }
  }

  private tooLong(): void {
    this.fail(
      `wrote a line longer than ${this.spec.maxLineBytes} bytes (the limit: streaming.maxLineLength)`,
    );
    this.killGroup();
  }

  private fail(problem: string, cause?: unknown): void {
    if (this.failure) return;
    const { role, argv, task } = this.spec;
    this.failure = new StreamingProgramError(
      `the ${role} program \`${showCommand(argv)}\` on ${task} ${problem}`,
      this.stderrTail(),
      cause === undefined ? undefined : { cause },
    );
  }

  private stderrTail(): string {
    return this.stderr.text(STDERR_TAIL_LINES);
  }

  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already.
    }
  }
}
