// `sls tascaas submit`: POST /jobs (with --local and a file --input, the file is uploaded first); prints the job
// id as its last line, so scripts can take it with `tail -1`.
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import type { JobDefinition } from '../service/types';
import {
  apiClient,
  integerOption,
  numberOption,
  resolveTarget,
  serverMessage,
  stringOption,
  type CommandContext,
} from './context';

/** The block `--job` names; optional when the service has one. An unknown name lists those that exist. */
export function selectDefinition(ctx: CommandContext): JobDefinition {
  const name = stringOption(ctx.options, 'job');
  const { definitions } = ctx.settings;
  const known = definitions.map((d) => d.name);
  const found =
    name === undefined && definitions.length === 1
      ? definitions[0]
      : definitions.find((d) => d.name === name);
  if (!found) {
    throw new ConfigError(
      '--job',
      name
        ? `no job ${JSON.stringify(name)} under custom.tascaas`
        : 'required when the service has several jobs',
      known.length ? `jobs: ${known.join(', ')}` : 'declare one under custom.tascaas',
    );
  }
  return found;
}

/** The POST /jobs body the options describe (the server checks it again and names what it refuses). */
export function submission(
  ctx: CommandContext,
  definition: JobDefinition,
  input?: string,
): Record<string, unknown> {
  const iterations = integerOption(ctx.options, 'iterations', 1);
  const time = numberOption(ctx.options, 'time');
  if (iterations === undefined) throw new ConfigError('--iterations', 'required');
  if (time === undefined)
    throw new ConfigError('--time', 'required', 'seconds the job should take; 0 for no balancing');
  const partitions = integerOption(ctx.options, 'partitions', 1);
  return {
    job: definition.name,
    iterations,
    time,
    ...(partitions !== undefined ? { partitions } : {}),
    ...(input !== undefined ? { input } : {}),
  };
}

/** A file given to --input with --local: a path that names a file here (else it is a key on the server). */
function localFile(ctx: CommandContext, input: string): string | undefined {
  if (ctx.options.local !== true) return undefined;
  const path = resolve(ctx.serviceDir, input);
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

export async function submitCommand(ctx: CommandContext): Promise<void> {
  const definition = selectDefinition(ctx);
  const target = await resolveTarget(ctx);
  const client = apiClient(target);
  try {
    let input = stringOption(ctx.options, 'input');
    const file = input !== undefined ? localFile(ctx, input) : undefined;
    if (file) {
      input = basename(file);
      await client.request(
        'PUT',
        `/jobs/inputs/${encodeURIComponent(definition.name)}/${encodeURIComponent(input)}`,
        {
          body: readFileSync(file),
          headers: { 'content-type': 'application/octet-stream' },
          retry: true,
        },
      );
      ctx.utils.log.notice(`Uploaded ${file} as input ${input}`);
    }
    const body = submission(ctx, definition, input);
    const answer = await client.post<{ id?: unknown }>('/jobs', body);
    const id = answer.body?.id;
    if (typeof id !== 'string') {
      throw new ContinuumError('CONTINUUM_HTTP', `the server answered ${answer.status} without a job id`);
    }
    ctx.utils.log.notice(`Submitted job ${definition.name}: ${body.iterations} iterations in ${body.time} s`);
    ctx.utils.writeText(id);
  } catch (error) {
    const message = serverMessage(error);
    if (message) throw new ContinuumError('CONTINUUM_HTTP', `the server refused the job: ${message}`);
    throw error;
  } finally {
    await client.close();
  }
}
