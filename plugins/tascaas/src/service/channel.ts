// Lambda workers fed by the partition queue: the same claims and /lb calls as the HTTP API, made in process.
import type { ReceivedMessage } from '@serverless-continuum/core/queue';
import { parseLbAnswer } from '../worker/client';
import type { PartitionLease, WorkerChannel } from '../worker/types';
import { claimMessage, definitionOf, LINK_SECONDS, requeuePartition, storeOf } from './deliveries';
import { attemptKey, verifyPartitionId } from './ids';
import { lbRequest, type LbCall } from './lb';
import type { Services } from './types';

/** What an SQS event record carries (the Lambda event's shape). */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
}

/** A WorkerChannel over the service itself: the token in the lease's ID is checked as over HTTP. */
export function inProcessChannel(services: Services): WorkerChannel {
  const call = async (kind: LbCall, lease: PartitionLease, query: Record<string, string>) => {
    const answer = await lbRequest(services, kind, lease.id, { worker: String(lease.partition), ...query });
    // The same answer an HTTP client reads: its status is in the body's flag.
    return parseLbAnswer(answer.body, kind);
  };
  return {
    start: (lease, dt) => call('start', lease, { dt: String(dt) }),
    report: (lease, nIter, dt, checkpoint) =>
      call('report', lease, {
        nIter: String(nIter),
        dt: String(dt),
        ...(checkpoint ? { checkpoint: '1' } : {}),
      }),
    finish: (lease, nIter, dt) => call('finish', lease, { nIter: String(nIter), dt: String(dt) }),
    async uploadUrl(lease, kind) {
      const job = await storeOf(services).job(lease.jobId);
      const parts = verifyPartitionId(services.secret, lease.id, lease.partition);
      if (!job || !parts) throw new Error(`job ${lease.jobId} partition ${lease.partition}: no such attempt`);
      const { attempt } = parts;
      const { results } = definitionOf(services, job);
      return services.links.put(
        { bucket: results.bucket, key: attemptKey(results, lease.jobId, lease.partition, attempt, kind) },
        LINK_SECONDS,
      );
    },
  };
}

/** The source the Lambda worker middleware claims partitions from: one definition's queue. */
export function inProcessSource(services: Services, definition: string, holder = 'lambda') {
  const channel = inProcessChannel(services);
  return {
    async claim(record: QueueRecord) {
      const message: ReceivedMessage = {
        id: record.messageId,
        body: record.body,
        receiptHandle: record.receiptHandle,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
      };
      const claim = await claimMessage(services, definition, message, holder);
      if (!claim) return undefined;
      return {
        lease: claim.lease,
        channel,
        requeue: () => requeuePartition(services, claim.lease.jobId, claim.lease.partition),
      };
    },
  };
}
