// provider.auth as Authorization headers for /system/*: Basic, a fixed OIDC token, or an access token got
// (and got again after a 401) from an OIDC token endpoint with the refresh-token grant.
import { createHttpClient, HttpError, type HttpClient } from '@serverless-continuum/core/http';
import { OscarHttpError, redact } from './errors';
import type { OscarAuth } from './types';

export interface Credentials {
  /** The Authorization header of the next /system/* call (refreshing first when the token is unknown or old). */
  header(): Promise<string>;
  /** After a 401: true when a new access token was got (so the call is worth one retry). */
  renew(): Promise<boolean>;
  close(): Promise<void>;
}

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  token_type?: unknown;
}

// An access token this close to its expiry (or past half its life, for short-lived ones) is refreshed before
// use rather than sent to get a 401.
const EXPIRY_SLACK_MS = 30_000;

export function credentials(
  auth: OscarAuth,
  options: { ca?: string; timeoutMs?: number; log: (line: string) => void; secrets: Set<string> },
): Credentials {
  if (auth.kind === 'basic') {
    const header = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    return { header: async () => header, renew: async () => false, close: async () => {} };
  }
  if (auth.kind === 'token') {
    return { header: async () => `Bearer ${auth.token}`, renew: async () => false, close: async () => {} };
  }

  const { refreshToken, tokenEndpoint, clientId } = auth;
  let token = auth.token;
  let expiresAt = Number.POSITIVE_INFINITY;
  let pending: Promise<string> | undefined;
  let http: HttpClient | undefined;
  // The token endpoint is the identity provider's (EGI Check-in, ...), not the cluster's: verifyTls: false
  // stays with the cluster; a private CA is shared since one CA often signs both on-premises.
  const client = (): HttpClient =>
    (http ??= createHttpClient({
      url: tokenUrl?.origin ?? tokenEndpoint,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      retries: 1,
      name: 'OIDC',
    }));
  const tokenUrl = (() => {
    try {
      return new URL(tokenEndpoint);
    } catch {
      return undefined;
    }
  })();
  const where = tokenUrl ? `${tokenUrl.origin}${tokenUrl.pathname}` : 'provider.auth.tokenEndpoint';

  async function refresh(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (clientId) form.set('client_id', clientId);
    const call = 'refresh of the OIDC access token';
    let answer: TokenAnswer;
    try {
      const response = await client().request<TokenAnswer>('POST', tokenUrl?.pathname ?? '', {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        // The refresh token may be single use (rotation): a repeated grant could spend a new one.
        retry: false,
      });
      answer = (response.body ?? {}) as TokenAnswer;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const said = error.responseText
        ? ` ("${redact(error.responseText, options.secrets).slice(0, 200)}")`
        : '';
      const what =
        error.status === undefined
          ? `${where} could not be reached (${error.reason})`
          : `${where} answered ${error.status}${said}`;
      throw new OscarHttpError(
        error.status === undefined
          ? error.reason === 'timeout'
            ? 'timeout'
            : 'unreachable'
          : 'unauthorized',
        call,
        redact(
          `${call}: ${what} — check provider.auth.refreshToken (expired or revoked?), clientId and tokenEndpoint`,
          options.secrets,
        ),
        error.status === undefined ? {} : { status: error.status },
      );
    }
    if (typeof answer.access_token !== 'string' || !answer.access_token) {
      throw new OscarHttpError('body', call, `${call}: ${where} answered without an access_token`);
    }
    options.secrets.add(answer.access_token);
    const seconds = Number(answer.expires_in);
    expiresAt =
      Number.isFinite(seconds) && seconds > 0
        ? Date.now() + seconds * 1000 - Math.min(EXPIRY_SLACK_MS, (seconds * 1000) / 2)
        : Number.POSITIVE_INFINITY;
    options.log(
      `OSCAR: got an OIDC access token from ${where}${Number.isFinite(seconds) ? ` (expires in ${seconds} s)` : ''}`,
    );
    return answer.access_token;
  }

  // One refresh at a time: calls that fail together share the new token instead of spending the grant twice.
  const refreshOnce = (): Promise<string> =>
    (pending ??= refresh()
      .then((fresh) => (token = fresh))
      .finally(() => (pending = undefined)));

  return {
    async header() {
      if (pending) await pending;
      if (!token || Date.now() > expiresAt) await refreshOnce();
      return `Bearer ${token}`;
    },
    async renew() {
      await refreshOnce();
      return true;
    },
    async close() {
      await http?.close();
    },
  };
}
