// What the mapper and reducer functions of a streaming job need from Lambda: where the job's files are in the
// image, the job's programs, and the invocation's deadline (less a margin to report a hanging program).
import type { JobRuntimeConfig } from '../contract';
import type { StreamingPrograms } from './programs';

/** The folder the service's job files are in, inside a streaming job's image; the programs run there. */
export const IMAGE_JOB_DIR = '/opt/continuum/job';

/** Overrides IMAGE_JOB_DIR (the handler run outside its image, in tests). */
export const STREAMING_DIR_ENV = 'MAPREDUCE_STREAMING_DIR';

/** Time kept back from the invocation's deadline: enough to kill the program and record the failure. */
export const DEADLINE_MARGIN_MS = 10_000;

export function streamingDir(): string {
  return process.env[STREAMING_DIR_ENV] || IMAGE_JOB_DIR;
}

export function streamingPrograms(job: JobRuntimeConfig): StreamingPrograms {
  if (!job.streaming)
    throw new Error(`job ${job.name} is not a streaming job: its runtime config has no programs`);
  return job.streaming;
}

/** Epoch ms by which a task's programs must be done: Lambda's deadline less the margin; none outside Lambda. */
export function deadlineOf(
  context: { getRemainingTimeInMillis?: () => number } | undefined,
): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining)) return undefined;
  return Date.now() + Math.max(1000, remaining - DEADLINE_MARGIN_MS);
}
