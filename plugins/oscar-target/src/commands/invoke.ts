// `sls invoke -f x [--path file | --data text] [--async | --type Event] [--output file]`: OSCAR's /run with
// the service's token (the answer to stdout, a file, or a zip unpacked into a folder), or /job.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { commandFunction, deployedService, type CommandContext } from './context';
import { isZip, unzipInto } from './unzip';

function invokeInput(ctx: CommandContext): Buffer {
  const { path, data } = ctx.options;
  if (typeof path === 'string' && typeof data === 'string') {
    throw new ConfigError('--path', 'give --path or --data, not both');
  }
  if (typeof path === 'string') return readFileSync(resolve(path));
  if (typeof data === 'string') return Buffer.from(data);
  return Buffer.alloc(0);
}

export function isAsync(ctx: CommandContext): boolean {
  return ctx.options.async === true || ctx.options.type === 'Event';
}

export async function invokeCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const input = invokeInput(ctx);
  const service = await deployedService(ctx, fn);
  const token = service.token ?? '';
  if (!token) {
    ctx.utils.log.warning(`service ${fn.serviceName} has no token on the cluster; the call goes without one`);
  }
  if (isAsync(ctx)) {
    await ctx.client().job(fn.serviceName, token, input);
    ctx.utils.writeText(
      `Job submitted to ${fn.serviceName}. Its logs: sls logs -f ${fn.name} (OSCAR gives no job id on submission)`,
    );
    return;
  }
  const answer = await ctx.client().run(fn.serviceName, token, input);
  const output = ctx.options.output;
  if (isZip(answer)) {
    const dir = resolve(typeof output === 'string' ? output : `${fn.name}-output`);
    const files = unzipInto(answer, dir);
    ctx.utils.writeText([`${files.length} file(s) in ${dir}:`, ...files.map((f) => `  ${f}`)]);
  } else if (typeof output === 'string') {
    writeFileSync(resolve(output), answer);
    ctx.utils.writeText(`${answer.length} bytes written to ${resolve(output)}`);
  } else {
    process.stdout.write(answer);
    if (answer.length && answer[answer.length - 1] !== 0x0a) process.stdout.write('\n');
  }
}
