// What the HTTP client's tests share: a loopback handler whose answers each test sets, counting what reaches it.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpError } from '@serverless-continuum/core/http';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, attempt: number) => void;

/** A loopback server whose answers each test sets; it counts the requests that reached it. */
export function scriptedServer(): {
  handle: (handler: Handler) => void;
  hits: () => number;
  listener: Handler;
} {
  let handler: Handler = (_req, res) => res.end();
  let hits = 0;
  return {
    handle(next) {
      handler = next;
      hits = 0;
    },
    hits: () => hits,
    listener: (req, res, body) => handler(req, res, body, ++hits),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

export async function httpError(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as HttpError).code, 'CONTINUUM_HTTP', String(error));
    return error as HttpError;
  }
  assert.fail('the call should have failed');
}
