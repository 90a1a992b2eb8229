// The HTTP client's one error, and the redaction that keeps credentials out of every message it carries.
import { ContinuumError } from '../errors';

/** Why a call failed: a status it does not accept, no answer in time, no connection, an untrusted certificate, a body it could not read. */
export type HttpFailure = 'status' | 'timeout' | 'network' | 'tls' | 'body';

export interface HttpFailureDetails {
  reason: HttpFailure;
  method: string;
  /** The URL without userinfo, credentials redacted. */
  url: string;
  attempts: number;
  /** The last status, when the server answered. */
  status?: number;
  /** The start of the last answer's body, credentials redacted. */
  responseText?: string;
}

export class HttpError extends ContinuumError {
  readonly reason: HttpFailure;
  readonly method: string;
  readonly url: string;
  readonly attempts: number;
  readonly status?: number;
  readonly responseText?: string;

  /** `message` must already be redacted: the client builds it and passes it through its redaction. */
  constructor(message: string, details: HttpFailureDetails) {
    super('CONTINUUM_HTTP', message);
    this.name = 'HttpError';
    this.reason = details.reason;
    this.method = details.method;
    this.url = details.url;
    this.attempts = details.attempts;
    if (details.status !== undefined) this.status = details.status;
    if (details.responseText !== undefined) this.responseText = details.responseText;
  }
}

/** Replaces every secret (and its encoded forms) in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/** The secrets of one endpoint as they may appear in text: raw, percent-encoded, and inside a Basic header. */
export function secretForms(
  auth: { user: string; password: string } | { token: string } | undefined,
): string[] {
  if (!auth) return [];
  if ('token' in auth) return [auth.token, encodeURIComponent(auth.token)];
  const basic = Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
  // Longest first, so a password inside a longer form does not break that form's redaction.
  return [basic, auth.password, encodeURIComponent(auth.password)].sort((a, b) => b.length - a.length);
}

// Node's TLS error codes for a certificate the client does not trust (as opposed to a broken connection).
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface NetworkProblem {
  reason: 'network' | 'tls';
  detail: string;
}

/** What a failed fetch means: fetch wraps the socket's error (`ECONNREFUSED`, a TLS code) in `cause`. */
export function networkProblem(error: unknown): NetworkProblem {
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNTRUSTED.has(code))
      return { reason: 'tls', detail: `${message} (${code})` };
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && cause !== error) {
      return { reason: 'network', detail: `${message} (${code})` };
    }
    const next = (cause as { cause?: unknown }).cause;
    if (!next) return { reason: 'network', detail: String(message ?? cause) };
    cause = next;
  }
  return { reason: 'network', detail: String((error as Error)?.message ?? error) };
}
