// `sls logs -f x [--job id] [--tail]`: the service's jobs from /system/logs, or one job's log; --tail follows
// new jobs and prints each one's log once it ends, polling every --interval ms (the framework's option; 2000).
import type { OscarJobs } from '../client/types';
import { commandFunction, table, type CommandContext } from './context';

const FINISHED = new Set(['Succeeded', 'Failed']);

async function allJobs(ctx: CommandContext, service: string): Promise<OscarJobs['jobs']> {
  const jobs: OscarJobs['jobs'] = {};
  let page: string | undefined;
  do {
    const answer = await ctx.client().jobs(service, page);
    Object.assign(jobs, answer.jobs);
    page = answer.nextPage || undefined;
  } while (page);
  return jobs;
}

export function jobLines(jobs: OscarJobs['jobs']): string[] {
  const entries = Object.entries(jobs).sort(([, a], [, b]) =>
    (a.creation_time ?? '').localeCompare(b.creation_time ?? ''),
  );
  if (!entries.length) return ['No jobs.'];
  return table([
    ['job', 'status', 'created', 'started', 'finished'],
    ...entries.map(([id, j]) => [
      id,
      j.status ?? '',
      j.creation_time ?? '',
      j.start_time ?? '',
      j.finish_time ?? '',
    ]),
  ]);
}

export interface TailOptions {
  /** Stops the loop (tests); by default --tail runs until interrupted. */
  rounds?: number;
  intervalMs?: number;
}

export async function logsCommand(ctx: CommandContext, tail: TailOptions = {}): Promise<void> {
  const fn = commandFunction(ctx);
  const job = ctx.options.job;
  if (typeof job === 'string') {
    ctx.utils.writeText(await ctx.client().jobLog(fn.serviceName, job));
    return;
  }
  const jobs = await allJobs(ctx, fn.serviceName);
  ctx.utils.writeText(jobLines(jobs));
  if (ctx.options.tail !== true) return;
  const printed = new Set(
    Object.entries(jobs)
      .filter(([, j]) => FINISHED.has(j.status ?? ''))
      .map(([id]) => id),
  );
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let round = 0; tail.rounds === undefined || round < tail.rounds; round++) {
    await sleep(tail.intervalMs ?? (Number(ctx.options.interval) || 2000));
    for (const [id, j] of Object.entries(await allJobs(ctx, fn.serviceName))) {
      if (printed.has(id) || !FINISHED.has(j.status ?? '')) continue;
      printed.add(id);
      ctx.utils.writeText([`--- ${id} (${j.status ?? ''})`, await ctx.client().jobLog(fn.serviceName, id)]);
    }
  }
}
