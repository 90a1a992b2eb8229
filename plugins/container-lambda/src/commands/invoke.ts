// `sls container invoke -f <fn> --file <path> | --data <json> [--async] [--out <file>]` (SCAR's `invoke`): one
// call of the function's HTTP endpoint, the body sent byte for byte, the answer printed or written to a file.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import { stackOutputs } from '@serverless-continuum/core/serverless';
import type { ResolvedContainerFunction } from '../config';
import { apiRoute } from '../compile/function';
import { isPlainName } from '../runtime/events';
import { commandFunction, type CommandContext } from './command-context';

/** The framework's output with the REST API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`). */
export const SERVICE_ENDPOINT_OUTPUT = 'ServiceEndpoint';

/** API Gateway ends a REST integration after 29 s; a little longer, so its own 504 is what the user sees. */
const INVOKE_TIMEOUT_MS = 35_000;

export interface InvokeRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** The function's URL on the deployed API: the service endpoint and the function's route. */
export function invokeUrl(serviceEndpoint: string, fn: ResolvedContainerFunction): string {
  return `${serviceEndpoint.replace(/\/+$/, '')}/${apiRoute(fn).path}`;
}

/**
 * The request for `--file`, `--data` or neither (a GET, as SCAR sends with no body). A file's name travels in
 * X-Continuum-Filename, so the script sees it as its input's name, when it is a plain printable name.
 */
export function invokeRequest(
  url: string,
  input: { file?: string; data?: string; async?: boolean },
): InvokeRequest {
  if (input.file !== undefined && input.data !== undefined) {
    throw new ConfigError('--data', 'give --file or --data, not both');
  }
  const headers: Record<string, string> = { accept: 'application/octet-stream' };
  // SCAR's header for "do not wait": the supervisor answers 202 and the script runs in a new invocation.
  if (input.async) headers['x-amz-invocation-type'] = 'Event';
  if (input.data !== undefined) {
    try {
      JSON.parse(input.data);
    } catch (error) {
      throw new ConfigError(
        '--data',
        `is not JSON: ${(error as Error).message}`,
        'or send a file with --file',
      );
    }
    headers['content-type'] = 'application/json';
    return { method: 'POST', url, headers, body: Buffer.from(input.data, 'utf8') };
  }
  if (input.file !== undefined) {
    const path = resolve(input.file);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new ConfigError('--file', `${path} does not exist`);
    }
    if (!isFile) throw new ConfigError('--file', `${path} is not a file`);
    headers['content-type'] = 'application/octet-stream';
    const name = basename(path);
    if (isPlainName(name) && /^[\x20-\x7e]+$/.test(name)) headers['x-continuum-filename'] = name;
    return { method: 'POST', url, headers, body: readFileSync(path) };
  }
  return { method: 'GET', url, headers };
}

export interface InvokeAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export async function sendInvoke(request: InvokeRequest): Promise<InvokeAnswer> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
      signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    throw new ContinuumError(
      'CONTINUUM_HTTP',
      `${request.method} ${request.url} failed: ${cause?.message ?? (error as Error).message}`,
      { cause: error },
    );
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** Text that can be printed as is: valid UTF-8 without control characters other than whitespace. */
export function printable(body: Buffer): string | undefined {
  const text = new TextDecoder('utf-8', { fatal: true });
  let decoded: string;
  try {
    decoded = text.decode(body);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0e-\x1f]/.test(decoded) ? undefined : decoded;
}

export async function invokeCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const { options, utils } = ctx;
  if (!fn.api) {
    throw new ConfigError(
      `functions.${fn.name}.api`,
      'not set: the function has no HTTP endpoint to invoke',
      `set api: true and deploy, or start it from its input with sls container run -f ${fn.name}`,
    );
  }
  const text = (name: string) => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  const file = text('file');
  const data = text('data');
  const out = text('out');
  const outputs = await stackOutputs(ctx.serverless, options);
  const endpoint = outputs[SERVICE_ENDPOINT_OUTPUT];
  if (!endpoint) {
    throw new ContinuumError(
      'CONTINUUM_NOT_FOUND',
      `the deployed stack has no ${SERVICE_ENDPOINT_OUTPUT} output: deploy the service with functions.${fn.name}.api set`,
    );
  }
  const request = invokeRequest(invokeUrl(endpoint, fn), {
    ...(file !== undefined ? { file } : {}),
    ...(data !== undefined ? { data } : {}),
    async: options.async === true,
  });
  utils.log.verbose(`${request.method} ${request.url}`);
  const answer = await sendInvoke(request);
  if (answer.status >= 300) {
    const said = printable(answer.body)?.trim().slice(0, 2000);
    throw new ContinuumError(
      'CONTINUUM_HTTP',
      `${fn.name} answered ${answer.status}${said ? `: ${said}` : ''} (sls container logs -f ${fn.name} shows why)`,
    );
  }
  if (out) {
    writeFileSync(resolve(out), answer.body);
    utils.log.success(`${fn.name} answered ${answer.status}: ${answer.body.length} byte(s) in ${out}`);
    return;
  }
  const shown = printable(answer.body);
  if (shown === undefined) {
    // As curl does: binary goes to a pipe or a redirect unchanged, never to a terminal.
    if (!process.stdout.isTTY) {
      process.stdout.write(answer.body);
      return;
    }
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `${fn.name} answered ${answer.body.length} bytes of binary data; write them to a file with --out <file>`,
    );
  }
  if (shown) utils.writeText(shown.replace(/\n$/, ''));
  if (answer.status === 202) {
    utils.log.notice(`${fn.name} accepted the call; it runs now (sls container logs -f ${fn.name})`);
  }
}
