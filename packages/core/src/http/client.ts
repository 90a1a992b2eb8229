// A small HTTP client for the suite's REST peers (OSCAR, TaScaaS's API): JSON in and out, Basic or Bearer auth,
// a timeout per attempt, TLS verified unless one endpoint opts out, retries of idempotent calls, coded errors
// that never carry a credential.
import { STATUS_CODES } from 'node:http';
import { ContinuumError } from '../errors';
import { HttpError, networkProblem, redact, secretForms, type HttpFailure } from './errors';
import { backoffMs, repeatable, retryableStatus, retryAfterMs, sleep } from './retry';

export type HttpAuth = { type: 'basic'; user: string; password: string } | { type: 'bearer'; token: string };

export interface HttpEndpoint {
  /** The base URL every path is joined onto; `https://user:password@host` is read as Basic auth. */
  url: string;
  auth?: HttpAuth;
  /** `false` accepts any certificate on this endpoint (and only this one). Only when the user asks for it. */
  tlsVerify?: boolean;
  /** A private certificate authority (PEM) to trust for this endpoint, with verification still on. */
  ca?: string | Buffer;
  /** Per attempt, in ms; 30 s when omitted. */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that may be repeated; 3 when omitted. */
  retries?: number;
  /** The first retry waits up to this long (ms), doubling each time up to 10 s; 250 when omitted. */
  backoffMs?: number;
  /** A Retry-After longer than this (ms) fails the call at once instead of waiting; 60 s when omitted. */
  maxRetryAfterMs?: number;
  headers?: Record<string, string>;
  /** Names the peer in error messages, e.g. `OSCAR`. */
  name?: string;
}

/** `MKCOL` makes a WebDAV collection (RFC 4918). */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'OPTIONS' | 'POST' | 'PATCH' | 'MKCOL';

export interface HttpRequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as `application/json`. */
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** `true`: this POST/PATCH is safe to repeat (e.g. it carries an idempotency key); `false`: never retry. */
  retry?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer says it is JSON, the text otherwise. */
  body: T;
}

