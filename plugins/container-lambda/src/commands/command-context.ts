// What every `sls container` command gets from the plugin class, and the lookups they share.
import { commandFunctionNamed } from '@serverless-continuum/core/functions';
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
  return commandFunctionNamed(ctx.functions, String(ctx.options.function ?? ''), {
    what: 'a container function',
    listed: 'container functions',
    none: 'no function has a container',
  });
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
