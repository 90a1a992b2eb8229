// The balancer: RUPER-LB's rules over one job's partitions, plus exactness (the work always sums to the job's iterations).
import { splitIterations } from './split';
import {
  LB_CODES,
  type BalanceAnswer,
  type BalanceEvent,
  type BalanceOutcome,
  type JobBalance,
  type PartitionBalance,
} from './types';

/** The ETA, in seconds, of a job no partition reports progress for. */
export const UNKNOWN_ETA = 1e12;

export interface NewJob {
  iterations: number;
  /** Seconds the job should take; <= 0 for an unbalanced job. */
  time: number;
  partitions: number;
  maxPartitions: number;
  /** Seconds between reports (reportIntervalFor), -1 for an unbalanced job. */
  reportInterval: number;
  now: number;
}

export function newJobBalance(job: NewJob): JobBalance {
  const balanced = job.time > 0;
  return {
    iterations: job.iterations,
    reportInterval: job.reportInterval,
    balanced,
    ...(balanced ? { deadline: job.now + job.time * 1000 } : {}),
    maxPartitions: job.maxPartitions,
    partitions: splitIterations(job.iterations, job.partitions).map((assigned, index) =>
      queuedPartition(index, assigned),
    ),
    stopped: false,
  };
}

/** The state after `event` at `now` (epoch ms) and what to answer; `state` itself is never changed. */
export function applyEvent(state: JobBalance, event: BalanceEvent, now: number): BalanceOutcome {
  const unchanged = (answer: BalanceAnswer): BalanceOutcome => ({ state, answer, added: [] });
  const refuse = (code: number) => unchanged({ ok: false, code });
  const current = state.partitions[event.partition];
  if (event.kind === 'fail') {
    if (current === undefined) return refuse(LB_CODES.workerOutOfRange);
    if (current.phase === 'failed') return unchanged(answerFor(state, current));
    const job = copyOf(state);
    job.partitions[event.partition] = { ...current, phase: 'failed' };
    return { state: job, answer: answerFor(job, current), added: [] };
  }
  // A failed partition fails its job: nothing is left to balance.
  if (state.partitions.some((p) => p.phase === 'failed')) return refuse(LB_CODES.taskAlreadyFinished);
  if (current === undefined) return refuse(LB_CODES.workerOutOfRange);
  if (current.phase === 'finished') {
    return event.kind === 'finish' ? unchanged(answerFor(state, current)) : refuse(LB_CODES.workerFinished);
  }

  const job = copyOf(state);
  const p = job.partitions[event.partition]!;
  const added: number[] = [];
  switch (event.kind) {
    case 'deliver': {
      if (!Number.isInteger(event.attempt) || event.attempt < 1) return refuse(LB_CODES.unexpectedFormat);
      if (event.attempt <= p.attempt) return unchanged(answerFor(state, current));
      deliver(p, event.attempt, now);
      break;
    }
    case 'start': {
      if (!validSeconds(event.dt)) return refuse(LB_CODES.unexpectedFormat);
      if (p.phase !== 'running') return refuse(LB_CODES.workerNotStarted);
      start(p, event.dt, now);
      break;
    }
    case 'report': {
      if (!validSeconds(event.dt) || !validCount(event.nIter)) return refuse(LB_CODES.unexpectedFormat);
      if (p.phase !== 'running' || p.startedAt === undefined || event.dt <= (p.lastDt ?? 0)) {
        // RUPER-LB answers "not started" to a report going back in time, so the client re-sends start.
        return refuse(LB_CODES.workerNotStarted);
      }
      measure(p, event.nIter, event.dt, now);
      if (event.checkpoint === true) p.secured = p.done;
      break;
    }
    case 'finish': {
      if (!validSeconds(event.dt) || !validCount(event.nIter)) return refuse(LB_CODES.unexpectedFormat);
      if (p.phase !== 'running' || p.startedAt === undefined) return refuse(LB_CODES.workerNotStarted);
      // The final count is what matters: a finish sent in the same second as the last report is not refused.
      p.done = p.base + event.nIter;
      p.lastDt = Math.max(p.lastDt ?? 0, event.dt);
      p.lastReportAt = now;
      p.measures += 1;
      p.phase = 'finished';
      p.assigned = p.done;
      break;
    }
  }

  if (job.balanced) {
    absorbSilent(job, now);
    if (event.kind === 'report' || event.kind === 'finish') balance(job, p, event.kind, now, added);
  }
  restoreExactness(job, now, added);
  return { state: job, answer: answerFor(job, p), added };
}

function queuedPartition(index: number, assigned: number): PartitionBalance {
  return { index, phase: 'queued', assigned, done: 0, base: 0, attempt: 0, speed: 0, measures: 0 };
}

function copyOf(state: JobBalance): JobBalance {
  return { ...state, partitions: state.partitions.map((p) => ({ ...p })) };
}

