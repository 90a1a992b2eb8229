import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, LB_CODES, newJobBalance, UNKNOWN_ETA, type JobBalance } from '../src/balancer';
import { deliver, drive, finish, report, seeded, start } from './balance-driver';

function balancedJob(
  iterations: number,
  partitions: number,
  extra: Partial<Parameters<typeof newJobBalance>[0]> = {},
) {
  return newJobBalance({
    iterations,
    time: 1000,
    partitions,
    maxPartitions: partitions,
    reportInterval: 10,
    now: 0,
    ...extra,
  });
}

/** Delivers and starts every partition at t=0 (dt 0). */
function running(state: JobBalance) {
  const run = drive(state);
  for (const p of state.partitions) run.at(0, deliver(p.index));
  for (const p of state.partitions) run.at(0, start(p.index));
  return run;
}

const assignedOf = (state: JobBalance) => state.partitions.map((p) => p.assigned);

describe('newJobBalance', () => {
  test('queues the partitions with the first split and a deadline for a balanced job', () => {
    const state = newJobBalance({
      iterations: 10,
      time: 100,
      partitions: 3,
      maxPartitions: 5,
      reportInterval: 20,
      now: 5000,
    });
    assert.equal(state.balanced, true);
    assert.equal(state.deadline, 105_000);
    assert.equal(state.stopped, false);
    assert.deepEqual(
      state.partitions.map((p) => [p.index, p.phase, p.assigned, p.done, p.base, p.attempt]),
      [
        [0, 'queued', 4, 0, 0, 0],
        [1, 'queued', 3, 0, 0, 0],
        [2, 'queued', 3, 0, 0, 0],
      ],
    );
  });

  test('makes a job with time <= 0 unbalanced, without a deadline', () => {
    const state = newJobBalance({
      iterations: 10,
      time: 0,
      partitions: 2,
      maxPartitions: 2,
      reportInterval: -1,
      now: 0,
    });
    assert.equal(state.balanced, false);
    assert.equal(state.deadline, undefined);
  });
});

describe('deliver', () => {
  test('runs the partition and answers what its attempt must do', () => {
    const run = drive(balancedJob(10, 2));
    const outcome = run.at(0, deliver(1));
    assert.deepEqual(outcome.answer, { ok: true, assigned: 5, eta: UNKNOWN_ETA });
    assert.equal(run.state.partitions[1]!.phase, 'running');
    assert.equal(run.state.partitions[1]!.attempt, 1);
  });

  test('a duplicate delivery (attempt not newer) changes nothing', () => {
    const run = drive(balancedJob(10, 2));
    run.at(0, deliver(0, 2));
    const before = run.state;
    const outcome = run.at(1, deliver(0, 2));
    assert.equal(outcome.state, before);
    assert.equal(run.at(1, deliver(0, 1)).state, before);
  });
});

describe('refusals (RUPER-LB codes)', () => {
  test('a partition out of range answers 3', () => {
    const run = running(balancedJob(10, 2));
    for (const event of [start(2), report(5, 1, 1), finish(2, 1, 1), deliver(-1)]) {
      assert.deepEqual(run.at(1, event).answer, { ok: false, code: LB_CODES.workerOutOfRange });
    }
  });

  test('a report or start of a partition never delivered answers 5', () => {
    const run = drive(balancedJob(10, 2));
    assert.deepEqual(run.at(1, start(0)).answer, { ok: false, code: 5 });
    assert.deepEqual(run.at(1, report(0, 1, 1)).answer, { ok: false, code: 5 });
  });

  test('a report before start answers 5', () => {
    const run = drive(balancedJob(10, 2));
    run.at(0, deliver(0));
    assert.deepEqual(run.at(1, report(0, 1, 1)).answer, { ok: false, code: 5 });
    assert.deepEqual(run.at(1, finish(0, 1, 1)).answer, { ok: false, code: 5 });
  });

  test('a report whose dt does not move forward answers 5 (the client re-sends start)', () => {
    const run = running(balancedJob(100, 2));
    run.at(5, report(0, 10, 5));
    const before = run.state;
    assert.deepEqual(run.at(6, report(0, 12, 4)).answer, { ok: false, code: 5 });
    assert.deepEqual(run.at(6, report(0, 12, 5)).answer, { ok: false, code: 5 });
    assert.equal(run.state, before);
  });

  test('a start or report of a finished partition answers 12', () => {
    const run = running(balancedJob(100, 2));
    run.at(5, finish(0, 50, 5));
    assert.deepEqual(run.at(6, start(0)).answer, { ok: false, code: LB_CODES.workerFinished });
    assert.deepEqual(run.at(6, report(0, 50, 6)).answer, { ok: false, code: LB_CODES.workerFinished });
  });

  test('a failed partition fails the job: later events answer 26', () => {
    const run = running(balancedJob(100, 2));
    const failed = run.at(5, { kind: 'fail', partition: 1 });
    assert.equal(failed.state.partitions[1]!.phase, 'failed');
    assert.deepEqual(run.at(6, report(0, 10, 6)).answer, { ok: false, code: LB_CODES.taskAlreadyFinished });
    assert.equal(
      run.at(7, { kind: 'fail', partition: 1 }).state,
      failed.state,
      'a second fail changes nothing',
    );
  });
});

