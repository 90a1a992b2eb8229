// What every command gets from the plugin class: the framework, CLI options, output utilities and the resolved jobs.
import { ConfigError } from '@serverless-continuum/core/errors';
import type { CliOptions, PluginUtils, ServerlessLike } from '@serverless-continuum/core/serverless';
import type { ResolvedJob } from '../config';
import type { ServiceContext } from '../compile/names';

export interface CommandContext {
  serverless: ServerlessLike;
  options: CliOptions;
  utils: PluginUtils;
  service: ServiceContext;
  jobs: ResolvedJob[];
}

export function stringOption(options: CliOptions, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The job named by `--job`; an unknown name lists the jobs that exist. */
export function selectJob(ctx: CommandContext): ResolvedJob {
  const name = stringOption(ctx.options, 'job');
  const known = ctx.jobs.map((j) => j.name);
  const job = ctx.jobs.find((j) => j.name === name);
  if (!job) {
    throw new ConfigError(
      '--job',
      name ? `no job ${JSON.stringify(name)} under custom.mapreduce` : 'required',
      known.length ? `jobs: ${known.join(', ')}` : 'declare one under custom.mapreduce',
    );
  }
  return job;
}

/** `MAPREDUCE_S3_ENDPOINT` points the commands at an S3-compatible server (tests, MinIO). */
export function s3Endpoint(): string | undefined {
  return process.env.MAPREDUCE_S3_ENDPOINT || undefined;
}
