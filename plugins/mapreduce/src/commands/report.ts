// Turns a run report (`_SUCCESS.json` / `_FAILED.json`) into the lines a person reads at the end of a run.
import { formatBytes } from '@serverless-continuum/core/serverless';
import type { FailureReport, RunReport } from '../runtime/types';

const BYTE_KEY = /bytes?$/i;
const TIME_KEY = /(ms|millis|duration|time)$/i;
const COST_KEY = /(cost|usd)/i;

function formatValue(key: string, value: unknown): string {
  if (typeof value === 'number') {
    if (BYTE_KEY.test(key)) return formatBytes(value);
    if (COST_KEY.test(key)) return `$${value.toFixed(value < 0.01 ? 6 : 4)}`;
    if (TIME_KEY.test(key))
      return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
    return value.toLocaleString('en-US');
  }
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * One `name: value` line per report field, nested objects indented one level; the report's own
 * field names are kept so the summary matches `_SUCCESS.json` exactly.
 */
export function summarizeReport(report: unknown, indent = '  '): string[] {
  if (!report || typeof report !== 'object') return [`${indent}${JSON.stringify(report)}`];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(report as Record<string, unknown>)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      lines.push(`${indent}${key}:`);
      lines.push(...summarizeReport(value, `${indent}  `));
    } else if (Array.isArray(value) && value.length > 5) {
      lines.push(`${indent}${key}: ${value.length} entries`);
    } else {
      lines.push(`${indent}${key}: ${formatValue(key, value)}`);
    }
  }
  return lines;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const count = (n: number) => n.toLocaleString('en-US');

/** `eu-west-1 prices of 2025-01`, or `ap-south-1, estimated from us-east-1 prices of 2025-01`. */
function pricedAs(cost: Partial<RunReport['cost']>): string {
  // Reports written before the estimate knew regions name only the region.
  if (!cost.pricesDate || !cost.pricesRegion) return String(cost.region);
  return cost.pricesRegion === cost.region
    ? `${cost.region} prices of ${cost.pricesDate}`
    : `${cost.region}, estimated from ${cost.pricesRegion} prices of ${cost.pricesDate}`;
}

/** The readable summary of `_SUCCESS.json` or `_FAILED.json`; any other shape is listed field by field. */
export function summarizeRun(report: unknown): string[] {
  const r = report as Partial<RunReport> & Partial<FailureReport>;
  if (r?.status === 'succeeded' && r.records && r.bytes && r.times && r.input) {
    const { records, bytes, times, input } = r as RunReport;
    const lines = [
      `  input     ${input.bucket ? `s3://${input.bucket}/` : ''}${input.key} (${formatBytes(input.size)})`,
      `  splits    ${count(r.splits ?? 0)} (map tasks ${count(r.mappers ?? 0)}, retries ${count(r.retries?.map ?? 0)}, backups ${count(r.backups ?? 0)}${r.watcher ? `, straggler watcher ${seconds(r.watcher.ms)}` : ''})`,
      `  reducers  ${count(r.reducers ?? 0)} (retries ${count(r.retries?.reduce ?? 0)}, spills ${count(r.spills ?? 0)})`,
      `  records   ${count(records.in)} in, ${count(records.emitted)} emitted, ${count(records.mapOutput)} after combine, ${count(records.out)} out`,
      `  bytes     ${formatBytes(bytes.read)} read, ${formatBytes(bytes.intermediate)} intermediate, ${formatBytes(bytes.output)} output`,
      `  time      map ${seconds(times.mapMs)}, reduce ${seconds(times.reduceMs)}, total ${seconds(times.totalMs)}`,
    ];
    if (r.cost) {
      const basis = r.cost.basis === 'local-durations' ? ', local durations priced as Lambda' : '';
      lines.push(`  cost      ~$${r.cost.estimatedUsd.toFixed(6)} on AWS (${pricedAs(r.cost)}${basis})`);
    }
    return lines;
  }
  if (r?.status === 'failed' && r.error) {
    const where =
      r.phase === 'start'
        ? 'starting the run (the coordinator)'
        : `in the ${r.phase} phase, ${
            r.phase === 'map' && r.split
              ? `split ${r.split.index} (bytes ${r.split.start}-${r.split.end})`
              : `partition ${r.partition ?? '?'}`
          }`;
    return [
      `  failed    ${where}, after ${r.attempts ?? '?'} attempts`,
      `  error     ${r.error.message}`,
      ...(r.input ? [`  input     ${r.input.bucket ? `s3://${r.input.bucket}/` : ''}${r.input.key}`] : []),
    ];
  }
  return summarizeReport(report);
}
