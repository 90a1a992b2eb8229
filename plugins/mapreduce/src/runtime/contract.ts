// The contract between the mapreduce compile step and its runtime: handler factories, environment variables, payloads.
// The compile step bundles, per role, a generated entry that imports the user's module and calls a factory below.

export const ENV = {
  /** JSON `JobRuntimeConfig`. */
  job: 'MAPREDUCE_JOB',
  /** DynamoDB table holding run state, key schema `pk` (S, hash) + `sk` (S, range); absent in local mode, which uses a local run store. */
  table: 'MAPREDUCE_TABLE',
  /** Function names (not ARNs) the coordinator and mappers invoke asynchronously. */
  mapperFunction: 'MAPREDUCE_MAPPER_FUNCTION',
  reducerFunction: 'MAPREDUCE_REDUCER_FUNCTION',
  /** Optional S3-compatible endpoint (tests, MinIO), path-style. */
  s3Endpoint: 'MAPREDUCE_S3_ENDPOINT',
} as const;

export interface JobRuntimeConfig {
  name: string;
  input: { bucket: string; prefix: string };
  output: { bucket: string; prefix: string };
  /** Where intermediates go: `<output prefix>/_temporary` unless configured. */
  temp: { bucket: string; prefix: string };
  records: 'lines' | 'jsonl';
  outputFormat: 'tsv' | 'jsonl';
  chunkSize?: number;
  mappers?: number;
  reducers: number;
  concurrency: number;
  retries: number;
  /** Reducer memory budget for in-memory merging, bytes; larger partitions spill sorted runs to disk. */
  reducerMemoryBudget: number;
  stragglers: boolean;
  /** Price inputs for the cost estimate in `_SUCCESS.json`. */
  mapperMemoryMb: number;
  reducerMemoryMb: number;
}

/** TTL attribute of the run table (epoch seconds): the compile step enables TTL on it; items without it never expire. */
export const RUN_TABLE_TTL_ATTRIBUTE = 'expiresAt';
