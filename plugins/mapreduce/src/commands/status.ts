// `sls mapreduce status`: the runs found in a job's output (its S3 prefix, or a local output folder with
// --local), or one run's report.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { awsClientConfig, sdkClientSettings } from '@serverless-continuum/core/serverless';
import { createS3Storage, type Storage } from '@serverless-continuum/core/storage';
import type { StorageLocation } from '../config';
import { tableName } from '../compile/names';
import { s3Endpoint, selectJob, stringOption, type CommandContext } from './context';
import { isOver } from '../runtime/run-store';
import { describePhase, openRunTable } from './progress';
import { FAILED, SUCCESS, listRuns, readJson, type RunMarker } from './results';
import { summarizeRun } from './report';

export async function jobStorage(ctx: CommandContext): Promise<Storage> {
  const endpoint = s3Endpoint();
  const config = await awsClientConfig(ctx.serverless, ctx.options);
  return createS3Storage({
    ...sdkClientSettings(config),
    ...(endpoint ? { endpoint } : {}),
  });
}

/** Where a job's runs are read from: its output prefix on S3, or a local output folder. */
interface RunsSource {
  where: string;
  list(): Promise<RunMarker[]>;
  /** The marker file of a run, its display path and content; undefined when the run has none. */
  read(runId: string): Promise<{ status: RunMarker['status']; path: string; report: unknown } | undefined>;
}

const MARKERS = [
  [SUCCESS, 'succeeded'],
  [FAILED, 'failed'],
] as const;

function s3Runs(storage: Storage, output: StorageLocation): RunsSource {
  return {
    where: `s3://${output.bucket}/${output.prefix}`,
    list: () => listRuns(storage, output),
    async read(runId) {
      for (const [file, status] of MARKERS) {
        const key = `${output.prefix}${runId}/${file}`;
        if (!(await storage.head(output.bucket, key))) continue;
        return {
          status,
          path: `s3://${output.bucket}/${key}`,
          report: await readJson(storage, output.bucket, key),
        };
      }
      return undefined;
    },
  };
}

/** The runs of job `job` in a local output folder (runs of other jobs may share the folder). */
function localRuns(folder: string, job: string): RunsSource {
  const marker = (runId: string) => {
    const found = MARKERS.map(([file, status]) => ({ status, path: join(folder, runId, file) })).find((m) =>
      existsSync(m.path),
    );
    return found && reportJob(found.path) === job ? found : undefined;
  };
  return {
    where: folder,
    async list() {
      if (!existsSync(folder)) return [];
      const runs: RunMarker[] = [];
      for (const runId of readdirSync(folder)) {
        const found = marker(runId);
        if (found) {
          runs.push({
            runId,
            status: found.status,
            key: found.path,
            lastModified: statSync(found.path).mtime,
          });
        }
      }
      return runs.sort((a, b) => (a.lastModified?.getTime() ?? 0) - (b.lastModified?.getTime() ?? 0));
    },
    async read(runId) {
      // A run id is one folder name: never a path that leaves the output folder.
      if (!/^[A-Za-z0-9._-]+$/.test(runId) || runId.startsWith('.')) return undefined;
      const found = marker(runId);
      return found && { ...found, report: JSON.parse(readFileSync(found.path, 'utf8')) as unknown };
    },
  };
}

/** The `job` a local marker file names; undefined when it cannot be read. */
function reportJob(path: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { job?: string }).job;
  } catch {
    return undefined;
  }
}

export async function statusCommand(ctx: CommandContext): Promise<void> {
  const job = selectJob(ctx);
  const local = ctx.options.local === true;
  const source = local
    ? localRuns(resolve(process.cwd(), stringOption(ctx.options, 'output') ?? 'mapreduce-output'), job.name)
    : s3Runs(await jobStorage(ctx), job.runtime.output);
  // Runs still going, from the job's run table (AWS only; none when the table is not readable).
  const active = local
    ? undefined
    : await openRunTable(ctx, job, (error) =>
        ctx.utils.log.verbose(`Run table not readable, listing finished runs only: ${error.message}`),
      );
  try {
    const runId = stringOption(ctx.options, 'run');
    if (runId) {
      const found = await source.read(runId);
      if (found) {
        ctx.utils.writeText([`Run ${runId} ${found.status}: ${found.path}`, ...summarizeRun(found.report)]);
        return;
      }
      const going = await active?.get(runId);
      if (going && !isOver(going.phase)) {
        ctx.utils.writeText(`Run ${runId} running since ${going.createdAt}: ${describePhase(going)}`);
        return;
      }
      throw new ContinuumError(
        'CONTINUUM_NOT_FOUND',
        `run ${runId} of job ${job.name} has no ${SUCCESS} or ${FAILED} in ${source.where} (still running, or an unknown id)`,
      );
    }
    const [runs, table] = await Promise.all([source.list(), active?.active() ?? []]);
    // A run publishing right now has its marker before the table says done: it counts as finished.
    const finished = new Set(runs.map((r) => r.runId));
    const going = table.filter((r) => !finished.has(r.runId));
    ctx.utils.writeText([
      ...(runs.length
        ? [
            `Runs of job ${job.name} (${source.where}):`,
            ...runs.map((r) =>
              `  ${r.runId}  ${r.status.padEnd(9)}  ${r.lastModified ? r.lastModified.toISOString() : ''}`.trimEnd(),
            ),
          ]
        : [`No finished runs of job ${job.name} in ${source.where}`]),
      ...(going.length
        ? [
            `Running (run table ${tableName(ctx.service, job.name)}):`,
            ...going.map((r) => `  ${r.runId}  since ${r.createdAt}  ${describePhase(r)}`),
          ]
        : []),
    ]);
  } finally {
    active?.close();
  }
}