describe('start', () => {
  test('answers the attempt-relative assignment and records the program clock', () => {
    const run = drive(balancedJob(100, 2));
    run.at(0, deliver(0));
    const outcome = run.at(10, start(0, 2.5));
    assert.deepEqual(outcome.answer, { ok: true, assigned: 50, eta: UNKNOWN_ETA });
    const p = run.state.partitions[0]!;
    assert.deepEqual([p.startedAt, p.lastReportAt, p.lastDt, p.measures, p.speed], [7500, 10_000, 2.5, 1, 0]);
  });

  test('a start of a started attempt is a resume: done and speed are kept', () => {
    const run = running(balancedJob(1000, 1));
    run.at(5, report(0, 50, 5)); // 50 in 5 s: 10/s
    run.at(6, start(0, 0)); // the program crashed and came back
    const p = run.state.partitions[0]!;
    assert.deepEqual([p.done, p.speed, p.measures, p.lastDt, p.startedAt], [50, 10, 3, 0, 6000]);
    // its next report counts from the resumed clock: (60 - 50) / (2 - 0) = 5/s
    run.at(8, report(0, 60, 2));
    assert.equal(run.state.partitions[0]!.speed, 5);
  });
});

describe('report', () => {
  test('two partitions at 100/s and 300/s split the pool 1:3 once they have 3 measures', () => {
    const run = running(balancedJob(100_000, 2));
    run.at(10, report(0, 1000, 10)); // 1000 / 10 s = 100/s
    run.at(10, report(1, 3000, 10)); // 3000 / 10 s = 300/s
    assert.deepEqual(assignedOf(run.state), [50_000, 50_000], 'no rebalance before a 3rd measure');

    // p0's 3rd measure at t=20: done 2000 + 3000 = 5000; p1 predicted 3000 + 300 x 10 = 6000, so
    // eta = (100000 - 8000) / 400 = 230 s >= 10; pool = 100000 - 5000 = 95000:
    // p0 2000 + 95000 x 100/400 = 25750, p1 3000 + 95000 x 300/400 = 74250
    const first = run.at(20, report(0, 2000, 20));
    assert.deepEqual(first.answer, { ok: true, assigned: 25_750, eta: 230 });
    assert.deepEqual(assignedOf(run.state), [25_750, 74_250]);

    // p1's 3rd measure at t=20: done 2000 + 6000 = 8000, eta = 92000 / 400 = 230, pool 92000:
    // p0 2000 + 23000 = 25000, p1 6000 + 69000 = 75000
    const second = run.at(20, report(1, 6000, 20));
    assert.deepEqual(second.answer, { ok: true, assigned: 75_000, eta: 230 });
    assert.deepEqual(assignedOf(run.state), [25_000, 75_000]);
    const [p0, p1] = run.state.partitions;
    assert.equal((p1!.assigned - p1!.done) / (p0!.assigned - p0!.done), 3);
  });

  test("a silent partition's outstanding work goes to the others", () => {
    const run = running(balancedJob(30_000, 3));
    run.at(10, report(0, 1000, 10));
    run.at(10, report(1, 1000, 10));
    // p2 last heard at t=0: at t=25 that is more than 2 x 10 s, so it is silent and holds only its done (0).
    // p0: (2500 - 1000) / 15 = 100/s, p1 100/s; done 3500, predicted 2500 + 1000 + 100 x 15 = 5000,
    // eta = 25000 / 200 = 125 s; pool = 30000 - 3500 = 26500, 13250 each:
    // p0 2500 + 13250 = 15750, p1 1000 + 13250 = 14250
    const outcome = run.at(25, report(0, 2500, 25));
    assert.deepEqual(assignedOf(run.state), [15_750, 14_250, 0]);
    assert.deepEqual(outcome.answer, { ok: true, assigned: 15_750, eta: 125 });
  });

  test('a silent partition is absorbed even without a rebalance', () => {
    const run = running(balancedJob(300, 3));
    run.at(5, report(0, 10, 5)); // 2nd measure: no rebalance yet
    // at t=21 p1 and p2 (last heard t=0) are silent: their 100 + 100 go to p0, the only active partition
    run.at(21, report(0, 20, 21));
    assert.deepEqual(assignedOf(run.state), [300, 0, 0]);
  });

  test('a partition delivered but not started within 2 x reportInterval keeps its share', () => {
    const run = drive(balancedJob(300, 3));
    for (const i of [0, 1, 2]) run.at(0, deliver(i));
    run.at(0, start(0));
    run.at(0, start(1));
    run.at(5, report(0, 50, 5));
    run.at(10, report(0, 100, 10));
    assert.equal(run.state.partitions[2]!.assigned, 100);
    run.at(21, report(0, 150, 21)); // p2 delivered at 0, silent since 20
    assert.equal(run.state.partitions[2]!.assigned, 0);
  });

  test('a report with no progress corrects the optimistic speed (RUPER-LB guessWorker)', () => {
    const run = running(balancedJob(1000, 1));
    run.at(1, report(0, 100, 1)); // 100/s
    // still 100 at dt 2: 100 x ((100 / 2) / (100 / 1)) = 50/s
    run.at(2, report(0, 100, 2));
    assert.equal(run.state.partitions[0]!.speed, 50);
    // fewer than before: done goes down to 90 and the speed scales again by (90 / 3) / (100 / 2) = 0.6
    run.at(3, report(0, 90, 3));
    assert.equal(run.state.partitions[0]!.done, 90);
    assert.equal(run.state.partitions[0]!.speed, 30);
  });

  test('a checkpointed report secures its count; the next delivery resumes from it (base)', () => {
    const run = running(balancedJob(100, 1));
    run.at(5, report(0, 30, 5, true));
    // the attempt keeps counting from its own 0: 45 is 45 absolute, base moves only with the next delivery
    run.at(10, report(0, 45, 10));
    const before = run.state.partitions[0]!;
    assert.deepEqual([before.base, before.secured, before.done], [0, 30, 45]);

    // the attempt is lost: the 15 after the checkpoint died with it
    const redelivered = run.at(60, deliver(0, 2));
    const p = run.state.partitions[0]!;
    assert.deepEqual([p.attempt, p.base, p.done, p.assigned], [2, 30, 30, 100]);
    assert.equal(redelivered.answer.ok && redelivered.answer.assigned, 70);
    assert.equal(run.at(61, start(0)).answer.ok && run.state.partitions[0]!.done, 30);
    // attempt-relative counts: 10 more is 40 absolute
    const reported = run.at(66, report(0, 10, 5));
    assert.equal(run.state.partitions[0]!.done, 40);
    assert.equal(reported.answer.ok && reported.answer.assigned, 70);
  });

  test('when the total done reaches I every running partition is told to stop', () => {
    const run = running(balancedJob(100, 2));
    // p0 overshoots its 50 and does 100: the job is done
    const outcome = run.at(5, report(0, 100, 5));
    assert.equal(run.state.stopped, true);
    assert.deepEqual(assignedOf(run.state), [100, 0]);
    assert.deepEqual(outcome.answer, { ok: true, assigned: 100, eta: 0 });
    // p1 did 5 meanwhile: it is answered its own count, so it stops now (the 5 count as reported)
    const late = run.at(6, report(1, 5, 6));
    assert.deepEqual(late.answer, { ok: true, assigned: 5, eta: 0 });
    assert.equal(run.state.partitions[1]!.assigned, 5);
  });

  test('an unbalanced job keeps its split whatever the speeds', () => {
    const run = running(
      newJobBalance({
        iterations: 100,
        time: 0,
        partitions: 2,
        maxPartitions: 2,
        reportInterval: -1,
        now: 0,
      }),
    );
    for (let t = 1; t <= 5; t++) {
      run.at(t, report(0, t, t));
      run.at(t, report(1, 10 * t, t));
    }
    assert.deepEqual(assignedOf(run.state), [50, 50]);
    assert.equal(run.state.eta, undefined);
  });
});

