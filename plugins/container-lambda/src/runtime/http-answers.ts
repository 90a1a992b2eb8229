// The HTTP side of the supervisor's answers: the event as the script sees it, SCAR's query variables, the
// asynchronous marker, and the API Gateway proxy responses it sends back.
import type { HttpResult } from './contract';
import type { HttpCall } from './events';

/** The kernel refuses single environment strings above 128 KB; EVENT stays below that. */
const EVENT_ENV_LIMIT_BYTES = 100_000;

/** The event as the script sees it in EVENT: a huge HTTP body is left out (it is in INPUT_FILE_PATH anyway). */
export function eventForScript(event: unknown): unknown {
  if (Buffer.byteLength(JSON.stringify(event) ?? '') <= EVENT_ENV_LIMIT_BYTES) return event;
  if (typeof event === 'object' && event !== null && 'body' in event) return { ...event, body: null };
  return null;
}

/** The same HTTP event without the "do not wait" marker, so the asynchronous invocation does the work. */
export function withoutAsyncMarker(event: unknown): unknown {
  const copy = { ...(event as Record<string, unknown>) };
  for (const field of [
    'headers',
    'multiValueHeaders',
    'queryStringParameters',
    'multiValueQueryStringParameters',
  ]) {
    const value = copy[field];
    if (typeof value !== 'object' || value === null) continue;
    copy[field] = Object.fromEntries(
      Object.entries(value).filter(
        ([k]) => !['x-amz-invocation-type', 'invocationtype'].includes(k.toLowerCase()),
      ),
    );
  }
  return copy;
}

/** SCAR passes each query parameter to the script as `CONT_VAR_<name>`; names that are not identifiers are dropped. */
export function queryVariables(call: HttpCall): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.query)) {
    if (/^[A-Za-z0-9_]+$/.test(name) && !value.includes('\0')) variables[`CONT_VAR_${name}`] = value;
  }
  return variables;
}

export function textResponse(statusCode: number, message: string): HttpResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: message,
    isBase64Encoded: false,
  };
}

export function jsonResponse(statusCode: number, value: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(value),
    isBase64Encoded: false,
  };
}
