// The program SDK: one partition attempt as a program sees it (its input, the balancer, its uploads), and
// runPartition, which drives a step function under the balancer's Assigned with checkpoints to resume from.
import { download, HttpChannel, upload } from './client';
import type { LbAnswer, PartitionLease, WorkerChannel } from './types';

export interface Partition {
  readonly lease: PartitionLease;
  readonly jobId: string;
  readonly index: number;
  /** The delivery this program runs (1 for the first). */
  readonly attempt: number;
  /** What this attempt was given to do (attempt-relative); the Assigned of start() is what counts. */
  readonly iterations: number;
  /** -1: an unbalanced job, nothing to report. */
  readonly reportSeconds: number;
  /** Iterations secured by an earlier attempt's checkpoint (absolute); 0 on a first attempt. */
  readonly resumeFrom: number;
  /** Seconds since this attempt started: the dt the balancer is told. */
  elapsed(): number;
  /** The job's input; an empty Buffer when the job has none. */
  input(): Promise<Buffer>;
  /** The checkpoint this attempt resumes from; undefined on a first attempt. */
  previousCheckpoint(): Promise<Buffer | undefined>;
  start(): Promise<LbAnswer>;
  /** `done` counts this attempt's iterations; a checkpoint is uploaded first and makes `done` the resume point. */
  report(done: number, checkpoint?: Buffer | string): Promise<LbAnswer>;
  uploadResult(body: Buffer | string): Promise<void>;
  finish(done: number): Promise<LbAnswer>;
  /** True when the program should checkpoint and stop (set by the Lambda middleware near the deadline). */
  shouldYield(): boolean;
  yieldWhen(test: () => boolean): void;
}

export interface PartitionOptions {
  /** Epoch ms the attempt started; now when omitted. */
  startedAt?: number;
}

class LeasedPartition implements Partition {
  readonly jobId: string;
  readonly index: number;
  readonly attempt: number;
  readonly iterations: number;
  readonly reportSeconds: number;
  readonly resumeFrom: number;
  private readonly startedAt: number;
  private readonly name: string;
  private yieldTest: () => boolean = () => false;

  constructor(
    readonly lease: PartitionLease,
    private readonly channel: WorkerChannel,
    options: PartitionOptions = {},
  ) {
    this.jobId = lease.jobId;
    this.index = lease.partition;
    this.attempt = Number(lease.id.split('.')[1]) || 0;
    this.iterations = lease.iterations;
    this.reportSeconds = lease.reportSeconds;
    this.resumeFrom = lease.resumeFrom;
    this.startedAt = options.startedAt ?? Date.now();
    this.name = `job ${lease.jobId} partition ${lease.partition}`;
  }

  elapsed(): number {
    return Math.max(0, (Date.now() - this.startedAt) / 1000);
  }

  async input(): Promise<Buffer> {
    if (!this.lease.inputUrl) return Buffer.alloc(0);
    return (await download(this.lease.inputUrl, `input of ${this.name}`)) ?? Buffer.alloc(0);
  }

  async previousCheckpoint(): Promise<Buffer | undefined> {
    if (this.resumeFrom <= 0 || !this.lease.checkpointUrl) return undefined;
    return download(this.lease.checkpointUrl, `checkpoint of ${this.name}`, { missing: true });
  }

  start(): Promise<LbAnswer> {
    return this.channel.start(this.lease, this.elapsed());
  }

  async report(done: number, checkpoint?: Buffer | string): Promise<LbAnswer> {
    if (checkpoint !== undefined) {
      const url = await this.channel.uploadUrl(this.lease, 'checkpoint');
      await upload(url, checkpoint, `checkpoint upload of ${this.name}`);
    }
    const send = (): Promise<LbAnswer> =>
      this.channel.report(this.lease, done, this.elapsed(), checkpoint !== undefined);
    const answer = await send();
    // RUPER-LB's client answers "worker not started" (5) by starting again (the server lost the start).
    if (!answer.ok && answer.code === 5) {
      await this.start();
      return send();
    }
    return answer;
  }

