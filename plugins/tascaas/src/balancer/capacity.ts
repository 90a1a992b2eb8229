// The capacity hint infrastructures read (TaScaaS's requiredCap): how much of the registered slots the queue would fill.

export interface CapacityHint {
  /** min(1, partitions waiting or running / slots of live infrastructures); -1 when no infrastructure is live. */
  value: number;
  /** Epoch ms of the computation: the hint is served unchanged for one scaleTime after it. */
  computedAt: number;
}

export interface CapacityInputs {
  queued: number;
  running: number;
  nodes: { maxSlots: number; lastSeen: number }[];
}

/**
 * The hint to serve at `now`: `prev` while it is younger than `scaleTime` seconds (infrastructures scale on
 * that period, so a fresher value would only make them flap), else recomputed from the live infrastructures
 * (seen within 2 x scaleTime).
 */
export function capacityHint(
  prev: CapacityHint | undefined,
  inputs: CapacityInputs,
  now: number,
  scaleTime: number,
): CapacityHint {
  if (prev !== undefined && now - prev.computedAt < scaleTime * 1000) return prev;
  const liveSince = now - 2 * scaleTime * 1000;
  const slots = inputs.nodes.reduce(
    (sum, node) => (node.lastSeen >= liveSince ? sum + node.maxSlots : sum),
    0,
  );
  const value = slots > 0 ? Math.min(1, (inputs.queued + inputs.running) / slots) : -1;
  return { value, computedAt: now };
}

/** The hint as TaScaaS's str(Decimal) writes it: "-1", "1", "0.5"; at most 6 decimals, no trailing zeros. */
export function formatCapacity(value: number): string {
  if (value === -1) return '-1';
  return value.toFixed(6).replace(/\.?0+$/, '');
}
