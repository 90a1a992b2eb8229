// A partition's deliveries through its queue: handed out (a new attempt), leased, released, completed and
// deleted only once its finish and its result are both in. The README's "How it works" tells the protocol.
import { isContinuumError } from '@serverless-continuum/core/errors';
import type { Queue, ReceivedMessage } from '@serverless-continuum/core/queue';
import { applyEvent } from '../balancer';
import type { PartitionLease } from '../worker/types';
import { attemptKey, manifestKey, partitionId } from './ids';
import { JobStore, type JobRecord } from './store';
import type { JobDefinition, Services } from './types';

/** Links handed to programs last this long; a program asks again for a fresh upload link when it ends. */
export const LINK_SECONDS = 12 * 3600;

/** Seconds a delivery stays hidden without a heartbeat: two scale periods (worker.py beats every 2/3 of one). */
export function leaseSeconds(services: Services): number {
  return Math.min(12 * 3600, Math.max(2, 2 * services.scaleTime));
}

export const storeOf = (services: Services) => new JobStore(services.state, services.now);

export function queueOf(services: Services, definition: string): Queue {
  const queues = services.queues[definition];
  if (!queues) throw new Error(`no partition queue for job definition ${definition}`);
  return queues.partitions;
}

export function definitionOf(services: Services, job: JobRecord): JobDefinition {
  const definition = services.definitions[job.definition];
  if (!definition)
    throw new Error(`job ${job.id}: its definition ${job.definition} is no longer in the service`);
  return definition;
}

/** Deletes a message, accepting one that is gone already (its lease ran out, or another delete got there). */
async function deleteMessage(queue: Queue, receipt: string | undefined): Promise<void> {
  if (!receipt) return;
  try {
    await queue.delete(receipt);
  } catch (error) {
    if (!isContinuumError(error) || error.code !== 'CONTINUUM_MESSAGE_LOST') throw error;
  }
}

/** Extends (or, with 0, ends) a lease; false when the message is no longer held through this receipt. */
export async function extendLease(queue: Queue, receipt: string, seconds: number): Promise<boolean> {
  try {
    await queue.extendVisibility(receipt, seconds);
    return true;
  } catch (error) {
    if (isContinuumError(error) && error.code === 'CONTINUUM_MESSAGE_LOST') return false;
    throw error;
  }
}

export interface PartitionMessage {
  job: string;
  partition: number;
}

/** A partition queue's message body; undefined for anything else (it is dropped). */
export function parsePartitionMessage(body: string): PartitionMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<PartitionMessage>;
    if (typeof value.job === 'string' && Number.isInteger(value.partition)) {
      return { job: value.job, partition: value.partition as number };
    }
  } catch {
    // Not ours: dropped below.
  }
  return undefined;
}

export interface Claim {
  lease: PartitionLease;
  /** What TaScaaS's `/node/{id}/jobs` answers in `configs[]`: every field a string. */
  config: {
    ID: string;
    reportTime: string;
    worker: string;
    'data-url': string;
    nIter: string;
    resumeFrom: string;
    'checkpoint-url'?: string;
  };
  definition: string;
  /** The attempt this claim made (the one its token is valid for). */
  attempt: number;
  receipt: string;
}

/**
 * Turns a received message into a new attempt of its partition held by `holder`; undefined (and the message
 * deleted) when it is a duplicate, its partition is complete, or its job is over.
 */
export async function claimMessage(
  services: Services,
  definitionName: string,
  message: ReceivedMessage,
  holder: string,
): Promise<Claim | undefined> {
  const queue = queueOf(services, definitionName);
  const store = storeOf(services);
  const body = parsePartitionMessage(message.body);
  const job = body && (await store.job(body.job));
  if (!body || !job || job.state !== 'RUNNING') {
    await deleteMessage(queue, message.receiptHandle);
    return undefined;
  }
  const attempt = await store.changeDelivery(job.id, body.partition, (delivery) => {
    if (!delivery || delivery.messageId !== message.id || delivery.result !== undefined) return { result: 0 };
    const next = delivery.attempt + 1;
    return { next: { ...delivery, attempt: next, holder, receipt: message.receiptHandle }, result: next };
  });
  if (!attempt) {
    await deleteMessage(queue, message.receiptHandle);
    return undefined;
  }
  const balance = await store.changeJob(job.id, (current) => {
    if (!current) return { result: undefined };
    const outcome = applyEvent(
      current.balance,
      { kind: 'deliver', partition: body.partition, attempt },
      services.now(),
    );
    return { next: { ...current, balance: outcome.state }, result: outcome.state };
  });
  const partition = balance?.partitions[body.partition];
  if (!balance || !partition) {
    await deleteMessage(queue, message.receiptHandle);
    return undefined;
  }
  const definition = definitionOf(services, job);
  const delivery = await store.delivery(job.id, body.partition);
  const id = partitionId(services.secret, job.id, body.partition, attempt);
  const inputUrl =
    job.input && definition.input
      ? await services.links.get(
          { bucket: definition.input.bucket, key: definition.input.prefix + job.input },
          LINK_SECONDS,
        )
      : '';
  const checkpointUrl =
    partition.base > 0 && delivery?.checkpoint !== undefined
      ? await services.links.get(
          {
            bucket: definition.results.bucket,
            key: attemptKey(definition.results, job.id, body.partition, delivery.checkpoint, 'checkpoint'),
          },
          LINK_SECONDS,
        )
      : undefined;
  const reportSeconds = balance.balanced ? balance.reportInterval : -1;
  const iterations = Math.max(0, partition.assigned - partition.base);
  services.log?.(`job ${job.id}: partition ${body.partition} attempt ${attempt} to ${holder}`);
  return {
    lease: {
      id,
      jobId: job.id,
      partition: body.partition,
      iterations,
      reportSeconds,
      inputUrl,
      resumeFrom: partition.base,
      ...(checkpointUrl ? { checkpointUrl } : {}),
    },
    config: {
      ID: id,
      reportTime: String(reportSeconds),
      worker: String(body.partition),
      'data-url': inputUrl,
      nIter: String(iterations),
      // Ours, beside TaScaaS's five (worker.py ignores them): where a resumed attempt starts, and its checkpoint.
      resumeFrom: String(partition.base),
      ...(checkpointUrl ? { 'checkpoint-url': checkpointUrl } : {}),
    },
    definition: definitionName,
    attempt,
    receipt: message.receiptHandle,
  };
}

