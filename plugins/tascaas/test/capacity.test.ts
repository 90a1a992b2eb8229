import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityHint, formatCapacity } from '../src/balancer';

const scaleTime = 30;
const now = 1_000_000_000;

describe('capacityHint', () => {
  test('is (queued + running) / the maxSlots of live infrastructures', () => {
    const hint = capacityHint(
      undefined,
      {
        queued: 3,
        running: 2,
        nodes: [
          { maxSlots: 4, lastSeen: now - 1000 },
          { maxSlots: 6, lastSeen: now - 2 * scaleTime * 1000 },
        ],
      },
      now,
      scaleTime,
    );
    // 5 partitions over 4 + 6 slots
    assert.deepEqual(hint, { value: 0.5, computedAt: now });
  });

  test('ignores infrastructures not seen within 2 x scaleTime', () => {
    const hint = capacityHint(
      undefined,
      {
        queued: 1,
        running: 0,
        nodes: [
          { maxSlots: 4, lastSeen: now },
          { maxSlots: 100, lastSeen: now - 2 * scaleTime * 1000 - 1 },
        ],
      },
      now,
      scaleTime,
    );
    assert.equal(hint.value, 0.25);
  });

  test('is at most 1', () => {
    const hint = capacityHint(
      undefined,
      { queued: 50, running: 10, nodes: [{ maxSlots: 4, lastSeen: now }] },
      now,
      scaleTime,
    );
    assert.equal(hint.value, 1);
  });

  test('is -1 when no slots are live', () => {
    assert.equal(capacityHint(undefined, { queued: 2, running: 0, nodes: [] }, now, scaleTime).value, -1);
    const stale = [{ maxSlots: 4, lastSeen: now - 3 * scaleTime * 1000 }];
    assert.equal(capacityHint(undefined, { queued: 2, running: 0, nodes: stale }, now, scaleTime).value, -1);
  });

  test('serves the previous value until scaleTime has passed, then recomputes', () => {
    const prev = { value: 0.5, computedAt: now };
    const inputs = { queued: 0, running: 0, nodes: [{ maxSlots: 4, lastSeen: now }] };
    assert.equal(capacityHint(prev, inputs, now + scaleTime * 1000 - 1, scaleTime), prev);
    assert.deepEqual(capacityHint(prev, inputs, now + scaleTime * 1000, scaleTime), {
      value: 0,
      computedAt: now + scaleTime * 1000,
    });
  });
});

describe('formatCapacity', () => {
  test('writes the hint as TaScaaS str(Decimal) does', () => {
    assert.equal(formatCapacity(-1), '-1');
    assert.equal(formatCapacity(1), '1');
    assert.equal(formatCapacity(0), '0');
    assert.equal(formatCapacity(0.5), '0.5');
    assert.equal(formatCapacity(0.25), '0.25');
  });

  test('keeps at most 6 decimals', () => {
    assert.equal(formatCapacity(1 / 3), '0.333333');
    assert.equal(formatCapacity(2 / 3), '0.666667');
    assert.equal(formatCapacity(0.0000001), '0');
  });
});
