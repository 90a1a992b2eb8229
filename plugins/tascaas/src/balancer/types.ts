// The balancer's state and events: one job's partitions as RUPER-LB sees them, kept in the job's table item.

/** Where a partition is in its life (what `sls tascaas status` shows). */
export type PartitionPhase = 'queued' | 'running' | 'finished' | 'failed';

export interface PartitionBalance {
  index: number;
  phase: PartitionPhase;
  /** Iterations this partition must reach, counted from the job's start (cumulative, absolute). */
  assigned: number;
  /** Iterations done, absolute: `base` plus what the current attempt reported. */
  done: number;
  /** Iterations secured by a checkpoint of an earlier attempt: where the current attempt resumes from. */
  base: number;
  /**
   * Iterations secured by the current attempt's last checkpoint (absolute): the next delivery's `base`.
   * Kept apart from `base` because the attempt's own counts stay relative to where it began.
   */
  secured?: number;
  /** The current delivery of the partition (1 for the first); 0 while never delivered. */
  attempt: number;
  /** Epoch ms of the current delivery: a delivered program that never starts goes silent 2 x reportInterval after it. */
  deliveredAt?: number;
  /** Epoch ms the current attempt's program started (from `start`'s dt); undefined until started. */
  startedAt?: number;
  /** Epoch ms of the last measure (start or report); the silence clock. */
  lastReportAt?: number;
  /** Program seconds (dt) of the last measure, to refuse a report that goes back in time. */
  lastDt?: number;
  /** Iterations per second from the last two measures; 0 while unknown. */
  speed: number;
  /** Measures taken in the current attempt (start counts as one). */
  measures: number;
}

export interface JobBalance {
  iterations: number;
  /** Seconds between reports; the silence threshold is twice this. */
  reportInterval: number;
  /** False for a job submitted with time <= 0: plain partitioning, no rebalance and no growth. */
  balanced: boolean;
  /** Epoch ms by which the job should be done (submit time + time); undefined when unbalanced. */
  deadline?: number;
  maxPartitions: number;
  partitions: PartitionBalance[];
  /** True once the total done reached `iterations`: every running partition has been told to stop. */
  stopped: boolean;
  /** The last ETA computed, whole seconds; undefined before the first. */
  eta?: number;
}

/** What a program (or the dispatcher) tells the balancer. Counts on the wire are attempt-relative. */
export type BalanceEvent =
  | { kind: 'deliver'; partition: number; attempt: number }
  | { kind: 'start'; partition: number; dt: number }
  | { kind: 'report'; partition: number; nIter: number; dt: number; checkpoint?: boolean }
  | { kind: 'finish'; partition: number; nIter: number; dt: number }
  | { kind: 'fail'; partition: number };

/** RUPER-LB's LB_ERRCODE values the server answers with. */
export const LB_CODES = {
  workerOutOfRange: 3,
  workerNotStarted: 5,
  workerFinished: 12,
  taskAlreadyFinished: 26,
  tokenRefused: 27,
  unexpectedFormat: 29,
} as const;

export type BalanceAnswer =
  | { ok: true; /** attempt-relative: assigned - base */ assigned: number; eta: number }
  | { ok: false; code: number };

export interface BalanceOutcome {
  state: JobBalance;
  answer: BalanceAnswer;
  /** Indexes of partitions this event added (deadline growth, or a shortfall no running partition can absorb): enqueue them. */
  added: number[];
}
