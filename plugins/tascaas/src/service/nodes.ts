// TaScaaS's node API: infrastructures register, heartbeat, pull partitions for their free slots, give one back,
// disconnect; and the capacity hint they scale by.
import { randomUUID } from 'node:crypto';
import { QUEUE_LIMITS } from '@serverless-continuum/core/queue';
import { capacityHint, formatCapacity } from '../balancer';
import { claimMessage, extendLease, leaseSeconds, queueOf, storeOf, type Claim } from './deliveries';
import { verifyPartitionId } from './ids';
import type { Services } from './types';

export interface NodeResponse {
  status: number;
  /** A JSON answer, or plain text for an error. */
  json?: unknown;
  text?: string;
}

const error = (status: number, text: string): NodeResponse => ({ status, text });
const UNKNOWN = error(401, 'Unknown worker ID');

/** A whole-number query parameter (up to 9 digits) of at least `min`; undefined otherwise. */
export function wholeParameter(value: string | undefined, min: number): number | undefined {
  return value !== undefined && /^\d{1,9}$/.test(value) && Number(value) >= min ? Number(value) : undefined;
}

/** The share of all registered maxSlots the queued and running partitions need, recomputed once per scaleTime. */
export async function requiredCapacity(services: Services): Promise<number> {
  const store = storeOf(services);
  const now = services.now();
  const previous = await store.capacity();
  if (previous && now - previous.computedAt < services.scaleTime * 1000) return previous.value;
  let queued = 0;
  let running = 0;
  for (const id of await store.jobIds()) {
    const job = await store.job(id);
    if (job?.state !== 'RUNNING') continue;
    for (const partition of job.balance.partitions) {
      if (partition.phase === 'queued') queued++;
      else if (partition.phase === 'running') running++;
    }
  }
  const nodes = (await store.nodes()).filter((node) => !node.disconnected);
  const next = capacityHint(previous, { queued, running, nodes }, now, services.scaleTime);
  if (next !== previous) await store.putCapacity(next);
  return next.value;
}

export async function register(services: Services, query: Record<string, string>): Promise<NodeResponse> {
  if (query.secret === undefined || query.secret !== services.secret) return error(401, 'Unauthorized');
  const slots = wholeParameter(query.slots, 0);
  const maxSlots = wholeParameter(query.maxSlots, 1);
  if (slots === undefined) return error(400, 'missing or invalid query parameter slots (a whole number)');
  if (maxSlots === undefined)
    return error(400, 'missing or invalid query parameter maxSlots (a whole number >= 1)');
  const id = randomUUID();
  await storeOf(services).putNode(
    { id, slots, maxSlots, lastSeen: services.now(), disconnected: false },
    services.scaleTime,
  );
  services.log?.(`infrastructure ${id} registered: ${slots} slots, at most ${maxSlots}`);
  return { status: 200, json: { id, scaleTime: Math.round(services.scaleTime) } };
}

/** Every query except register names a node that registered and has not disconnected. */
async function knownNode(services: Services, id: string) {
  const node = await storeOf(services).node(id);
  return node && !node.disconnected ? node : undefined;
}

export async function update(
  services: Services,
  id: string,
  query: Record<string, string>,
): Promise<NodeResponse> {
  const store = storeOf(services);
  const node = await knownNode(services, id);
  if (!node) return UNKNOWN;
  const slots = query.slots === undefined ? node.slots : wholeParameter(query.slots, 0);
  const maxSlots = query.maxSlots === undefined ? node.maxSlots : wholeParameter(query.maxSlots, 1);
  if (slots === undefined || maxSlots === undefined)
    return error(400, 'invalid slots or maxSlots (whole numbers)');
  const now = services.now();
  await store.putNode({ ...node, slots, maxSlots, lastSeen: now }, services.scaleTime);
  // The heartbeat keeps every partition this infrastructure holds: worker.py has no other way to say it is alive.
  for (const hold of await store.holds(id)) {
    const delivery = await store.delivery(hold.jobId, hold.partition);
    const current = delivery && delivery.attempt === hold.attempt && delivery.result === undefined;
    const kept =
      current &&
      (await extendLease(queueOf(services, hold.definition), hold.receipt, leaseSeconds(services)));
    if (!kept) await store.dropHold(id, hold.jobId, hold.partition);
  }
  const requiredCap = formatCapacity(await requiredCapacity(services));
  return {
    status: 200,
    json: { requiredCap, scaleTime: Math.round(services.scaleTime), epoch: Math.floor(now / 1000) },
  };
}

