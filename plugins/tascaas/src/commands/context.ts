// What every command gets from the plugin class, and what they share: options, the endpoint and secret, the
// HTTP client of the API.
import { ConfigError } from '@serverless-continuum/core/errors';
import { createHttpClient, HttpError, type HttpClient } from '@serverless-continuum/core/http';
import type { CliOptions, PluginUtils, ServerlessLike } from '@serverless-continuum/core/serverless';
import type { TascaasSettings } from '../config';
import type { ServiceContext } from '../compile/names';

export interface CommandContext {
  serverless: ServerlessLike;
  options: CliOptions;
  utils: PluginUtils;
  service: ServiceContext;
  settings: TascaasSettings;
  serviceDir: string;
  /** The command line (tests pass their own): `worker` takes its program from after the first `--`. */
  argv?: string[];
}

/** The local server's port when neither --port nor --endpoint says otherwise. */
export const DEFAULT_LOCAL_PORT = 8080;

export function stringOption(options: CliOptions, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A whole number option, or undefined when not given; anything else is an error naming the option. */
export function integerOption(options: CliOptions, name: string, minimum: number): number | undefined {
  const raw = stringOption(options, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(`--${name}`, `must be a whole number >= ${minimum}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function numberOption(options: CliOptions, name: string): number | undefined {
  const raw = stringOption(options, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new ConfigError(`--${name}`, `must be a number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export interface Target {
  endpoint: string;
  secret: string;
}

/**
 * The API and its secret: --endpoint (with --local, the local server's default address) and --secret or
 * TASCAAS_SECRET; on AWS, what is missing is read from the deployed stack.
 */
export async function resolveTarget(ctx: CommandContext): Promise<Target> {
  const local = ctx.options.local === true;
  let endpoint =
    stringOption(ctx.options, 'endpoint') ?? (local ? `http://127.0.0.1:${DEFAULT_LOCAL_PORT}` : undefined);
  let secret = stringOption(ctx.options, 'secret') ?? (process.env.TASCAAS_SECRET || undefined);
  if (local && !secret) {
    throw new ConfigError(
      '--secret',
      'required with --local',
      'pass the secret `sls tascaas serve --local` printed, or set TASCAAS_SECRET',
    );
  }
  if (!endpoint || !secret) {
    const { deployedTarget } = require('./deployed') as typeof import('./deployed');
    const deployed = await deployedTarget(ctx, { endpoint: !endpoint, secret: !secret });
    endpoint ??= deployed.endpoint;
    secret ??= deployed.secret;
  }
  return { endpoint: endpoint!, secret: secret! };
}

export function apiClient(target: Target): HttpClient {
  return createHttpClient({
    url: target.endpoint,
    auth: { type: 'bearer', token: target.secret },
    name: 'tascaas',
    retries: 2,
  });
}

/** The server's own words for a refused request (they name the field), else the client's message. */
export function serverMessage(error: unknown): string | undefined {
  if (error instanceof HttpError && error.reason === 'status') {
    const text = error.responseText?.trim();
    return `${error.status}${text ? ` ${text}` : ''}`;
  }
  return undefined;
}
