// What a worker holds of a partition and how it talks to the balancer: over HTTP, or in process on Lambda.

/** One attempt of one partition, as handed to a worker. */
export interface PartitionLease {
  /** TaScaaS's configs[].ID: `<jobId>.<attempt>.<token>` (carries the partition-scoped token: never log it). */
  id: string;
  jobId: string;
  partition: number;
  /** What this attempt must do, counted from its own start. */
  iterations: number;
  /** Seconds between reports; -1 for an unbalanced job (no reports). */
  reportSeconds: number;
  /** A link to the job's input; '' when the job has none. */
  inputUrl: string;
  /** Iterations secured by the last checkpoint of an earlier attempt (0 on a first attempt). */
  resumeFrom: number;
  /** A link to that checkpoint, when resumeFrom > 0. */
  checkpointUrl?: string;
}

/** An /lb answer: the attempt-relative assignment and the job's ETA, or RUPER-LB's error flag and code. */
export type LbAnswer =
  { ok: true; assigned: number; eta: number } | { ok: false; flag: number; code: number };

export interface WorkerChannel {
  start(lease: PartitionLease, dt: number): Promise<LbAnswer>;
  report(lease: PartitionLease, nIter: number, dt: number, checkpoint?: boolean): Promise<LbAnswer>;
  finish(lease: PartitionLease, nIter: number, dt: number): Promise<LbAnswer>;
  /** A link to PUT this attempt's result or checkpoint to. */
  uploadUrl(lease: PartitionLease, kind: 'result' | 'checkpoint'): Promise<string>;
}
