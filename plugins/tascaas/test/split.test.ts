import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { reportIntervalFor, splitIterations } from '../src/balancer';

describe('splitIterations', () => {
  test('gives floor(I/k) each and the remainder one each to the first partitions', () => {
    assert.deepEqual(splitIterations(10, 3), [4, 3, 3]);
    assert.deepEqual(splitIterations(11, 3), [4, 4, 3]);
    assert.deepEqual(splitIterations(12, 3), [4, 4, 4]);
  });

  test('gives zero to partitions beyond the iterations', () => {
    assert.deepEqual(splitIterations(2, 4), [1, 1, 0, 0]);
  });

  test('always sums to the iterations', () => {
    for (const [iterations, k] of [
      [1, 1],
      [1000003, 7],
      [99, 100],
      [123456789, 250],
    ] as const) {
      const split = splitIterations(iterations, k);
      assert.equal(split.length, k);
      assert.equal(
        split.reduce((a, b) => a + b, 0),
        iterations,
      );
    }
  });

  test('refuses a partition count below one or not whole', () => {
    assert.throws(() => splitIterations(10, 0), RangeError);
    assert.throws(() => splitIterations(10, 1.5), RangeError);
    assert.throws(() => splitIterations(-1, 2), RangeError);
  });
});

describe('reportIntervalFor', () => {
  test('is time/20 in whole seconds, at least 20 (TaScaaS)', () => {
    assert.equal(reportIntervalFor(100), 20);
    assert.equal(reportIntervalFor(400), 20);
    assert.equal(reportIntervalFor(1000), 50);
    assert.equal(reportIntervalFor(1010), 50);
  });

  test('is the configured interval when one is given', () => {
    assert.equal(reportIntervalFor(1000, 5), 5);
  });

  test('is -1 for an unbalanced job (time <= 0), configured or not', () => {
    assert.equal(reportIntervalFor(0), -1);
    assert.equal(reportIntervalFor(-3, 10), -1);
  });
});