  async uploadResult(body: Buffer | string): Promise<void> {
    const url = await this.channel.uploadUrl(this.lease, 'result');
    await upload(url, body, `result upload of ${this.name}`);
  }

  finish(done: number): Promise<LbAnswer> {
    return this.channel.finish(this.lease, done, this.elapsed());
  }

  shouldYield(): boolean {
    return this.yieldTest();
  }

  yieldWhen(test: () => boolean): void {
    this.yieldTest = test;
  }
}

/** A partition run in this process (a Lambda worker), over a channel the caller gives. */
export function partitionOf(
  lease: PartitionLease,
  channel: WorkerChannel,
  options?: PartitionOptions,
): Partition {
  return new LeasedPartition(lease, channel, options);
}

const POSITIONAL = ['input-url', 'lb-url', 'job-id', 'partition', 'report-seconds', 'upload-request-url'];

/**
 * The partition a program was started for: from the TASCAAS_* variables, or, when the environment lacks them,
 * from the six positional arguments worker.py passes (the last six of argv).
 */
export function partitionFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
  options: PartitionOptions = {},
): Partition {
  let fields: Array<string | undefined> = [
    env.TASCAAS_INPUT_URL,
    env.TASCAAS_LB_URL,
    env.TASCAAS_JOB_ID,
    env.TASCAAS_PARTITION,
    env.TASCAAS_REPORT_SECONDS,
    env.TASCAAS_UPLOAD_REQUEST_URL,
  ];
  if (fields.slice(1).some((f) => f === undefined || f === '')) {
    if (argv.length < 6)
      throw new Error(
        'not started as a tascaas program: neither the TASCAAS_* variables nor the six arguments ' +
          `<${POSITIONAL.join('> <')}> are there`,
      );
    fields = argv.slice(-6);
  }
  const [inputUrl = '', lbUrl = '', id = '', partition = '', reportSeconds = '', uploadRequestUrl = ''] =
    fields;
  const whole = (value: string | undefined, what: string, min: number): number => {
    const n = value === undefined || value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`tascaas program: ${what} is not a whole number >= ${min}`);
    return n;
  };
  if (!/^[a-z0-9][a-z0-9-]{0,62}\.\d+\./.test(id))
    throw new Error('tascaas program: the job id is not an ID');
  const resumeFrom = env.TASCAAS_RESUME_FROM ? whole(env.TASCAAS_RESUME_FROM, 'TASCAAS_RESUME_FROM', 0) : 0;
  const lease: PartitionLease = {
    id,
    jobId: id.slice(0, id.indexOf('.')),
    partition: whole(partition, 'the partition', 0),
    iterations: env.TASCAAS_ITERATIONS ? whole(env.TASCAAS_ITERATIONS, 'TASCAAS_ITERATIONS', 0) : 0,
    reportSeconds: whole(reportSeconds, 'the report seconds', -1),
    inputUrl,
    resumeFrom,
    ...(resumeFrom > 0 && env.TASCAAS_CHECKPOINT_URL ? { checkpointUrl: env.TASCAAS_CHECKPOINT_URL } : {}),
  };
  return new LeasedPartition(lease, new HttpChannel({ lbUrl, uploadRequestUrl }), options);
}

export interface PartitionWork<S> {
  /** The state before the first iteration; a function gets the previous attempt's encoded state when resuming. */
  initial: S | ((previous?: Buffer) => S);
  /** Runs `count` more iterations from `state`. */
  step(state: S, count: number): S | Promise<S>;
  /** Iterations per step; adapts to about 0.1 s per step when omitted. */
  batch?: number;
  /** JSON when omitted. */
  encode?(state: S): string;
  decode?(encoded: Buffer): S;
}

export type PartitionRun<S> = { yielded: true } | { yielded: false; done: number; state: S };

/** What runPartition uploads as a checkpoint and as the result: the state and the absolute count it covers. */
export interface PartitionRecord {
  job: string;
  partition: number;
  attempt: number;
  iterations: number;
  state: string;
}

