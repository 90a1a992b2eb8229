// A job's state as `sls tascaas status` and `GET /jobs/{id}` show it: the job, then each partition.
import type { PartitionPhase } from '../balancer/types';
import { definitionOf, storeOf } from './deliveries';
import { manifestKey } from './ids';
import type { JobRecord, JobState } from './store';
import type { Services } from './types';

export interface PartitionStatus {
  index: number;
  state: PartitionPhase;
  done: number;
  assigned: number;
  attempts: number;
}

export interface JobStatus {
  id: string;
  job: string;
  state: JobState;
  iterations: number;
  done: number;
  /** Seconds left as the balancer last estimated; null before the first estimate or once over. */
  eta: number | null;
  failed?: string;
  /** Once COMPLETED: `<bucket>/<key>` of the manifest that lists every partition's result. */
  manifest?: string;
  partitions: PartitionStatus[];
}

export async function jobStatus(services: Services, id: string): Promise<JobStatus | undefined> {
  const store = storeOf(services);
  const job = await store.job(id);
  if (!job) return undefined;
  const deliveries = await store.deliveries(id);
  const partitions = job.balance.partitions.map((p): PartitionStatus => {
    const delivery = deliveries.get(p.index);
    // A partition that sent finish is `running` until its result is uploaded too.
    const state: PartitionPhase =
      p.phase === 'finished' && delivery?.result === undefined && !(job.state === 'COMPLETED')
        ? 'running'
        : p.phase;
    return {
      index: p.index,
      state,
      done: p.done,
      assigned: Math.max(p.assigned, p.done),
      attempts: delivery?.attempt ?? 0,
    };
  });
  return {
    id,
    job: job.definition,
    state: job.state,
    iterations: job.iterations,
    done: job.balance.partitions.reduce((sum, p) => sum + p.done, 0),
    eta: job.state === 'RUNNING' && job.balance.eta !== undefined ? Math.floor(job.balance.eta) : null,
    ...(job.failed ? { failed: job.failed } : {}),
    ...(job.state === 'COMPLETED' ? { manifest: manifestOf(services, job) } : {}),
    partitions,
  };
}

function manifestOf(services: Services, job: JobRecord): string {
  const { results } = definitionOf(services, job);
  return `${results.bucket}/${manifestKey(results, job.id)}`;
}
