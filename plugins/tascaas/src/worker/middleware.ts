// A middy middleware for Lambda workers fed by the partition queue: claims the partition of the SQS record, hands
// the handler its Partition, and puts the partition back on the queue when the handler yielded near the deadline.
import type { MiddlewareObj } from '@middy/core' with { 'resolution-mode': 'import' };
import { partitionOf, type Partition } from './program';
import type { PartitionLease, WorkerChannel } from './types';

/** The part of an SQS record the middleware reads (the source reads the rest). */
export interface PartitionRecordLike {
  body: string;
  messageId?: string;
  receiptHandle?: string;
  attributes?: Record<string, string>;
}

export interface PartitionEventLike {
  Records: PartitionRecordLike[];
}

export interface PartitionClaim {
  lease: PartitionLease;
  channel: WorkerChannel;
  /** Puts the partition back on the queue (a yielded attempt resumes in a new invocation). */
  requeue(): Promise<void>;
}

export interface PartitionSource<R extends PartitionRecordLike = PartitionRecordLike> {
  /** undefined: nothing to run (a duplicate delivery, a partition already complete). */
  claim(record: R): Promise<PartitionClaim | undefined>;
}

export interface TascaasWorkerOptions<R extends PartitionRecordLike = PartitionRecordLike> {
  source: PartitionSource<R>;
  /** The handler is asked to yield when less than this is left of the invocation; 30 s when omitted. */
  marginMs?: number;
}

/** The Lambda context as the handler sees it behind the middleware. */
export interface TascaasContext {
  getRemainingTimeInMillis(): number;
  tascaas: Partition;
}

/** The answer of an invocation with nothing to run: success, no record failed. */
export const NOTHING_TO_RUN = { batchItemFailures: [] } as const;

export function tascaasWorker<R extends PartitionRecordLike = PartitionRecordLike>(
  options: TascaasWorkerOptions<R>,
): MiddlewareObj<{ Records: R[] }, unknown, Error, TascaasContext> {
  const marginMs = options.marginMs ?? 30_000;
  const claims = new WeakMap<object, PartitionClaim>();
  return {
    name: 'tascaasWorker',
    async before(request) {
      const records = request.event.Records ?? [];
      if (records.length > 1)
        throw new Error(
          `tascaas workers take one partition per invocation (batch size 1), got ${records.length}`,
        );
      const record = records[0];
      const claim = record && (await options.source.claim(record));
      if (!claim) return NOTHING_TO_RUN;
      claims.set(request, claim);
      const partition = partitionOf(claim.lease, claim.channel);
      const context = request.context;
      if (typeof context.getRemainingTimeInMillis === 'function')
        partition.yieldWhen(() => context.getRemainingTimeInMillis() < marginMs);
      context.tascaas = partition;
      return undefined;
    },
    async after(request) {
      const claim = claims.get(request);
      const response = request.response as { yielded?: unknown } | null | undefined;
      if (claim && response?.yielded === true) await claim.requeue();
    },
    // No onError: a failed attempt's error goes up to Lambda untouched, so the message comes back after its
    // lease and the partition is re-delivered.
  };
}
