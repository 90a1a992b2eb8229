import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, newJobBalance, type BalanceEvent, type JobBalance } from '../src/balancer';
import { assertExact } from './balance-driver';

/** Iterations a program does in virtual second t. */
type Rate = (t: number) => number;

interface Program {
  index: number;
  rate: Rate;
  startedAt: number;
  count: number;
  /** What the balancer last told it to reach (attempt-relative). */
  target: number;
  finishedAt?: number;
}

interface Simulation {
  iterations: number;
  /** Seconds; <= 0 runs the job unbalanced. */
  time: number;
  reportInterval: number;
  maxPartitions?: number;
  rates: Rate[];
  /** The rate of a partition the balancer adds. */
  newcomerRate?: Rate;
}

/**
 * Runs the job on a virtual clock: every program starts a second after the previous one, does its rate each
 * second up to what it was assigned, reports every reportInterval (balanced jobs only) and obeys the answer,
 * finishing when it reaches its assignment. Partitions the balancer adds start the second after.
 */
function simulate(sim: Simulation) {
  const balanced = sim.time > 0;
  let state: JobBalance = newJobBalance({
    iterations: sim.iterations,
    time: sim.time,
    partitions: sim.rates.length,
    maxPartitions: sim.maxPartitions ?? sim.rates.length,
    reportInterval: balanced ? sim.reportInterval : -1,
    now: 0,
  });
  const programs: Program[] = [];
  const waiting: { index: number; rate: Rate; from: number }[] = sim.rates.map((rate, index) => ({
    index,
    rate,
    from: index,
  }));
  const apply = (t: number, event: BalanceEvent) => {
    const outcome = applyEvent(state, event, t * 1000);
    assertExact(outcome.state);
    state = outcome.state;
    for (const index of outcome.added)
      waiting.push({ index, rate: sim.newcomerRate ?? (() => 1), from: t + 1 });
    assert.ok(outcome.answer.ok, `${event.kind} of partition ${event.partition} at ${t} s refused`);
    return outcome.answer.assigned;
  };
  const finish = (t: number, program: Program) => {
    apply(t, { kind: 'finish', partition: program.index, nIter: program.count, dt: t - program.startedAt });
    program.finishedAt = t;
  };

  for (let t = 0; t < 100_000; t++) {
    for (const launch of waiting.filter((w) => w.from <= t)) {
      waiting.splice(waiting.indexOf(launch), 1);
      apply(t, { kind: 'deliver', partition: launch.index, attempt: 1 });
      const target = apply(t, { kind: 'start', partition: launch.index, dt: 0 });
      programs.push({ index: launch.index, rate: launch.rate, startedAt: t, count: 0, target });
    }
    for (const program of programs) {
      const dt = t - program.startedAt;
      if (program.finishedAt !== undefined || dt === 0) continue;
      program.count += Math.min(program.rate(t), program.target - program.count);
      if (program.count >= program.target) {
        finish(t, program);
      } else if (balanced && dt % sim.reportInterval === 0) {
        program.target = apply(t, { kind: 'report', partition: program.index, nIter: program.count, dt });
        if (program.count >= program.target) finish(t, program);
      }
    }
    if (waiting.length === 0 && programs.every((p) => p.finishedAt !== undefined)) break;
  }

  const finishedAt = programs.map((p) => p.finishedAt ?? Infinity);
  return {
    state,
    finishedAt,
    spread: Math.max(...finishedAt) - Math.min(...finishedAt),
    end: Math.max(...finishedAt),
    done: state.partitions.reduce((sum, p) => sum + p.done, 0),
  };
}

// 1x = 10 iterations a second
const steady = (rate: number) => () => rate;
const rates = [steady(10), steady(20), steady(5), (t: number) => (t < 800 ? 10 : 30)];

describe('balancer simulation (virtual clock)', () => {
  test('partitions at 1x, 2x, 0.5x and 1x-then-3x finish within one report interval of each other', () => {
    const run = simulate({ iterations: 100_000, time: 10_000, reportInterval: 10, rates });
    assert.equal(run.done, 100_000);
    assert.ok(
      run.state.partitions.every((p) => p.phase === 'finished'),
      'every partition finished',
    );
    assert.equal(run.state.partitions.length, 4, 'no partition was added');
    assert.ok(run.spread <= 10, `finished ${run.spread} s apart: ${run.finishedAt.join(', ')}`);
    // 100000 at 45/s, then 65/s from 800 s: 36000 by 800 s, the rest in ~985 s
    assert.ok(run.end < 1800, `ended at ${run.end} s`);
  });

  test('the same job unbalanced finishes far apart (and still exactly)', () => {
    const run = simulate({ iterations: 100_000, time: 0, reportInterval: 10, rates });
    assert.equal(run.done, 100_000);
    // 25000 each: 2x ends at 1251 s, 0.5x at 5002 s
    assert.ok(run.spread > 3000, `finished ${run.spread} s apart`);
    assert.ok(run.end > 5000);
  });

  test('a deadline too short for the partitions grows the job up to maxPartitions, still exactly', () => {
    const run = simulate({
      iterations: 100_000,
      time: 600,
      reportInterval: 10,
      maxPartitions: 8,
      rates,
      newcomerRate: steady(10),
    });
    assert.equal(run.done, 100_000);
    assert.ok(run.state.partitions.length > 4 && run.state.partitions.length <= 8);
    assert.ok(run.end < 1700, `ended at ${run.end} s`);
  });
});
