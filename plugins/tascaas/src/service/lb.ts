// RUPER-LB's /lb/{ID}/start|report|finish over the job's balance: byte-exact answers, token-checked, with the
// partition's lease extended and its completion checked. Answers: `0\nAssigned: <n>\nETA: <s>` or `<flag> <code>\n`.
import { applyEvent } from '../balancer';
import { LB_CODES, type BalanceAnswer, type BalanceEvent } from '../balancer/types';
import { attemptKey, verifyPartitionId } from './ids';
import { enqueuePartitions } from './jobs';
import { completePartition, definitionOf, extendLease, leaseSeconds, queueOf, storeOf } from './deliveries';
import type { Change, JobRecord } from './store';
import type { Services } from './types';

export type LbCall = 'start' | 'report' | 'finish';

/** What one call did to the job: the answer, the partitions it added, and the job as it wrote it. */
interface LbOutcome {
  answer: BalanceAnswer;
  added: number[];
  job?: JobRecord;
}

/** RUPER-LB's stdin server numbers its instructions so; an error answer starts with the instruction's number. */
const FLAGS: Record<LbCall, number> = { report: 1, start: 2, finish: 3 };

export interface LbResponse {
  status: number;
  body: string;
}

const failure = (call: LbCall, code: number, status = 400): LbResponse => ({
  status,
  body: `${FLAGS[call]} ${code}\n`,
});

export function lbBody(answer: { assigned: number; eta: number }): string {
  return `0\nAssigned: ${answer.assigned}\nETA: ${answer.eta}`;
}

function whole(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,16}$/.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER
    ? Number(value)
    : undefined;
}

/** `dt` as RUPER-LB's client sends it (an integer) or as others may (a decimal). */
function seconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,12}(\.\d{1,9})?$/.test(value) ? Number(value) : undefined;
}

export async function lbRequest(
  services: Services,
  call: LbCall,
  id: string,
  query: Record<string, string>,
): Promise<LbResponse> {
  const partition = whole(query.worker);
  const dt = seconds(query.dt);
  const nIter = call === 'start' ? 0 : whole(query.nIter);
  if (partition === undefined || dt === undefined || nIter === undefined) {
    return failure(call, LB_CODES.unexpectedFormat);
  }
  const parts = verifyPartitionId(services.secret, id, partition);
  if (!parts) return failure(call, LB_CODES.tokenRefused, 401);
  const store = storeOf(services);
  const [job, delivery] = await Promise.all([store.job(parts.jobId), store.delivery(parts.jobId, partition)]);
  // A later attempt holds the partition: this program is a zombie of an earlier delivery.
  if (!job || !delivery || delivery.attempt !== parts.attempt)
    return failure(call, LB_CODES.tokenRefused, 401);
  if (job.state !== 'RUNNING') return failure(call, LB_CODES.taskAlreadyFinished);
  const definition = definitionOf(services, job);
  const checkpoint = call === 'report' && (query.checkpoint === '1' || query.checkpoint === 'true');
  if (checkpoint) {
    const key = attemptKey(definition.results, job.id, partition, parts.attempt, 'checkpoint');
    if (!(await services.storage.head(definition.results.bucket, key))) {
      return failure(call, LB_CODES.unexpectedFormat);
    }
  }
  const event: BalanceEvent =
    call === 'start'
      ? { kind: 'start', partition, dt }
      : call === 'report'
        ? { kind: 'report', partition, nIter, dt, ...(checkpoint ? { checkpoint } : {}) }
        : { kind: 'finish', partition, nIter, dt };
  const outcome = await store.changeJob(job.id, (current): Change<JobRecord, LbOutcome> => {
    if (!current || current.state !== 'RUNNING') {
      return { result: { answer: { ok: false, code: LB_CODES.taskAlreadyFinished }, added: [] } };
    }
    const next = applyEvent(current.balance, event, services.now());
    if (!next.answer.ok) return { result: { answer: next.answer, added: [] } };
    const written = { ...current, balance: next.state };
    return { next: written, result: { answer: next.answer, added: next.added, job: written } };
  });
  if (!outcome.answer.ok) return failure(call, outcome.answer.code);
  // The job as this call wrote it: its balance holds the partitions it added.
  if (outcome.added.length && outcome.job) await enqueuePartitions(services, outcome.job, outcome.added);
  if (checkpoint) {
    await store.changeDelivery(job.id, partition, (d) => ({
      next: d && d.attempt === parts.attempt ? { ...d, checkpoint: parts.attempt } : undefined,
      result: undefined,
    }));
  }
  if (call === 'finish') {
    await store.changeDelivery(job.id, partition, (d) => ({
      next:
        d && d.attempt === parts.attempt && d.finished !== parts.attempt
          ? { ...d, finished: parts.attempt }
          : undefined,
      result: undefined,
    }));
    await completePartition(services, job.id, partition, parts.attempt);
  } else if (delivery.receipt) {
    await extendLease(queueOf(services, job.definition), delivery.receipt, leaseSeconds(services));
  }
  return { status: 200, body: lbBody(outcome.answer) };
}