function validSeconds(dt: number): boolean {
  return Number.isFinite(dt) && dt >= 0;
}

function validCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function answerFor(job: JobBalance, p: PartitionBalance): BalanceAnswer {
  return {
    ok: true,
    assigned: Math.max(p.assigned, p.done) - p.base,
    eta: Math.floor(job.eta ?? UNKNOWN_ETA),
  };
}

function deliver(p: PartitionBalance, attempt: number, now: number): void {
  p.attempt = attempt;
  p.phase = 'running';
  // Work since the last checkpoint died with the old attempt; `assigned` stays, so it is outstanding again.
  p.base = p.secured ?? p.base;
  p.done = p.base;
  p.speed = 0;
  p.measures = 0;
  p.deliveredAt = now;
  delete p.startedAt;
  delete p.lastReportAt;
  delete p.lastDt;
}

function start(p: PartitionBalance, dt: number, now: number): void {
  // A second start of the same attempt is a program restarting (RUPER-LB): its count and speed stand.
  if (p.startedAt === undefined) p.speed = 0;
  p.startedAt = now - dt * 1000;
  p.lastReportAt = now;
  p.lastDt = dt;
  p.measures += 1;
}

function measure(p: PartitionBalance, nIter: number, dt: number, now: number): void {
  const absolute = p.base + nIter;
  const lastDt = p.lastDt ?? 0;
  const previousRelative = p.done - p.base;
  if (absolute > p.done) {
    p.speed = (absolute - p.done) / (dt - lastDt);
  } else if (p.speed > 0 && previousRelative > 0 && lastDt > 0) {
    // No progress since the last measure: the previous speed was optimistic (RUPER-LB's guessWorker correction).
    p.speed = p.speed * (nIter / dt / (previousRelative / lastDt));
  }
  p.done = absolute;
  p.measures += 1;
  p.lastReportAt = now;
  p.lastDt = dt;
}

type Role = 'active' | 'reserved' | 'silent' | 'closed';

/**
 * active: running and reporting with a speed (takes part in the split); silent: no word for 2 x reportInterval
 * (its work goes to others); reserved: queued, or running without a speed yet (keeps what it has); closed: finished/failed.
 */
function roleOf(job: JobBalance, p: PartitionBalance, now: number): Role {
  if (p.phase === 'finished' || p.phase === 'failed') return 'closed';
  if (p.phase === 'queued') return 'reserved';
  const heardAt = p.lastReportAt ?? p.deliveredAt;
  if (job.reportInterval > 0 && heardAt !== undefined && now - heardAt > 2 * job.reportInterval * 1000) {
    return 'silent';
  }
  return p.startedAt !== undefined && p.speed > 0 ? 'active' : 'reserved';
}

function outstanding(p: PartitionBalance): number {
  return Math.max(0, p.assigned - p.done);
}

function absorbSilent(job: JobBalance, now: number): void {
  for (const p of job.partitions) if (roleOf(job, p, now) === 'silent') p.assigned = p.done;
}

function fastest(partitions: PartitionBalance[]): PartitionBalance | undefined {
  return partitions.reduce<PartitionBalance | undefined>(
    (best, p) => (best === undefined || p.speed > best.speed ? p : best),
    undefined,
  );
}

/** The ETA from the active speeds, then RUPER-LB's rebalance (report with > 2 measures, or finish) and growth. */
function balance(
  job: JobBalance,
  p: PartitionBalance,
  kind: 'report' | 'finish',
  now: number,
  added: number[],
): void {
  const totalDone = job.partitions.reduce((sum, q) => sum + q.done, 0);
  if (totalDone >= job.iterations) return; // restoreExactness stops everyone
  const active = job.partitions.filter((q) => roleOf(job, q, now) === 'active');
  const isActive = new Set(active);
  const speed = active.reduce((sum, q) => sum + q.speed, 0);
  const predicted = job.partitions.reduce((sum, q) => {
    const elapsed = isActive.has(q) ? (now - (q.lastReportAt ?? now)) / 1000 : 0;
    return sum + q.done + q.speed * elapsed;
  }, 0);
  const eta =
    predicted >= job.iterations ? 0 : speed > 0 ? (job.iterations - predicted) / speed : UNKNOWN_ETA;
  job.eta = Math.floor(eta);
  if (kind === 'report' && p.measures <= 2) return;
  // RUPER-LB leaves a job alone in its last stretch: less than half the silence threshold away from the end.
  if (eta < job.reportInterval || active.length === 0) return;
  redistribute(job, active, [], 0, now);
  if (kind === 'report') grow(job, active, speed / active.length, eta, now, added);
}

/**
 * Splits what no reserved partition holds over the active partitions (and newcomers at `newcomerSpeed`) in
 * proportion to speed, at least n each (RUPER-LB's floor), summing exactly to that pool.
 */
