// Item sizes as DynamoDB bills them (1 write unit per KB of the item, 4 KB per read unit), for the cost estimate.
import type { SplitStats } from './types';

const pad = (n: number): string => String(n).padStart(6, '0');

export type ItemValue = string | number | boolean | readonly number[];

/** A number's stored size: about one byte per two significant digits, plus one. */
export function numberBytes(n: number): number {
  if (n === 0) return 1;
  const digits = String(Math.abs(n)).replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  const exponent = Math.floor(Math.log10(Math.abs(n)));
  const even = significant.length % 2 === 0 && exponent % 2 === 0;
  return 1 + Math.ceil(significant.length / 2) + (even ? 1 : 0) + (n < 0 ? 1 : 0);
}

/** An item's size as DynamoDB bills it: each attribute's name plus its value (strings by length). */
export function dynamoItemBytes(item: Readonly<Record<string, ItemValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += name.length;
    if (typeof value === 'string') bytes += value.length;
    else if (typeof value === 'number') bytes += numberBytes(value);
    else if (typeof value === 'boolean') bytes += 1;
    else for (const n of value) bytes += numberBytes(n);
  }
  return bytes;
}

/** An expiry time, as the run store writes it (epoch seconds). */
export const EXPIRES_AT = 1_800_000_000;
/** A Lambda request id: what the run store keeps as an owner. */
export const REQUEST_ID = '00000000-0000-0000-0000-000000000000';

/** A split's stats item as `state-run-store.ts` writes it. */
export function splitStatsItem(runId: string, shards: number, stats: SplitStats) {
  return {
    pk: `run#${runId}#${stats.split % shards}`,
    sk: `split#${pad(stats.split)}`,
    stats: JSON.stringify(stats),
    expiresAt: EXPIRES_AT,
  };
}
