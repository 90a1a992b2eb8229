import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, planBackups } from '../../src/runtime/stragglers';

test('the median of an even count is the mean of the middle two', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 10]), 3.5);
});

test('a split running longer than twice the median of finished splits is due for a backup', () => {
  const plan = planBackups({
    now: 10_000,
    durations: [100, 300, 200],
    running: [
      { split: 4, startedAt: 9_000, backup: false },
      { split: 2, startedAt: 9_500, backup: false },
      { split: 3, startedAt: 9_600, backup: false },
    ],
  });
  // limit 400 ms: split 4 (1000 ms) and split 2 (500 ms) are past it; split 3 (400 ms) is not yet.
  assert.deepEqual(plan, { limit: 400, due: [2, 4], nextAt: 10_001 });
});

test('a split that already has a backup is never due again and schedules nothing', () => {
  assert.deepEqual(
    planBackups({ now: 10_000, durations: [10], running: [{ split: 0, startedAt: 0, backup: true }] }),
    { limit: 20, due: [] },
  );
});

test('before any split has finished nothing is due, however long the others run', () => {
  assert.deepEqual(
    planBackups({ now: 10_000, durations: [], running: [{ split: 0, startedAt: 0, backup: false }] }),
    { due: [] },
  );
});
