// The types user code and reports see: map/reduce signatures, contexts, and the `_SUCCESS.json` / `_FAILED.json` documents.

/** What a mapper knows about the piece of input it is processing. */
export interface MapContext {
  runId: string;
  job: string;
  /** The input object (or local file). */
  input: { bucket: string; key: string; size: number };
  split: { index: number; start: number; end: number };
  attempt: number;
}

export interface ReduceContext {
  runId: string;
  job: string;
  partition: number;
  /** `true` when called as a combiner on mapper output, `false` (or absent) in the reducer. */
  combining: boolean;
}

/**
 * `map(record, emit, ctx)`: `record` is one line without its line ending (`records: lines`) or one parsed
 * JSON value (`records: jsonl`). Keys and values must be JSON-serializable; keys are compared by their
 * canonical JSON encoding, and a key that is not plain data (a Date, a Map, a class instance) fails the split.
 */
export type Mapper<K = string, V = unknown, R = string> = (
  record: R,
  emit: (key: K, value: V) => void,
  ctx: MapContext,
) => void | Promise<void>;

/**
 * `reduce(key, values, ctx)` returns the value written for `key`. A combiner has the same signature; it may run
 * zero, one or several times on partial groups of mapper output, so it must be associative and commutative
 * and return a value of the same type as its inputs.
 */
export type Reducer<K = string, V = unknown, O = V> = (
  key: K,
  values: V[],
  ctx?: ReduceContext,
) => O | Promise<O>;

/** One split's result, as recorded in the run store. */
export interface SplitStats {
  split: number;
  recordsIn: number;
  /** `emit` calls, before combining (absent in stats written by older runtimes). */
  emitted?: number;
  /** Intermediate records written, after combining. */
  recordsOut: number;
  bytesRead: number;
  bytesOut: number;
  /** Partitions this split wrote a (non-empty) intermediate object for. */
  partitions: number[];
  durationMs: number;
}

export interface PartitionStats {
  partition: number;
  recordsIn: number;
  keysOut: number;
  bytesIn: number;
  bytesOut: number;
  spills: number;
  durationMs: number;
}

export interface CostEstimate {
  /** The region the run ran in (a local run: the service's region). */
  region: string;
  /** Whose on-demand list prices were used: `region`'s, or us-east-1's when the estimate does not know it. */
  pricesRegion: string;
  /** When those prices were read (`YYYY-MM`). */
  pricesDate: string;
  currency: 'USD';
  prices: {
    lambdaGbSecond: number;
    lambdaPerMillionRequests: number;
    s3PutPerThousand: number;
    s3GetPerThousand: number;
    dynamoWritePerMillion: number;
    dynamoReadPerMillion: number;
  };
  lambdaGbSeconds: number;
  /** The mapper's (with the straggler watcher) and the reducer's; the coordinator's few are not counted. */
  lambdaGbSecondsByRole: { mapper: number; reducer: number };
  lambdaRequests: number;
  /** By request class: PUT and LIST are class A, GET and HEAD class B, DELETE (DeleteObjects) requests free. */
  s3Requests: { get: number; head: number; put: number; list: number; delete: number };
  /** DynamoDB requests (reads: GetItem and Query pages; writes: PutItem and UpdateItem, failed conditions too). */
  dynamoRequests: { write: number; read: number };
  /** Their request units as on-demand DynamoDB bills them: 1 per KB of item written, 1 per 4 KB read. */
  dynamoUnits: { write: number; read: number };
  estimatedUsd: number;
  /** Local runs: the estimate prices local durations as if they had run in Lambda at the configured memory. */
  basis: 'lambda' | 'local-durations';
}

/** The content of `<output>/<run id>/_SUCCESS.json`. */
export interface RunReport {
  runId: string;
  job: string;
  status: 'succeeded';
  input: { bucket: string; key: string; versionId?: string; etag?: string; size: number };
  output: { bucket: string; prefix: string; parts: string[]; format: 'tsv' | 'jsonl' };
  splits: number;
  /** Map task executions, including retries and straggler backups. */
  mappers: number;
  reducers: number;
  /** `emitted`: map's `emit` calls; `mapOutput`: intermediate records after combining; `out`: keys written. */
  records: { in: number; emitted: number; mapOutput: number; reduceInput: number; out: number };
  bytes: { read: number; intermediate: number; output: number };
  times: { startedAt: string; finishedAt: string; mapMs: number; reduceMs: number; totalMs: number };
  retries: { map: number; reduce: number };
  backups: number;
  /**
   * The straggler watcher (`stragglers: true`, in Lambda): its invocations (one, plus one per hand-over) and
   * their time, billed as the mapper function and counted in `cost`. Absent when no watcher ran.
   */
  watcher?: { invocations: number; ms: number };
  spills: number;
  cost: CostEstimate;
}

/** The content of `<output>/<run id>/_FAILED.json`. */
export interface FailureReport {
  runId: string;
  job: string;
  status: 'failed';
  /** `start`: the coordinator could not start the run (Lambda reported its invocation failed on every retry). */
  phase: 'start' | 'map' | 'reduce';
  /** The split (map) or partition (reduce) that failed after all retries. */
  split?: { index: number; start: number; end: number };
  partition?: number;
  attempts: number;
  error: { message: string; name?: string; stack?: string };
  input: { bucket: string; key: string; versionId?: string; etag?: string; size: number };
  failedAt: string;
}
