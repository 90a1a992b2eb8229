// The tascaas service: the API, job submission, partition completion, the monitor and job status over its
// adapters (state store, queues, storage, links), the same locally and on AWS.
import { completePartition, storeOf } from './deliveries';
import { parseAttemptKey } from './ids';
import type { Services } from './types';

export type * from './types';
export { handleApi } from './api';
export { submitJob, submitUploadedConfig, parseJobSpec, JobSpecError } from './jobs';
export { runMonitor } from './monitor';
export type { MonitorReport } from './monitor';
export { jobStatus } from './status';
export type { JobStatus, PartitionStatus } from './status';
export { inProcessSource } from './channel';

/** Completes the partition whose result object was just uploaded, when its finish was received (the S3 trigger). */
export async function completeUploadedResult(services: Services, bucket: string, key: string): Promise<void> {
  for (const definition of Object.values(services.definitions)) {
    if (definition.results.bucket !== bucket) continue;
    const parsed = parseAttemptKey(definition.results, key);
    if (!parsed || parsed.kind !== 'result') continue;
    const job = await storeOf(services).job(parsed.jobId);
    if (job?.definition !== definition.name) continue;
    await completePartition(services, parsed.jobId, parsed.partition, parsed.attempt);
  }
}
