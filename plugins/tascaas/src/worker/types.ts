// What a worker holds while it runs a partition, and the channel it talks to the balancer through: over HTTP
// (client.ts) on an infrastructure, in-process (the service) on Lambda.

export interface PartitionLease {
  /** The ID (jobId.attempt.token): it carries the partition's token, so it is never logged. */
  id: string;
  jobId: string;
  partition: number;
  /** nIter of this attempt (attempt-relative). */
  iterations: number;
  /** -1: unbalanced, do not report. */
  reportSeconds: number;
  /** '' when the job has no input. */
  inputUrl: string;
  /** Absolute count secured by a checkpoint (0 on a first attempt). */
  resumeFrom: number;
  /** GET url of the last checkpoint when resumeFrom > 0. */
  checkpointUrl?: string;
}

export type LbAnswer =
  { ok: true; assigned: number; eta: number } | { ok: false; flag: number; code: number };

export interface WorkerChannel {
  start(lease: PartitionLease, dt: number): Promise<LbAnswer>;
  report(lease: PartitionLease, nIter: number, dt: number, checkpoint?: boolean): Promise<LbAnswer>;
  finish(lease: PartitionLease, nIter: number, dt: number): Promise<LbAnswer>;
  uploadUrl(lease: PartitionLease, kind: 'result' | 'checkpoint'): Promise<string>;
}