const STOPPED_CODES = new Set([12, 26]);

function refused(partition: Partition, call: string, answer: { flag: number; code: number }): Error {
  return new Error(
    `tascaas ${call} of job ${partition.jobId} partition ${partition.index} refused: flag ${answer.flag} code ${answer.code}`,
  );
}

/** Where a resumed attempt starts: the checkpoint's state and the absolute count that state covers. */
async function resumePoint<S>(
  partition: Partition,
  work: PartitionWork<S>,
  decode: (encoded: Buffer) => S,
): Promise<{ state: S; covered: number }> {
  const initial = (previous?: Buffer): S =>
    typeof work.initial === 'function'
      ? (work.initial as (previous?: Buffer) => S)(previous)
      : previous
        ? decode(previous)
        : work.initial;
  if (partition.resumeFrom <= 0) return { state: initial(), covered: 0 };
  const checkpoint = await partition.previousCheckpoint();
  if (!checkpoint)
    throw new Error(
      `tascaas job ${partition.jobId} partition ${partition.index} resumes from ${partition.resumeFrom} but has no checkpoint`,
    );
  let record: Partial<PartitionRecord> | undefined;
  try {
    record = JSON.parse(checkpoint.toString('utf8')) as Partial<PartitionRecord>;
  } catch {
    record = undefined;
  }
  // A checkpoint PUT whose report was lost covers more than the server's resume point: count what it covers.
  if (record && typeof record.state === 'string' && Number.isInteger(record.iterations))
    return {
      state: initial(Buffer.from(record.state)),
      covered: Math.max(partition.resumeFrom, record.iterations ?? 0),
    };
  return { state: initial(checkpoint), covered: partition.resumeFrom };
}

/**
 * Runs a partition attempt: start, `step` in batches up to the balancer's Assigned (never past it, following each
 * new Assigned), a report with a checkpoint every reportSeconds, then the result upload and finish.
 * `done` is the absolute count the state covers.
 */
export async function runPartition<S>(
  partition: Partition,
  work: PartitionWork<S>,
): Promise<PartitionRun<S>> {
  const encode = work.encode ?? ((state: S) => JSON.stringify(state));
  const decode = work.decode ?? ((encoded: Buffer) => JSON.parse(encoded.toString('utf8')) as S);
  const started = await partition.start();
  let { state, covered } = await resumePoint(partition, work, decode);
  if (!started.ok) {
    if (STOPPED_CODES.has(started.code)) return { yielded: false, done: covered, state };
    throw refused(partition, 'start', started);
  }
  let assigned = started.assigned;
  const base = partition.resumeFrom;
  const relative = (): number => covered - base;
  const record = (): string =>
    JSON.stringify({
      job: partition.jobId,
      partition: partition.index,
      attempt: partition.attempt,
      iterations: covered,
      state: encode(state),
    } satisfies PartitionRecord);

  let batch = work.batch ?? 1;
  let lastReport = Date.now();
  while (relative() < assigned) {
    if (partition.shouldYield()) {
      await partition.report(relative(), record());
      return { yielded: true };
    }
    const count = Math.min(batch, assigned - relative());
    const began = Date.now();
    state = await work.step(state, count);
    covered += count;
    if (work.batch === undefined) {
      const took = Date.now() - began;
      if (took < 50) batch *= 2;
      else if (took > 200) batch = Math.max(1, Math.floor(batch / 2));
    }
    if (partition.reportSeconds !== -1 && Date.now() - lastReport >= partition.reportSeconds * 1000) {
      const answer = await partition.report(relative(), record());
      lastReport = Date.now();
      if (answer.ok) assigned = answer.assigned;
      else if (STOPPED_CODES.has(answer.code)) return { yielded: false, done: covered, state };
      else throw refused(partition, 'report', answer);
    }
  }
  await partition.uploadResult(record());
  const finished = await partition.finish(relative());
  if (!finished.ok && !STOPPED_CODES.has(finished.code)) throw refused(partition, 'finish', finished);
  return { yielded: false, done: covered, state };
}
