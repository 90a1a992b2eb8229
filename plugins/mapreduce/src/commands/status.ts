// `sls mapreduce status`: the runs found in a job's output prefix, or one run's report.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { awsClientConfig } from '@serverless-continuum/core/serverless';
import { createS3Storage, type Storage } from '@serverless-continuum/core/storage';
import { s3Endpoint, selectJob, stringOption, type CommandContext } from './context';
import { FAILED, SUCCESS, listRuns, readJson } from './results';
import { summarizeRun } from './report';

export async function jobStorage(ctx: CommandContext): Promise<Storage> {
  const endpoint = s3Endpoint();
  const config = await awsClientConfig(ctx.serverless, ctx.options);
  return createS3Storage({
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials as never } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

export async function statusCommand(ctx: CommandContext, storage?: Storage): Promise<void> {
  const job = selectJob(ctx);
  const store = storage ?? (await jobStorage(ctx));
  const { output } = job.runtime;
  const runId = stringOption(ctx.options, 'run');
  if (runId) {
    for (const [file, status] of [
      [SUCCESS, 'succeeded'],
      [FAILED, 'failed'],
    ] as const) {
      const key = `${output.prefix}${runId}/${file}`;
      if (!(await store.head(output.bucket, key))) continue;
      ctx.utils.writeText([
        `Run ${runId} ${status}: s3://${output.bucket}/${key}`,
        ...summarizeRun(await readJson(store, output.bucket, key)),
      ]);
      return;
    }
    throw new ContinuumError(
      'CONTINUUM_NOT_FOUND',
      `run ${runId} of job ${job.name} has no ${SUCCESS} or ${FAILED} under s3://${output.bucket}/${output.prefix}${runId}/ (still running, or an unknown id)`,
    );
  }
  const runs = await listRuns(store, output);
  if (!runs.length) {
    ctx.utils.writeText(`No finished runs of job ${job.name} under s3://${output.bucket}/${output.prefix}`);
    return;
  }
  ctx.utils.writeText([
    `Runs of job ${job.name} (s3://${output.bucket}/${output.prefix}):`,
    ...runs.map((r) =>
      `  ${r.runId}  ${r.status.padEnd(9)}  ${r.lastModified ? r.lastModified.toISOString() : ''}`.trimEnd(),
    ),
  ]);
}
