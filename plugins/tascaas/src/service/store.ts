// The service's items in the state store: jobs (with their balance), partition deliveries, infrastructures and the
// capacity hint. Every change is a versioned read-modify-write, so concurrent calls lose no update.
import { ContinuumError } from '@serverless-continuum/core/errors';
import {
  STATE_DEFAULTS,
  type StateItem,
  type StateKey,
  type StateStore,
} from '@serverless-continuum/core/state';
import type { JobBalance } from '../balancer/types';

export type JobState = 'RUNNING' | 'COMPLETED' | 'FAILED';

export interface JobRecord {
  id: string;
  definition: string;
  iterations: number;
  time: number;
  state: JobState;
  /** Why the job failed, naming the partition. */
  failed?: string;
  balance: JobBalance;
  createdAt: number;
  /** The input object's key in the definition's input bucket; '' when the job has none. */
  input: string;
}

/** One partition's deliveries: which message is its own, who holds it, and what it finished and uploaded. */
export interface DeliveryRecord {
  /** The SQS message that carries the partition now; any other message for it is a duplicate. */
  messageId: string;
  /** The attempt whose token is valid (0 before the first delivery). */
  attempt: number;
  holder?: string;
  receipt?: string;
  /** The attempt that sent `finish`. */
  finished?: number;
  /** The attempt whose checkpoint is the resume point. */
  checkpoint?: number;
  /** The attempt whose result is the partition's result: set once, when the partition is complete. */
  result?: number;
}

export interface NodeRecord {
  id: string;
  slots: number;
  maxSlots: number;
  lastSeen: number;
  disconnected: boolean;
}

/** A partition an infrastructure holds: its lease is extended on the infrastructure's heartbeat. */
export interface HoldRecord {
  jobId: string;
  partition: number;
  attempt: number;
  definition: string;
  receipt: string;
  active: boolean;
}

const VERSION = STATE_DEFAULTS.versionAttribute;
/** Items outlive their job by this long (TaScaaS removes a job after its timeout, a day by default). */
export const RETENTION_SECONDS = 7 * 24 * 3600;

export const jobKey = (id: string): StateKey => ({ partition: `job#${id}`, sort: 'job' });
export const deliveryKey = (id: string, partition: number): StateKey => ({
  partition: `job#${id}`,
  sort: `p#${String(partition).padStart(5, '0')}`,
});
export const nodeKey = (id: string): StateKey => ({ partition: 'nodes', sort: id });
export const holdKey = (node: string, jobId: string, partition: number): StateKey => ({
  partition: `node#${node}`,
  sort: `hold#${jobId}#${partition}`,
});
const CAPACITY_KEY: StateKey = { partition: 'dispatcher', sort: 'capacity' };
const JOBS_PARTITION = 'jobs';

const text = (item: StateItem, name: string) =>
  typeof item[name] === 'string' ? (item[name] as string) : '';
const whole = (item: StateItem, name: string) =>
  typeof item[name] === 'number' ? (item[name] as number) : 0;
const optionalWhole = (item: StateItem, name: string) =>
  typeof item[name] === 'number' ? (item[name] as number) : undefined;
const versionOf = (item: StateItem | undefined) => (item ? whole(item, VERSION) : 0);

export function jobFromItem(id: string, item: StateItem): JobRecord {
  return {
    id,
    definition: text(item, 'definition'),
    iterations: whole(item, 'iterations'),
    time: whole(item, 'time'),
    state: text(item, 'state') as JobState,
    ...(text(item, 'failed') ? { failed: text(item, 'failed') } : {}),
    balance: JSON.parse(text(item, 'balance')) as JobBalance,
    createdAt: whole(item, 'createdAt'),
    input: text(item, 'input'),
  };
}

function jobItem(job: JobRecord): StateItem {
  return {
    definition: job.definition,
    iterations: job.iterations,
    time: job.time,
    state: job.state,
    ...(job.failed ? { failed: job.failed } : {}),
    balance: JSON.stringify(job.balance),
    createdAt: job.createdAt,
    input: job.input,
  };
}

function nodeFromItem(id: string, item: StateItem): NodeRecord {
  return {
    id,
    slots: whole(item, 'slots'),
    maxSlots: whole(item, 'maxSlots'),
    lastSeen: whole(item, 'lastSeen'),
    disconnected: item.disconnected === true,
  };
}

function deliveryFromItem(item: StateItem): DeliveryRecord {
  const optional = (name: keyof DeliveryRecord) => {
    const value = optionalWhole(item, name);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    messageId: text(item, 'messageId'),
    attempt: whole(item, 'attempt'),
    ...(text(item, 'holder') ? { holder: text(item, 'holder') } : {}),
    ...(text(item, 'receipt') ? { receipt: text(item, 'receipt') } : {}),
    ...optional('finished'),
    ...optional('checkpoint'),
    ...optional('result'),
  };
}

function deliveryItem(delivery: DeliveryRecord): StateItem {
  const out: Record<string, string | number> = { messageId: delivery.messageId, attempt: delivery.attempt };
  if (delivery.holder) out.holder = delivery.holder;
  if (delivery.receipt) out.receipt = delivery.receipt;
  for (const name of ['finished', 'checkpoint', 'result'] as const) {
    const value = delivery[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A change computed from what is stored: `next` is written (undefined: nothing to write), `result` returned. */
export interface Change<R, T> {
  next?: R;
  result: T;
}

const MAX_TRIES = 200;

/**
 * Reads, computes and writes under the item's version until no other writer got in between. Each retry waits a
 * little longer (with jitter) so that many concurrent writers of one item all get through.
 */
async function versioned<R, T>(
  store: StateStore,
  key: StateKey,
  decode: (item: StateItem) => R,
  encode: (record: R) => StateItem,
  change: (current: R | undefined) => Change<R, T>,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const item = await store.get(key);
    const { next, result } = change(item ? decode(item) : undefined);
    if (next === undefined) return result;
    if (await store.updateVersion(key, versionOf(item), encode(next))) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 + attempt * 2)));
  }
  throw new ContinuumError('CONTINUUM_STATE', `${key.partition} ${key.sort}: too many concurrent writers`);
}