export async function jobs(
  services: Services,
  id: string,
  query: Record<string, string>,
): Promise<NodeResponse> {
  const node = await knownNode(services, id);
  if (!node) return UNKNOWN;
  const slots = wholeParameter(query.slots, 1);
  if (slots === undefined)
    return error(400, 'missing or invalid query parameter slots (a whole number >= 1)');
  const claims = await claimUpTo(services, slots, id);
  const requiredCap = formatCapacity(await requiredCapacity(services));
  const store = storeOf(services);
  await Promise.all(
    claims.map((claim) =>
      store.putHold(id, {
        jobId: claim.lease.jobId,
        partition: claim.lease.partition,
        attempt: claim.attempt,
        definition: claim.definition,
        receipt: claim.receipt,
        active: true,
      }),
    ),
  );
  // TaScaaS leaves `configs` out when nothing is queued; worker.py then sleeps.
  return {
    status: 200,
    json: claims.length ? { requiredCap, configs: claims.map((c) => c.config) } : { requiredCap },
  };
}

/** Receives from each job definition's queue in turn until `slots` partitions are claimed or none is left. */
async function claimUpTo(services: Services, slots: number, holder: string): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const definition of Object.keys(services.definitions)) {
    const queue = queueOf(services, definition);
    while (claims.length < slots) {
      const messages = await queue.receive({
        max: Math.min(QUEUE_LIMITS.receiveMax, slots - claims.length),
        visibilityTimeout: leaseSeconds(services),
      });
      if (!messages.length) break;
      for (const message of messages) {
        const claim = await claimMessage(services, definition, message, holder);
        if (claim) claims.push(claim);
      }
    }
  }
  return claims;
}

/** The infrastructure gives a partition back (its program failed): it is delivered again now, as a new attempt. */
export async function release(
  services: Services,
  id: string,
  query: Record<string, string>,
): Promise<NodeResponse> {
  const node = await knownNode(services, id);
  if (!node) return UNKNOWN;
  const partition = wholeParameter(query.worker, 0);
  const parts =
    partition === undefined ? undefined : query.ID && verifyPartitionId(services.secret, query.ID, partition);
  if (partition === undefined || !parts) return error(401, 'Unauthorized');
  await releaseHeld(services, id, parts.jobId, partition, parts.attempt);
  return { status: 200, json: { released: true } };
}

async function releaseHeld(
  services: Services,
  node: string,
  jobId: string,
  partition: number,
  attempt: number,
) {
  const store = storeOf(services);
  const [job, delivery] = await Promise.all([store.job(jobId), store.delivery(jobId, partition)]);
  if (job && delivery && delivery.attempt === attempt && delivery.holder === node && delivery.receipt) {
    if (delivery.result === undefined)
      await extendLease(queueOf(services, job.definition), delivery.receipt, 0);
    services.log?.(`job ${jobId}: partition ${partition} attempt ${attempt} released by ${node}`);
  }
  await store.dropHold(node, jobId, partition);
}

export async function disconnect(services: Services, id: string): Promise<NodeResponse> {
  const store = storeOf(services);
  const node = await knownNode(services, id);
  if (!node) return UNKNOWN;
  await store.putNode({ ...node, disconnected: true }, services.scaleTime);
  for (const hold of await store.holds(id))
    await releaseHeld(services, id, hold.jobId, hold.partition, hold.attempt);
  services.log?.(`infrastructure ${id} disconnected`);
  return { status: 200, json: { id, disconnected: true } };
}