function redistribute(
  job: JobBalance,
  active: PartitionBalance[],
  newcomers: PartitionBalance[],
  newcomerSpeed: number,
  now: number,
): void {
  const takers = [...active, ...newcomers];
  const isNewcomer = new Set(newcomers);
  const speedOf = (q: PartitionBalance) => (isNewcomer.has(q) ? newcomerSpeed : q.speed);
  const totalSpeed = takers.reduce((sum, q) => sum + speedOf(q), 0);
  let held = 0;
  let totalDone = 0;
  for (const q of job.partitions) {
    totalDone += q.done;
    if (roleOf(job, q, now) === 'reserved') held += outstanding(q);
  }
  const pool = Math.max(0, job.iterations - totalDone - held);
  const n = job.partitions.length;
  const shares = takers.map((q) => Math.max(n, Math.floor((pool * speedOf(q)) / totalSpeed)));
  const left = pool - shares.reduce((sum, s) => sum + s, 0);
  if (left > 0) shares[takers.indexOf(fastest(active)!)]! += left;
  else if (left < 0) takeBack(shares, -left);
  takers.forEach((q, i) => (q.assigned = q.done + shares[i]!));
}

/** Lowers the largest amounts first (never below 0) until `excess` is taken. */
function takeBack(amounts: number[], excess: number): void {
  const order = amounts.map((_, i) => i).sort((a, b) => amounts[b]! - amounts[a]! || a - b);
  for (const i of order) {
    if (excess <= 0) break;
    const take = Math.min(excess, amounts[i]!);
    amounts[i]! -= take;
    excess -= take;
  }
}

/**
 * TaScaaS's deadline growth: once every unfinished partition has reported a few times and the ETA still
 * passes the deadline, add floor((eta / timeLeft - 1) * n) + 1 partitions (up to maxPartitions), each
 * reserving the share a partition of the mean active speed would get.
 */
function grow(
  job: JobBalance,
  active: PartitionBalance[],
  meanSpeed: number,
  eta: number,
  now: number,
  added: number[],
): void {
  if (job.deadline === undefined) return;
  const room = job.maxPartitions - job.partitions.length;
  if (room <= 0) return;
  const settled = job.partitions.every(
    (q) => q.phase === 'finished' || (q.phase === 'running' && q.startedAt !== undefined && q.measures > 2),
  );
  const timeLeft = (job.deadline - now) / 1000;
  if (!settled || eta <= timeLeft) return;
  const n = job.partitions.length;
  const count = timeLeft <= 0 ? room : Math.min(room, Math.floor((eta / timeLeft - 1) * n) + 1);
  const newcomers: PartitionBalance[] = [];
  for (let i = 0; i < count; i++) {
    const q = queuedPartition(job.partitions.length, 0);
    job.partitions.push(q);
    newcomers.push(q);
    added.push(q.index);
  }
  redistribute(job, active, newcomers, meanSpeed, now);
}

/**
 * After every event: done plus what unfinished partitions still hold is exactly the job's iterations.
 * Freed work goes to the partition likeliest to do it soonest; a job with nobody left gets a new partition.
 */
function restoreExactness(job: JobBalance, now: number, added: number[]): void {
  if (job.partitions.some((p) => p.phase === 'failed')) return;
  const unfinished = job.partitions.filter((p) => p.phase === 'queued' || p.phase === 'running');
  const totalDone = job.partitions.reduce((sum, p) => sum + p.done, 0);
  job.stopped = totalDone >= job.iterations;
  if (job.stopped) {
    for (const p of unfinished) p.assigned = p.done;
    job.eta = 0;
    return;
  }
  const gap = job.iterations - totalDone - unfinished.reduce((sum, p) => sum + outstanding(p), 0);
  if (gap > 0) {
    const taker = recipientOf(job, unfinished, now) ?? addPartition(job, added);
    taker.assigned = Math.max(taker.assigned, taker.done) + gap;
  } else if (gap < 0) {
    const amounts = unfinished.map(outstanding);
    takeBack(amounts, -gap);
    unfinished.forEach((p, i) => {
      if (outstanding(p) > amounts[i]!) p.assigned = p.done + amounts[i]!;
    });
  }
}

function recipientOf(
  job: JobBalance,
  unfinished: PartitionBalance[],
  now: number,
): PartitionBalance | undefined {
  const queued = unfinished.find((p) => p.phase === 'queued');
  // An unbalanced job's programs never report, so a running one would never hear of more work.
  if (!job.balanced) return queued;
  const roles = unfinished.map((p) => roleOf(job, p, now));
  return (
    fastest(unfinished.filter((_, i) => roles[i] === 'active')) ??
    unfinished.find((p, i) => p.phase === 'running' && roles[i] === 'reserved') ??
    queued
  );
}

function addPartition(job: JobBalance, added: number[]): PartitionBalance {
  // Past maxPartitions if need be: every iteration done beats the cap.
  const p = queuedPartition(job.partitions.length, 0);
  job.partitions.push(p);
  added.push(p.index);
  return p;
}