describe('finish', () => {
  test('a second finish changes nothing', () => {
    const run = running(balancedJob(100, 2));
    const first = run.at(5, finish(0, 50, 5));
    assert.equal(run.state.partitions[0]!.phase, 'finished');
    const second = run.at(6, finish(0, 20, 6));
    assert.equal(second.state, first.state);
    assert.deepEqual(second.answer, first.answer);
  });

  test('a shortfall goes to a running partition of a balanced job', () => {
    const run = running(balancedJob(100, 2, { reportInterval: 20 }));
    run.at(1, report(1, 10, 1)); // 10/s
    // p0 does 30 of its 50: done 40, predicted 30 + 10 + 10 x 1 = 50, eta = 50 / 10 = 5 s < 20 (no rebalance);
    // the 20 left go to p1: 50 + 20 = 70
    const outcome = run.at(2, finish(0, 30, 2));
    assert.deepEqual(outcome.added, []);
    assert.deepEqual(assignedOf(run.state), [30, 70]);
  });

  test('a shortfall at the last finish adds a partition', () => {
    const run = running(
      newJobBalance({
        iterations: 100,
        time: 0,
        partitions: 2,
        maxPartitions: 2,
        reportInterval: -1,
        now: 0,
      }),
    );
    assert.deepEqual(run.at(5, finish(0, 50, 5)).added, []);
    const last = run.at(6, finish(1, 40, 6));
    assert.deepEqual(last.added, [2]);
    const added = run.state.partitions[2]!;
    assert.deepEqual([added.phase, added.assigned, added.done], ['queued', 10, 0]);
    run.at(7, deliver(2));
    assert.deepEqual(run.at(8, start(2)).answer, { ok: true, assigned: 10, eta: UNKNOWN_ETA });
    assert.deepEqual(run.at(9, finish(2, 10, 1)).added, []);
    assert.equal(
      run.state.partitions.reduce((sum, p) => sum + p.done, 0),
      100,
    );
  });

  test('an overshoot at finish is taken back from the others', () => {
    const run = running(
      newJobBalance({
        iterations: 100,
        time: 0,
        partitions: 2,
        maxPartitions: 2,
        reportInterval: -1,
        now: 0,
      }),
    );
    run.at(5, finish(0, 60, 5));
    assert.deepEqual(assignedOf(run.state), [60, 40]);
  });
});

