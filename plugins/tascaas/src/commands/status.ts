// `sls tascaas status --id JOB`: the job's state, progress and ETA, a row per partition; --json prints the
// server's status JSON as it is.
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { JobStatus } from '../service/status';
import { apiClient, resolveTarget, serverMessage, stringOption, type CommandContext } from './context';

export type { JobStatus, PartitionStatus } from '../service/status';

const BAR = 20;

/** `[########------------]  40%`: done of assigned. */
export function progressBar(done: number, assigned: number, width = BAR): string {
  const share = assigned > 0 ? Math.min(1, Math.max(0, done / assigned)) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/** `1h 02m`, `3m 05s`, `42s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function statusLines(status: JobStatus): string[] {
  const eta = status.state === 'RUNNING' && status.eta !== null ? `, ETA ${formatSeconds(status.eta)}` : '';
  const lines = [
    `Job ${status.id} (${status.job}): ${status.state}, ${status.done.toLocaleString('en-US')}/${status.iterations.toLocaleString('en-US')} iterations${eta}`,
    ...(status.failed ? [`Failed: ${status.failed}`] : []),
    '',
  ];
  const rows = status.partitions.map((p) => [
    String(p.index),
    progressBar(p.done, p.assigned),
    `${p.done}/${p.assigned}`,
    p.state,
    String(p.attempts),
  ]);
  const header = ['partition', 'progress', 'done/assigned', 'state', 'attempts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [...lines, line(header), ...rows.map(line)];
}

export async function statusCommand(ctx: CommandContext): Promise<void> {
  const id = stringOption(ctx.options, 'id');
  if (!id)
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      '--id: required (the id `sls tascaas submit` printed)',
    );
  const client = apiClient(await resolveTarget(ctx));
  try {
    const answer = await client.get<JobStatus>(`/jobs/${encodeURIComponent(id)}`);
    ctx.utils.writeText(ctx.options.json === true ? JSON.stringify(answer.body) : statusLines(answer.body));
  } catch (error) {
    const message = serverMessage(error);
    if (message) throw new ContinuumError('CONTINUUM_HTTP', `job ${id}: the server answered ${message}`);
    throw error;
  } finally {
    await client.close();
  }
}
