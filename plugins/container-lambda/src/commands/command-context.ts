// What every `sls container` command gets from the plugin class, and the lookups they share.
import { ConfigError } from '@serverless-continuum/core/errors';
import type { CliOptions, PluginUtils, ServerlessLike } from '@serverless-continuum/core/serverless';
import type { ResolvedContainerFunction } from '../config';

export interface CommandContext {
  serverless: ServerlessLike;
  options: CliOptions;
  utils: PluginUtils;
  /** The service's container functions, resolved, by key under `functions:`. */
  functions: ReadonlyMap<string, ResolvedContainerFunction>;
}

/** The function named by `--function`; another name lists the container functions there are. */
export function commandFunction(ctx: CommandContext): ResolvedContainerFunction {
  const name = String(ctx.options.function ?? '');
  const fn = ctx.functions.get(name);
  if (!fn) {
    const known = [...ctx.functions.keys()];
    throw new ConfigError(
      `functions.${name}`,
      'is not a container function',
      known.length ? `container functions: ${known.join(', ')}` : 'no function has a container',
    );
  }
  return fn;
}

/** `--out`, or `./<function>-output`. */
export function outputDir(ctx: CommandContext, fn: ResolvedContainerFunction): string {
  return typeof ctx.options.out === 'string' ? ctx.options.out : `${fn.name}-output`;
}

/** The function's `timeout` under `functions:`, when it is a number. */
export function functionTimeout(ctx: CommandContext, fn: ResolvedContainerFunction): number | undefined {
  const timeout = ctx.serverless.service.functions?.[fn.name]?.timeout;
  return typeof timeout === 'number' ? timeout : undefined;
}
