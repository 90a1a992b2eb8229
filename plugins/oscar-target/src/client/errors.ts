// The OSCAR client's one error: a failed call as the user reads it (which call, which service, what to do),
// built from core's HttpError with every credential the client knows redacted.
import { STATUS_CODES } from 'node:http';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { HttpError } from '@serverless-continuum/core/http';

/** Why a call failed, in the terms a command reacts to (`exists` on create, `not-found` on update, ...). */
export type OscarFailure =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'exists'
  | 'rejected'
  | 'server'
  | 'status'
  | 'tls'
  | 'unreachable'
  | 'timeout'
  | 'body';

export class OscarHttpError extends ContinuumError {
  readonly reason: OscarFailure;
  /** What was called: `create of service plants`, `cluster info`. */
  readonly call: string;
  readonly service?: string;
  readonly status?: number;

  constructor(
    reason: OscarFailure,
    call: string,
    message: string,
    details: { service?: string; status?: number } = {},
  ) {
    super('CONTINUUM_OSCAR_HTTP', message);
    this.name = 'OscarHttpError';
    this.reason = reason;
    this.call = call;
    if (details.service !== undefined) this.service = details.service;
    if (details.status !== undefined) this.status = details.status;
  }
}

export function redact(text: string, secrets: Iterable<string>): string {
  const sorted = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of sorted) out = out.split(secret).join('***');
  return out;
}

/** The forms a secret may take in text: raw and percent-encoded. */
export function secretForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
}

export interface CallContext {
  /** `create of service plants`. */
  call: string;
  service?: string;
  /** The cluster's URL as the user wrote it. */
  endpoint: string;
  /** `/run` and `/job` authenticate with the service's token, not provider.auth. */
  serviceToken?: boolean;
}

/** The HTTP failure `error` as an OscarHttpError naming the call; anything else is returned as is. */
export function oscarError(error: unknown, context: CallContext, secrets: Iterable<string>): unknown {
  if (!(error instanceof HttpError)) return error;
  const { call, service, endpoint } = context;
  const details = {
    ...(service === undefined ? {} : { service }),
    ...(error.status === undefined ? {} : { status: error.status }),
  };
  const text = error.responseText
    ? redact(error.responseText, secrets).replace(/\s+/g, ' ').slice(0, 200)
    : '';
  const said = text ? ` ("${text}")` : '';
  const make = (reason: OscarFailure, message: string): OscarHttpError =>
    new OscarHttpError(reason, call, redact(message, secrets), details);

  if (error.reason === 'timeout') {
    const after = /timed out after (\d+ ms)/.exec(error.message)?.[1] ?? 'its timeout';
    return make(
      'timeout',
      `${call}: ${endpoint} did not answer within ${after} (${error.attempts} attempt${error.attempts === 1 ? '' : 's'}) — ` +
        'the cluster may be overloaded or its serverless backend starting a service; try again, or raise the timeout',
    );
  }
  if (error.reason === 'tls') {
    const code = /\(([A-Z][A-Z0-9_]+)\)/.exec(error.message)?.[1];
    return make(
      'tls',
      `${call}: the TLS certificate of ${endpoint} is not trusted${code ? ` (${code})` : ''} — give provider.ca the ` +
        "cluster's certificate authority (PEM), or set provider.verifyTls: false only if you trust the network to it",
    );
  }
  if (error.reason === 'network') {
    const code = /\(([A-Z][A-Z0-9_]+)\)/.exec(error.message)?.[1];
    return make(
      'unreachable',
      `${call}: could not reach ${endpoint}${code ? ` (${code})` : ''} — check provider.endpoint and that the cluster is up`,
    );
  }
  if (error.reason === 'body') {
    return make(
      'body',
      `${call}: ${endpoint} answered ${error.status ?? ''} with a body that is not the JSON it says it is`,
    );
  }
  const status = error.status ?? 0;
  const head = `${call}: ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''} from ${endpoint}`;
  if (status === 401) {
    const hint = context.serviceToken
      ? "the service's token was refused: deploy the service again, or check the token you passed"
      : 'check provider.auth (username and password, token, or refreshToken and tokenEndpoint)';
    return make('unauthorized', `${head} — ${hint}`);
  }
  if (status === 403)
    return make(
      'forbidden',
      `${head}${said} — your user may not do this (the service's visibility, allowed_users or owner)`,
    );
  if (status === 404)
    return make(
      'not-found',
      `${head}${said} — ${service ? `no service ${service} on the cluster` : 'the cluster has no such resource'}`,
    );
  if (status === 409 || (status === 400 && /already exists/i.test(text)))
    return make(
      'exists',
      `${head}${said} — the service already exists on the cluster: deploy updates it, or pick another name`,
    );
  if (status === 400)
    return make('rejected', `${head}${said} — the cluster refused the request; fix the value it names`);
  if (status >= 500)
    return make(
      'server',
      `${head}${said} after ${error.attempts} attempt${error.attempts === 1 ? '' : 's'} — the cluster failed; try again, or read the OSCAR manager's logs`,
    );
  return make('status', `${head}${said}`);
}