export class JobStore {
  constructor(
    readonly state: StateStore,
    private readonly now: () => number,
  ) {}

  private expiry(): { expiresAt: number } {
    return { expiresAt: Math.floor(this.now() / 1000) + RETENTION_SECONDS };
  }

  /** Writes a new job and its partitions' delivery items once; false when the job exists already. */
  async createJob(job: JobRecord): Promise<boolean> {
    const created = await this.state.putOnce(jobKey(job.id), jobItem(job), this.expiry());
    if (created) {
      await this.state.putOnce(
        { partition: JOBS_PARTITION, sort: job.id },
        { createdAt: job.createdAt },
        this.expiry(),
      );
    }
    return created;
  }

  async job(id: string): Promise<JobRecord | undefined> {
    const item = await this.state.get(jobKey(id));
    return item ? jobFromItem(id, item) : undefined;
  }

  changeJob<T>(id: string, change: (job: JobRecord | undefined) => Change<JobRecord, T>): Promise<T> {
    return versioned(this.state, jobKey(id), (item) => jobFromItem(id, item), jobItem, change);
  }

  /** Every job submitted in the retention period, newest last. */
  async jobIds(): Promise<string[]> {
    return (await this.state.list(JOBS_PARTITION)).map((entry) => entry.sort);
  }

  /** Creates a partition's delivery item naming the message that carries it (write-once per partition). */
  async createDelivery(jobId: string, partition: number, messageId: string): Promise<void> {
    const created = await this.state.putOnce(
      deliveryKey(jobId, partition),
      deliveryItem({ messageId, attempt: 0 }),
      this.expiry(),
    );
    // A retried submit re-sent the partition: the new message is the one that counts.
    if (!created)
      await this.changeDelivery(jobId, partition, (d) => ({
        next: d && { ...d, messageId },
        result: undefined,
      }));
  }

  async delivery(jobId: string, partition: number): Promise<DeliveryRecord | undefined> {
    const item = await this.state.get(deliveryKey(jobId, partition));
    return item ? deliveryFromItem(item) : undefined;
  }

  changeDelivery<T>(
    jobId: string,
    partition: number,
    change: (delivery: DeliveryRecord | undefined) => Change<DeliveryRecord, T>,
  ): Promise<T> {
    return versioned(this.state, deliveryKey(jobId, partition), deliveryFromItem, deliveryItem, change);
  }

  async deliveries(jobId: string): Promise<Map<number, DeliveryRecord>> {
    const entries = await this.state.list(`job#${jobId}`, 'p#');
    return new Map(entries.map((entry) => [Number(entry.sort.slice(2)), deliveryFromItem(entry.item)]));
  }

  async putNode(node: NodeRecord, scaleTime: number): Promise<void> {
    // TaScaaS forgets an infrastructure silent for 5 scale periods.
    const expiresAt = Math.floor(node.lastSeen / 1000) + 5 * scaleTime;
    await this.state.put(
      nodeKey(node.id),
      {
        slots: node.slots,
        maxSlots: node.maxSlots,
        lastSeen: node.lastSeen,
        disconnected: node.disconnected,
      },
      { expiresAt },
    );
  }

  async node(id: string): Promise<NodeRecord | undefined> {
    const item = await this.state.get(nodeKey(id));
    return item ? nodeFromItem(id, item) : undefined;
  }

  async nodes(): Promise<NodeRecord[]> {
    return (await this.state.list('nodes')).map((entry) => nodeFromItem(entry.sort, entry.item));
  }

  async putHold(node: string, hold: HoldRecord): Promise<void> {
    await this.state.put(
      holdKey(node, hold.jobId, hold.partition),
      {
        jobId: hold.jobId,
        partition: hold.partition,
        attempt: hold.attempt,
        definition: hold.definition,
        receipt: hold.receipt,
        active: hold.active,
      },
      this.expiry(),
    );
  }

  async holds(node: string): Promise<HoldRecord[]> {
    return (await this.state.list(`node#${node}`, 'hold#'))
      .map((entry) => ({
        jobId: text(entry.item, 'jobId'),
        partition: whole(entry.item, 'partition'),
        attempt: whole(entry.item, 'attempt'),
        definition: text(entry.item, 'definition'),
        receipt: text(entry.item, 'receipt'),
        active: entry.item.active === true,
      }))
      .filter((hold) => hold.active);
  }

  async dropHold(node: string, jobId: string, partition: number): Promise<void> {
    await this.state.set(holdKey(node, jobId, partition), { active: false }, { ifExists: true });
  }

  async capacity(): Promise<{ value: number; computedAt: number } | undefined> {
    const item = await this.state.get(CAPACITY_KEY);
    return item ? { value: whole(item, 'value'), computedAt: whole(item, 'computedAt') } : undefined;
  }

  async putCapacity(capacity: { value: number; computedAt: number }): Promise<void> {
    await this.state.put(CAPACITY_KEY, capacity);
  }
}