/** Sends the partition again as a new message (a Lambda worker out of time, after its checkpoint). */
export async function requeuePartition(services: Services, jobId: string, partition: number): Promise<void> {
  const store = storeOf(services);
  const job = await store.job(jobId);
  if (!job || job.state !== 'RUNNING') return;
  const [messageId = ''] = await queueOf(services, job.definition).send([
    JSON.stringify({ job: jobId, partition }),
  ]);
  await store.changeDelivery(jobId, partition, (delivery) => ({
    next: delivery && delivery.result === undefined ? { ...delivery, messageId } : undefined,
    result: undefined,
  }));
}

/**
 * Completes a partition when both its finish and its result (of the same attempt) are in, deletes its message,
 * and completes the job when it was the last: `_SUCCESS.json` is written before the job says COMPLETED.
 */
export async function completePartition(
  services: Services,
  jobId: string,
  partition: number,
  attempt: number,
): Promise<void> {
  const store = storeOf(services);
  const job = await store.job(jobId);
  if (!job) return;
  const definition = definitionOf(services, job);
  const delivery = await store.delivery(jobId, partition);
  if (!delivery || delivery.finished !== attempt || delivery.result !== undefined) return;
  const key = attemptKey(definition.results, jobId, partition, attempt, 'result');
  if (!(await services.storage.head(definition.results.bucket, key))) return;
  const committed = await store.changeDelivery(jobId, partition, (current) =>
    current && current.result === undefined && current.finished === attempt
      ? { next: { ...current, result: attempt }, result: true }
      : { result: false },
  );
  if (!committed) return;
  await deleteMessage(queueOf(services, job.definition), delivery.receipt);
  if (delivery.holder) await store.dropHold(delivery.holder, jobId, partition);
  services.log?.(`job ${jobId}: partition ${partition} complete (attempt ${attempt})`);
  await completeJobIfDone(services, jobId);
}

/** A partition that needs no result: nothing assigned, nothing done, and the job told to stop. */
function needsNoResult(job: JobRecord, index: number): boolean {
  const partition = job.balance.partitions[index];
  return (
    !!partition &&
    job.balance.stopped &&
    partition.done === 0 &&
    partition.assigned === 0 &&
    partition.attempt === 0
  );
}

export async function completeJobIfDone(services: Services, jobId: string): Promise<void> {
  const store = storeOf(services);
  const job = await store.job(jobId);
  if (!job || job.state !== 'RUNNING') return;
  const deliveries = await store.deliveries(jobId);
  const complete = job.balance.partitions.every(
    (p) =>
      (p.phase === 'finished' && deliveries.get(p.index)?.result !== undefined) ||
      needsNoResult(job, p.index),
  );
  const done = job.balance.partitions.reduce((sum, p) => sum + p.done, 0);
  if (!complete || done < job.iterations) return;
  const definition = definitionOf(services, job);
  const manifest = {
    id: jobId,
    job: job.definition,
    iterations: job.iterations,
    done,
    completedAt: new Date(services.now()).toISOString(),
    partitions: job.balance.partitions
      .filter((p) => deliveries.get(p.index)?.result !== undefined)
      .map((p) => {
        const result = deliveries.get(p.index)?.result ?? 0;
        return {
          index: p.index,
          done: p.done,
          attempts: deliveries.get(p.index)?.attempt ?? 0,
          result: attemptKey(definition.results, jobId, p.index, result, 'result'),
        };
      }),
  };
  await services.storage.put(
    definition.results.bucket,
    manifestKey(definition.results, jobId),
    `${JSON.stringify(manifest, null, 2)}\n`,
    { contentType: 'application/json' },
  );
  await store.changeJob(jobId, (current) =>
    current && current.state === 'RUNNING'
      ? { next: { ...current, state: 'COMPLETED' }, result: undefined }
      : { result: undefined },
  );
  services.log?.(`job ${jobId}: COMPLETED, ${done} iterations in ${manifest.partitions.length} partitions`);
}

/** Fails a job naming the partition (its message went to the dead-letter queue); `_FAILED.json` says so too. */
export async function failPartition(
  services: Services,
  jobId: string,
  partition: number,
  reason: string,
): Promise<void> {
  const store = storeOf(services);
  const changed = await store.changeJob(jobId, (job) => {
    if (!job || job.state !== 'RUNNING') return { result: undefined };
    const outcome = applyEvent(job.balance, { kind: 'fail', partition }, services.now());
    return { next: { ...job, state: 'FAILED', failed: reason, balance: outcome.state }, result: job };
  });
  if (!changed) return;
  const definition = definitionOf(services, changed);
  await services.storage.put(
    definition.results.bucket,
    `${definition.results.prefix}${jobId}/_FAILED.json`,
    `${JSON.stringify({ id: jobId, job: changed.definition, failed: reason, partition }, null, 2)}\n`,
    { contentType: 'application/json' },
  );
  services.log?.(`job ${jobId}: FAILED: ${reason}`);
}
