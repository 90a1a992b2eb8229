// A loopback OIDC token endpoint (the refresh-token grant only, as EGI Check-in serves it): it issues access
// tokens the fake OSCAR accepts (`accepts`), and can expire them to make the cluster answer 401.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { listenLoopback, readBody } from '../loopback';

export interface OidcOptions {
  /** The refresh token it honours; `refresh-token-<random>` when omitted. */
  refreshToken?: string;
  /** When given, a request must name this client_id. */
  clientId?: string;
  /** `expires_in` of each access token, in seconds; 300 when omitted. */
  expiresIn?: number;
}

export interface LoopbackOidc {
  /** The URL to POST `grant_type=refresh_token&refresh_token=...` to. */
  tokenEndpoint: string;
  refreshToken: string;
  /** Every access token issued, in order. */
  readonly issued: string[];
  /** How many token requests it answered with a token. */
  readonly refreshes: number;
  /** Whether `token` is an access token it issued that has not expired. */
  accepts(token: string): boolean;
  /** Expires one access token, or every one issued so far. */
  expire(token?: string): void;
  close(): Promise<void>;
}

export async function startOidc(options: OidcOptions = {}): Promise<LoopbackOidc> {
  const refreshToken = options.refreshToken ?? `refresh-token-${randomBytes(12).toString('hex')}`;
  const expiresIn = options.expiresIn ?? 300;
  const issued: string[] = [];
  const live = new Set<string>();
  let refreshes = 0;

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const answer = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(value));
      };
      const form = new URLSearchParams(raw.toString('utf8'));
      if (req.method !== 'POST' || !/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        return answer(400, { error: 'invalid_request', error_description: 'POST a form' });
      }
      if (form.get('grant_type') !== 'refresh_token') return answer(400, { error: 'unsupported_grant_type' });
      if (options.clientId !== undefined && form.get('client_id') !== options.clientId)
        return answer(401, { error: 'invalid_client' });
      if (form.get('refresh_token') !== refreshToken)
        return answer(400, { error: 'invalid_grant', error_description: 'the refresh token is not valid' });
      const token = `access-${randomBytes(16).toString('hex')}`;
      issued.push(token);
      live.add(token);
      refreshes += 1;
      answer(200, { access_token: token, expires_in: expiresIn, token_type: 'Bearer' });
    });
  });
  const loopback = await listenLoopback(server);
  return {
    tokenEndpoint: `${loopback.endpoint}/oidc/token`,
    refreshToken,
    issued,
    get refreshes() {
      return refreshes;
    },
    accepts: (token) => live.has(token),
    expire(token) {
      if (token === undefined) live.clear();
      else live.delete(token);
    },
    close: () => loopback.close(),
  };
}
