// How a job's iterations are first split over its partitions, and how often its programs report (TaScaaS's rules).

/**
 * Splits `iterations` over `k` partitions: floor(I/k) each, the remainder one each to the first partitions,
 * so the split is deterministic and always sums to I.
 */
export function splitIterations(iterations: number, k: number): number[] {
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new RangeError(`iterations must be a whole number >= 0, got ${iterations}`);
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`partitions must be a whole number >= 1, got ${k}`);
  const share = Math.floor(iterations / k);
  const remainder = iterations - share * k;
  return Array.from({ length: k }, (_, i) => share + (i < remainder ? 1 : 0));
}

/**
 * Seconds between a program's reports: the configured value, else TaScaaS's int(time / 20) but at least 20.
 * A job without a time (<= 0) is unbalanced: its programs are told -1 and never report.
 */
export function reportIntervalFor(timeSeconds: number, configuredSeconds?: number): number {
  if (!(timeSeconds > 0)) return -1;
  if (configuredSeconds !== undefined) return configuredSeconds;
  return Math.max(20, Math.floor(timeSeconds / 20));
}
