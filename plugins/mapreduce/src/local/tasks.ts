// Messages between the local engine and its worker threads.
import type { Split } from '../runtime/splits';
import type { StreamingPrograms } from '../runtime/streaming/programs';

/** A streaming job's task: its programs run in `cwd` (the service folder). */
export interface LocalStreaming {
  programs: StreamingPrograms;
  cwd: string;
}

export interface LocalMapTask {
  kind: 'map';
  runId: string;
  job: string;
  input: { path: string; size: number; name: string };
  split: Split;
  attempt: number;
  records: 'lines' | 'jsonl';
  reducers: number;
  /** A private folder for this attempt's files; they are renamed into `mapDir` when complete. */
  attemptDir: string;
  mapDir: string;
  fetchSize: number;
  streaming?: LocalStreaming;
}

export interface LocalReduceTask {
  kind: 'reduce';
  runId: string;
  job: string;
  partition: number;
  inputs: string[];
  format: 'tsv' | 'jsonl';
  memoryBudget: number;
  spillDir: string;
  /** Written to `outFile + '.tmp-<attempt>'`, then renamed. */
  outFile: string;
  attempt: number;
  streaming?: LocalStreaming;
}

export type LocalTask = LocalMapTask | LocalReduceTask;
