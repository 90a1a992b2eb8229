// Test support: applies balancer events in order, checking after each that the input was left alone and the work is exact.
import assert from 'node:assert/strict';
import { applyEvent, type BalanceEvent, type BalanceOutcome, type JobBalance } from '../src/balancer';

/** done plus what unfinished partitions hold is exactly I; once stopped, no running partition holds anything. */
export function assertExact(state: JobBalance): void {
  if (state.partitions.some((p) => p.phase === 'failed')) return;
  let done = 0;
  let held = 0;
  for (const p of state.partitions) {
    assert.ok(
      Number.isInteger(p.assigned) && Number.isInteger(p.done),
      `partition ${p.index} counts are whole`,
    );
    assert.ok(p.done >= p.base, `partition ${p.index} done >= base`);
    done += p.done;
    if (p.phase === 'queued' || p.phase === 'running') held += Math.max(0, p.assigned - p.done);
  }
  if (state.stopped) {
    assert.ok(done >= state.iterations, 'stopped only once the total done reached I');
    for (const p of state.partitions) if (p.phase === 'running') assert.equal(p.assigned, p.done);
  } else {
    assert.equal(done + held, state.iterations, 'done + outstanding == I');
  }
}

export interface Driver {
  readonly state: JobBalance;
  /** Applies `event` at `seconds` (virtual clock) and keeps the new state. */
  at(seconds: number, event: BalanceEvent): BalanceOutcome;
}

export function drive(initial: JobBalance): Driver {
  let state = initial;
  return {
    get state() {
      return state;
    },
    at(seconds, event) {
      const before = JSON.stringify(state);
      const outcome = applyEvent(state, event, seconds * 1000);
      assert.equal(JSON.stringify(state), before, 'applyEvent never changes its input');
      assertExact(outcome.state);
      state = outcome.state;
      return outcome;
    },
  };
}

export const deliver = (partition: number, attempt = 1): BalanceEvent => ({
  kind: 'deliver',
  partition,
  attempt,
});
export const start = (partition: number, dt = 0): BalanceEvent => ({ kind: 'start', partition, dt });
export const report = (partition: number, nIter: number, dt: number, checkpoint?: boolean): BalanceEvent =>
  checkpoint === undefined
    ? { kind: 'report', partition, nIter, dt }
    : { kind: 'report', partition, nIter, dt, checkpoint };
export const finish = (partition: number, nIter: number, dt: number): BalanceEvent => ({
  kind: 'finish',
  partition,
  nIter,
  dt,
});

/** A small seeded PRNG (mulberry32): the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
