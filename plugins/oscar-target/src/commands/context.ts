// What every command on this provider gets from the plugin class, and the lookups they share.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { commandFunctionNamed } from '@serverless-continuum/core/functions';
import type { CliOptions, PluginUtils, ServerlessLike } from '@serverless-continuum/core/serverless';
import type { OscarClient, OscarService } from '../client/types';
import type { ResolvedOscarFunction } from '../config';

export interface CommandContext {
  serverless: ServerlessLike;
  options: CliOptions;
  utils: PluginUtils;
  /** The cluster's URL, without a trailing slash. */
  endpoint: string;
  /** `<service>-<stage>`, the tracking label's value. */
  tracking: string;
  functions: ReadonlyMap<string, ResolvedOscarFunction>;
  /** The OSCAR service JSON of each function, by function key. */
  definitions: ReadonlyMap<string, OscarService>;
  /** Made on first use: offline commands never build one. */
  client: () => OscarClient;
  /** Waits between polls (`logs --tail`); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** The function `--function` names; another name lists the functions there are. */
export function commandFunction(ctx: CommandContext): ResolvedOscarFunction {
  return commandFunctionNamed(ctx.functions, String(ctx.options.function ?? ''), {
    what: 'a function of this service',
    listed: 'functions',
    none: 'the service has no functions',
  });
}

export function definitionOf(ctx: CommandContext, fn: ResolvedOscarFunction): OscarService {
  const definition = ctx.definitions.get(fn.name);
  if (!definition) throw new Error(`no OSCAR service definition for ${fn.name}`);
  return definition;
}

/** The cluster's copy of the service, with its token; not deployed is an error that says what to do. */
export async function deployedService(ctx: CommandContext, fn: ResolvedOscarFunction): Promise<OscarService> {
  const service = await ctx.client().getService(fn.serviceName);
  if (!service) {
    throw new ContinuumError(
      'CONTINUUM_NOT_FOUND',
      `service ${fn.serviceName} is not deployed on ${ctx.endpoint}: run sls deploy first`,
    );
  }
  return service;
}

/** The URLs a user calls a service at. */
export function serviceUrls(endpoint: string, service: OscarService): string[] {
  const urls = [`${endpoint}/run/${service.name} (sync)`, `${endpoint}/job/${service.name} (async)`];
  if (service.expose) urls.push(`${endpoint}/system/services/${service.name}/exposed/ (exposed)`);
  return urls;
}

/** Aligned columns, the header first. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