describe('deadline growth', () => {
  const growing = (maxPartitions: number) =>
    running(
      newJobBalance({
        iterations: 2800,
        time: 100,
        partitions: 2,
        maxPartitions,
        reportInterval: 10,
        now: 0,
      }),
    );

  test('adds floor((eta / timeLeft - 1) x n) + 1 partitions with a fair share once every partition has 3 measures', () => {
    const run = growing(10);
    run.at(10, report(0, 100, 10));
    run.at(10, report(1, 100, 10)); // both 10/s
    assert.deepEqual(run.at(20, report(0, 200, 20)).added, [], 'p1 has only 2 measures');
    // p1's 3rd: done 400, eta = 2400 / 20 = 120 s > timeLeft = 80 s: floor((120/80 - 1) x 2) + 1 = 2 partitions;
    // at the mean speed (10/s) the pool of 2400 splits over 4 equal partitions: 600 each
    const outcome = run.at(20, report(1, 200, 20));
    assert.deepEqual(outcome.added, [2, 3]);
    assert.deepEqual(assignedOf(run.state), [800, 800, 600, 600]);
    assert.deepEqual(
      run.state.partitions.slice(2).map((p) => p.phase),
      ['queued', 'queued'],
    );
    assert.deepEqual(outcome.answer, { ok: true, assigned: 800, eta: 120 });
    // nothing more grows until the new partitions report
    assert.deepEqual(run.at(30, report(0, 300, 30)).added, []);
  });

  test('stops at maxPartitions however slow the reports are', () => {
    const cap = 3;
    const run = growing(cap);
    const clocks = new Map<number, number>([
      [0, 0],
      [1, 0],
    ]);
    for (let t = 10; t <= 300; t += 10) {
      for (const [index, startedAt] of [...clocks]) {
        const dt = t - startedAt;
        const outcome = run.at(t, report(index, dt, dt)); // 1/s: far too slow for the deadline
        for (const added of outcome.added) {
          run.at(t, deliver(added));
          run.at(t, start(added));
          clocks.set(added, t);
        }
        assert.ok(run.state.partitions.length <= cap);
      }
    }
    assert.equal(run.state.partitions.length, cap);
  });

  test('past the deadline adds up to the cap at once', () => {
    const run = running(
      newJobBalance({
        iterations: 2800,
        time: 15,
        partitions: 2,
        maxPartitions: 5,
        reportInterval: 5,
        now: 0,
      }),
    );
    run.at(10, report(0, 100, 10));
    run.at(10, report(1, 100, 10));
    run.at(20, report(0, 200, 20));
    assert.deepEqual(run.at(20, report(1, 200, 20)).added, [2, 3, 4]);
  });
});