export interface HttpClient {
  request<T = unknown>(
    method: HttpMethod,
    path: string,
    options?: HttpRequestOptions,
  ): Promise<HttpResponse<T>>;
  get<T = unknown>(path: string, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  head(path: string, options?: HttpRequestOptions): Promise<HttpResponse<string>>;
  put<T = unknown>(path: string, json?: unknown, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  post<T = unknown>(path: string, json?: unknown, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  delete<T = unknown>(path: string, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  /** Closes the connections of an endpoint with its own TLS settings. */
  close(): Promise<void>;
}

type Fetch = (url: string, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

interface Transport {
  fetch: Fetch;
  dispatcher?: { close(): Promise<void> };
}

/** Node's fetch verifies certificates; its own TLS settings need an undici Agent, paired with undici's own
 * fetch: an Agent from one undici copy handed to Node's bundled fetch breaks across undici majors. */
async function tlsTransport(endpoint: HttpEndpoint): Promise<Transport> {
  if (endpoint.tlsVerify !== false && endpoint.ca === undefined) return { fetch: globalThis.fetch as Fetch };
  const undici = await import('undici');
  const connect = {
    rejectUnauthorized: endpoint.tlsVerify !== false,
    ...(endpoint.ca ? { ca: endpoint.ca } : {}),
  };
  const dispatcher = new undici.Agent({ connect });
  const fetch: Fetch = (url, init) =>
    undici.fetch(url, { ...init, dispatcher } as never) as unknown as Promise<Response>;
  return { fetch, dispatcher };
}

function parseBase(raw: string): {
  base: URL;
  userinfo?: { user: string; password: string; encoded: string };
} {
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new ContinuumError('CONTINUUM_HTTP', `not a URL: ${raw.replace(/\/\/[^/@]*@/, '//***@')}`);
  }
  if (!base.username && !base.password) return { base };
  const userinfo = {
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
    encoded: base.password,
  };
  // fetch refuses URLs with credentials; they travel in the Authorization header instead.
  base.username = '';
  base.password = '';
  return { base, userinfo };
}

export function createHttpClient(endpoint: HttpEndpoint): HttpClient {
  const { base, userinfo } = parseBase(endpoint.url);
  const auth: HttpAuth | undefined =
    endpoint.auth ??
    (userinfo ? { type: 'basic', user: userinfo.user, password: userinfo.password } : undefined);
  const secrets = [
    ...secretForms(auth && (auth.type === 'bearer' ? { token: auth.token } : auth)),
    ...(userinfo ? [userinfo.encoded] : []),
  ].sort((a, b) => b.length - a.length);
  const clean = (text: string): string => redact(text, secrets);
  const authorization =
    auth?.type === 'basic'
      ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`
      : auth?.type === 'bearer'
        ? `Bearer ${auth.token}`
        : undefined;
  const timeoutMs = endpoint.timeoutMs ?? 30_000;
  const retries = endpoint.retries ?? 3;
  const firstBackoffMs = endpoint.backoffMs ?? 250;
  const maxRetryAfterMs = endpoint.maxRetryAfterMs ?? 60_000;
  let transport: Promise<Transport> | undefined;

  const target = (path: string, query: HttpRequestOptions['query']): URL => {
    const url = new URL(base.href);
    url.pathname = `${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.append(key, String(value));
    }
    return url;
  };

  async function request<T>(
    method: HttpMethod,
    path: string,
    options: HttpRequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const url = target(path, options.query);
    const shown = clean(`${endpoint.name ? `${endpoint.name} ` : ''}${method} ${url.href}`);
    const attemptsAllowed = repeatable(method, options.retry) ? retries + 1 : 1;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...endpoint.headers,
      ...options.headers,
    };
    if (authorization) headers.authorization = authorization;
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const { fetch } = await (transport ??= tlsTransport(endpoint));
    const perAttempt = options.timeoutMs ?? timeoutMs;

    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce<T>(fetch, url, { method, headers, body }, perAttempt, options.signal);
      if ('response' in outcome) return outcome.response;
      const { failure, retryable } = outcome;
      const waitMs = failure.retryAfter ?? backoffMs(attempt - 1, firstBackoffMs);
      const tooLong = failure.retryAfter !== undefined && failure.retryAfter > maxRetryAfterMs;
      if (!retryable || attempt >= attemptsAllowed || tooLong) {
        const count = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        const asks = tooLong ? `; it asks to retry after ${Math.round(waitMs / 1000)} s` : '';
        const text = failure.text && clean(failure.text);
        const message = `${shown} ${failure.detail} (${count}${asks})${text ? `: ${text}` : ''}`;
        throw new HttpError(clean(message), {
          reason: failure.reason,
          method,
          url: clean(url.href),
          attempts: attempt,
          ...(failure.status === undefined ? {} : { status: failure.status }),
          ...(text === undefined ? {} : { responseText: text }),
        });
      }
      await sleep(Math.max(waitMs, 0), options.signal);
    }
  }

  return {
    request,
    get: (path, options) => request('GET', path, options),
    head: (path, options) => request<string>('HEAD', path, options),
    put: (path, json, options) => request('PUT', path, { ...options, json }),
    post: (path, json, options) => request('POST', path, { ...options, json }),
    delete: (path, options) => request('DELETE', path, options),
    async close() {
      const opened = await transport;
      await opened?.dispatcher?.close();
    },
  };
}

interface Failure {
  reason: HttpFailure;
  /** What went wrong, after the method and URL: `answered 503 Service Unavailable`, `timed out after 100 ms`. */
  detail: string;
  status?: number;
  /** The start of the answer's body, not yet redacted. */
  text?: string;
  retryAfter?: number;
}

type Outcome<T> = { response: HttpResponse<T> } | { failure: Failure; retryable: boolean };

/** One attempt, with its own timeout: the answer, or what failed and whether trying again may help. */
async function attemptOnce<T>(
  fetch: Fetch,
  url: URL,
  init: { method: HttpMethod; headers: Record<string, string>; body: string | Uint8Array | undefined },
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<Outcome<T>> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  try {
    const { body, ...rest } = init;
    const response = await fetch(url.href, { ...rest, signal, ...(body === undefined ? {} : { body }) });
    const text = init.method === 'HEAD' ? '' : await response.text();
    if (response.ok) {
      const parsed = parseBody(text, response.headers);
      if (parsed)
        return { response: { status: response.status, headers: response.headers, body: parsed.value as T } };
      const detail = `answered ${response.status} with a body that says it is JSON but is not`;
      return {
        failure: { reason: 'body', status: response.status, detail, text: text.slice(0, 100) },
        retryable: false,
      };
    }
    const statusText = response.statusText || STATUS_CODES[response.status] || '';
    const retryAfter = retryAfterMs(response.headers.get('retry-after'));
    const failure: Failure = {
      reason: 'status',
      status: response.status,
      detail: `answered ${response.status}${statusText ? ` ${statusText}` : ''}`,
      text: text.trim().slice(0, 500),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
    return { failure, retryable: retryableStatus(response.status) };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timeout.aborted)
      return { failure: { reason: 'timeout', detail: `timed out after ${timeoutMs} ms` }, retryable: true };
    const problem = networkProblem(error);
    if (problem.reason === 'tls') return { failure: tlsFailure(url, problem.detail), retryable: false };
    return { failure: { reason: 'network', detail: `failed: ${problem.detail}` }, retryable: true };
  }
}

function tlsFailure(url: URL, detail: string): { reason: 'tls'; detail: string } {
  return {
    reason: 'tls',
    detail:
      `failed TLS: the certificate of ${url.origin} is not trusted (${detail}). Give the endpoint its certificate ` +
      `authority (ca), or set tlsVerify: false on this endpoint only if you trust the network to it`,
  };
}

/** The body as JSON when the answer says it is JSON, as text otherwise; undefined when its JSON does not parse. */
function parseBody(text: string, headers: Headers): { value: unknown } | undefined {
  if (!/json/i.test(headers.get('content-type') ?? '')) return { value: text };
  if (!text) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