describe('exactness', () => {
  test('done + outstanding == I after every event of a random sequence', () => {
    const random = seeded(13);
    const int = (n: number) => Math.floor(random() * n);
    const seen = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const balanced = round % 4 !== 3;
      const run = drive(
        newJobBalance({
          iterations: 1000 + int(5000),
          time: balanced ? 100 + int(200) : 0,
          partitions: 1 + int(6),
          maxPartitions: 8,
          reportInterval: balanced ? 1 + int(6) : -1,
          now: 0,
        }),
      );
      const programs = new Map<number, { startedAt: number; count: number }>();
      let t = 0;
      for (let step = 0; step < 400; step++) {
        t += int(4);
        const index = int(run.state.partitions.length + 1); // now and then out of range
        const p = run.state.partitions[index];
        const program = programs.get(index);
        const roll = random();
        const dt = program ? t - program.startedAt + (random() < 0.1 ? -int(3) : 0) : int(3);
        const nIter = Math.max(0, (program?.count ?? 0) + int(300) - (random() < 0.15 ? int(400) : 0));
        let outcome;
        const kind = roll < 0.1 ? 'deliver' : roll < 0.25 ? 'start' : roll < 0.88 ? 'report' : 'finish';
        if (roll < 0.1) {
          outcome = run.at(t, deliver(index, (p?.attempt ?? 0) + (random() < 0.2 ? 0 : 1)));
          programs.delete(index);
        } else if (roll < 0.25) {
          outcome = run.at(t, start(index, program ? dt : 0));
          if (outcome.answer.ok)
            programs.set(index, { startedAt: t - (program ? dt : 0), count: program?.count ?? 0 });
        } else if (roll < 0.88) {
          outcome = run.at(t, report(index, nIter, dt, random() < 0.2));
          if (outcome.answer.ok && program) program.count = nIter;
        } else {
          outcome = run.at(t, finish(index, p ? Math.max(0, p.assigned - p.base - int(50)) : 0, dt));
        }
        if (outcome.answer.ok)
          assert.ok(outcome.answer.assigned >= 0 && Number.isInteger(outcome.answer.assigned));
        for (const added of outcome.added) assert.equal(run.state.partitions[added]!.phase, 'queued');
        seen.add(outcome.answer.ok ? `${kind} ok` : `code ${outcome.answer.code}`);
        if (outcome.added.length) seen.add(balanced ? 'added (balanced)' : 'added (unbalanced)');
        if (outcome.state.stopped) seen.add('stopped');
      }
    }
    // the sequence reached every rule it is meant to check
    for (const expected of [
      'deliver ok',
      'start ok',
      'report ok',
      'finish ok',
      'code 3',
      'code 5',
      'code 12',
    ]) {
      assert.ok(seen.has(expected), expected);
    }
    for (const expected of ['added (balanced)', 'added (unbalanced)', 'stopped'])
      assert.ok(seen.has(expected), expected);
  });

  test('a delivery to a stopped job makes the lost work outstanding again', () => {
    const run = running(balancedJob(100, 2));
    run.at(5, report(0, 60, 5));
    run.at(5, report(1, 40, 5));
    assert.equal(run.state.stopped, true);
    run.at(50, deliver(1, 2)); // p1's 40 died with its attempt (no checkpoint)
    assert.equal(run.state.stopped, false);
    assert.deepEqual(
      run.state.partitions.map((p) => [p.done, p.assigned]),
      [
        [60, 60],
        [0, 40],
      ],
    );
  });

  test('is fast for a few hundred partitions', () => {
    let state = running(balancedJob(1_000_000, 300)).state;
    const began = performance.now();
    for (let t = 1; t <= 5; t++) {
      for (let i = 0; i < 300; i++) state = applyEvent(state, report(i, t * (i + 1), t), t * 1000).state;
    }
    // 1500 reports, each rebalancing 300 partitions from the 3rd measure on
    assert.ok(performance.now() - began < 3000, `took ${performance.now() - began} ms`);
  });
});
