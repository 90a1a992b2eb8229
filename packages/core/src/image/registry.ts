// A client of the OCI distribution API (`/v2/`) for one registry: Basic or Bearer auth as the registry's
// `WWW-Authenticate` asks, manifests and blobs by digest, uploads (POST, PATCH, PUT) and cross-repository
// mounts. TLS is verified unless the registry is one of the caller's insecure (loopback) registries.
// Every credential and token it sees is redacted from the errors it throws.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { ContinuumError } from '../errors';
import { redact } from '../http/errors';
import type { RegistryCredentials } from './credentials';
import { apiHost } from './reference';

export interface RegistryOptions {
  /** Accept a self-signed certificate (`https`) or speak plain `http` when the entry says `http://`. */
  insecure?: 'tls' | 'http';
  /** A private certificate authority (PEM) to trust besides the usual ones, with verification on. */
  ca?: string;
  credentials: () => Promise<RegistryCredentials | undefined>;
  /** Shared with the caller, who redacts its own messages with it. */
  secrets: Set<string>;
}

export interface Manifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"` as a scheme and parameters. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const part of match[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[part[1]!.toLowerCase()] = (part[2] ?? part[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

interface Call {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT';
  /** A path under the registry (`/v2/…`) or an absolute URL (an upload's Location). */
  url: string;
  /** The repository scopes this call needs, for a Bearer token (`repository:fn:pull,push`). */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export class Registry {
  readonly host: string;
  private readonly origin: string;
  private readonly dispatcher: Agent;
  /** Token servers elsewhere are always verified, whatever this registry's own setting. */
  private readonly verified: Agent;
  private challenge?: Challenge;
  private readonly authorizations = new Map<string, string>();
  private credentials?: Promise<RegistryCredentials | undefined>;

  constructor(
    readonly registry: string,
    private readonly options: RegistryOptions,
  ) {
    this.host = apiHost(registry);
    this.origin = `${options.insecure === 'http' ? 'http' : 'https'}://${this.host}`;
    this.dispatcher = new Agent({
      connect: {
        rejectUnauthorized: options.insecure === undefined,
        ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
      },
      keepAliveTimeout: 4_000,
    });
    this.verified = new Agent({ connect: options.ca ? { ca: [...rootCertificates, options.ca] } : {} });
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.verified.close()]);
  }

  private redacted(text: string): string {
    return redact(
      text,
      [...this.options.secrets].sort((a, b) => b.length - a.length),
    );
  }

  fail(what: string, detail: string, cause?: unknown): ContinuumError {
    return new ContinuumError('CONTINUUM_IMAGE', this.redacted(`${what} at ${this.registry}: ${detail}`), {
      cause,
    });
  }

  private async raw(call: Call, authorization: string | undefined): Promise<Answer> {
    const dispatcher = this.dispatcher;
    const url = new URL(call.url, this.origin);
    const sameHost = url.host === new URL(this.origin).host;
    const headers: Record<string, string> = { ...call.headers };
    if (authorization && sameHost) headers.authorization = authorization;
    let body: Buffer | Readable | undefined;
    if (Buffer.isBuffer(call.body)) body = call.body;
    else if (call.body) body = call.body();
    try {
      const answer = await request(url, {
        method: call.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(sameHost ? { dispatcher } : {}),
        headersTimeout: 60_000,
        bodyTimeout: 300_000,
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.body };
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      throw this.fail(
        `${call.method} ${url.pathname}`,
        `${code ?? ''} ${(error as Error).message}`.trim(),
        error,
      );
    }
  }

  private scopeKey(scopes: string[]): string {
    return [...scopes].sort().join(' ');
  }

  private async authorize(challenge: Challenge, scopes: string[]): Promise<string> {
    this.credentials ??= this.options.credentials();
    const credentials = await this.credentials;
    if (challenge.scheme === 'basic') {
      if (!credentials || !('password' in credentials)) {
        throw this.fail(
          'login',
          'the registry asks for a user and password, and none is configured (docker login, or the Docker credentials file)',
        );
      }
      const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      this.options.secrets.add(basic);
      return `Basic ${basic}`;
    }
    const realm = challenge.params.realm;
    if (!realm) throw this.fail('login', 'the Bearer challenge names no realm');
    const tokenUrl = new URL(realm);
    const dispatcher = this.dispatcher;
    const sameHost = tokenUrl.host === this.host;
    let answer: Dispatcher.ResponseData;
    try {
      if (credentials && 'identityToken' in credentials) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: credentials.identityToken,
          client_id: 'serverless-continuum',
        });
        if (challenge.params.service) form.set('service', challenge.params.service);
        if (scopes.length) form.set('scope', scopes.join(' '));
        answer = await request(tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          dispatcher: sameHost ? dispatcher : this.verified,
        });
      } else {
        if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
        for (const scope of scopes) tokenUrl.searchParams.append('scope', scope);
        const headers: Record<string, string> = {};
        if (credentials) {
          const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
          this.options.secrets.add(basic);
          headers.authorization = `Basic ${basic}`;
        }
        answer = await request(tokenUrl, { headers, dispatcher: sameHost ? dispatcher : this.verified });
      }
    } catch (error) {
      throw this.fail(
        'token',
        `the token server ${tokenUrl.origin} did not answer: ${(error as Error).message}`,
        error,
      );
    }
    const text = await answer.body.text();
    if (answer.statusCode !== 200) {
      throw this.fail(
        'token',
        `the token server ${tokenUrl.origin} answered ${answer.statusCode}${credentials ? ' (are the credentials right?)' : ' to an anonymous request'}`,
      );
    }
    let token: string | undefined;
    try {
      const parsed = JSON.parse(text) as { token?: string; access_token?: string };
      token = parsed.token ?? parsed.access_token;
    } catch {
      token = undefined;
    }
    if (!token) throw this.fail('token', 'the token server gave no token');
    this.options.secrets.add(token);
    return `Bearer ${token}`;
  }

  /** One call, authenticated as the registry asks (one retry after a 401 with a fresh authorization). */
  async call(call: Call): Promise<Answer> {
    const key = this.scopeKey(call.scopes);
    let authorization = this.authorizations.get(key);
    if (!authorization && this.challenge) {
      authorization = await this.authorize(this.challenge, call.scopes);
      this.authorizations.set(key, authorization);
    }
    const first = await this.raw(call, authorization);
    if (first.status !== 401) return first;
    await first.body.dump();
    const header = first.headers['www-authenticate'];
    const challenge = parseChallenge(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''));
    if (!challenge)
      throw this.fail(`${call.method} ${call.url}`, '401 with no usable WWW-Authenticate challenge');
    this.challenge = challenge;
    authorization = await this.authorize(challenge, call.scopes);
    this.authorizations.set(key, authorization);
    const second = await this.raw(call, authorization);
    if (second.status === 401 || second.status === 403) {
      await second.body.dump();
      throw this.fail(
        `${call.method} ${new URL(call.url, this.origin).pathname}`,
        `${second.status}: access denied for ${call.scopes.join(', ')}`,
      );
    }
    return second;
  }

  private async refused(call: Call, answer: Answer): Promise<ContinuumError> {
    const text = (await answer.body.text()).slice(0, 500);
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = parsed.errors?.[0];
      if (first) detail = `${first.code ?? ''}: ${first.message ?? ''}`;
    } catch {
      // not JSON: keep the text
    }
    return this.fail(
      `${call.method} ${new URL(call.url, this.origin).pathname}`,
      `${answer.status} ${detail}`.trim(),
    );
  }

  async manifest(repository: string, reference: string): Promise<Manifest> {
    const call: Call = {
      method: 'GET',
      url: `/v2/${repository}/manifests/${reference}`,
      scopes: [`repository:${repository}:pull`],
      headers: { accept: MANIFEST_TYPES.join(', ') },
    };
    const answer = await this.call(call);
    if (answer.status === 404) {
      await answer.body.dump();
      throw this.fail('pull', `${repository}:${reference} is not there (404)`);
    }
    if (answer.status !== 200) throw await this.refused(call, answer);
    const bytes = Buffer.from(await answer.body.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw this.fail('pull', `the manifest of ${repository}@${reference} has the digest ${digest}`);
    }
    const header = answer.headers['content-type'];
    const contentType = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim();
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    return { mediaType: declared ?? contentType ?? MANIFEST_TYPES[0]!, digest, bytes };
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const call: Call = {
      method: 'HEAD',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [`repository:${repository}:pull`],
    };
    const answer = await this.call(call);
    await answer.body.dump();
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw this.fail(`HEAD /v2/${repository}/blobs/${digest}`, String(answer.status));
  }

  /** Downloads a blob to `file`, checking its digest; follows a redirect to storage (without our credentials). */
  async downloadBlob(
    repository: string,
    digest: string,
    file: string,
    onBytes?: (bytes: number) => void,
  ): Promise<void> {
    let call: Call = {
      method: 'GET',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [`repository:${repository}:pull`],
    };
    let answer = await this.call(call);
    for (let hops = 0; [301, 302, 303, 307, 308].includes(answer.status) && hops < 5; hops++) {
      await answer.body.dump();
      const location = answer.headers.location;
      const next = new URL(
        String(Array.isArray(location) ? location[0] : location),
        new URL(call.url, this.origin),
      );
      call = { ...call, url: next.toString() };
      answer = await this.raw(call, undefined);
    }
    if (answer.status !== 200) throw await this.refused(call, answer);
    const hash = createHash('sha256');
    const out = createWriteStream(file);
    for await (const chunk of answer.body) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      onBytes?.(bytes.length);
      if (!out.write(bytes)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest)
      throw this.fail('pull', `the blob ${digest} of ${repository} arrived with the digest ${got}`);
  }

  /** Links a blob from another repository of this registry without sending it; false when the registry would not. */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const scopes = [`repository:${repository}:pull,push`, `repository:${from}:pull`];
    const url = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const call: Call = { method: 'POST', url, scopes, headers: { 'content-length': '0' } };
    const answer = await this.call(call);
    await answer.body.dump();
    // 202: the registry opened an ordinary upload instead; it expires on its own.
    return answer.status === 201;
  }

  /** Uploads a blob: POST opens the upload, one PATCH streams it whole, PUT closes it with the digest. */
  async uploadBlob(repository: string, digest: string, size: number, open: () => Readable): Promise<void> {
    const scopes = [`repository:${repository}:pull,push`];
    const start: Call = {
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/`,
      scopes,
      headers: { 'content-length': '0' },
    };
    const started = await this.call(start);
    if (started.status !== 202) throw await this.refused(start, started);
    await started.body.dump();
    const location = (): string => {
      const value = started.headers.location;
      const text = Array.isArray(value) ? value[0] : value;
      if (!text) throw this.fail(`upload to ${repository}`, 'the registry gave no upload location');
      return text;
    };
    const upload = new URL(location(), this.origin);
    const patch: Call = {
      method: 'PATCH',
      url: upload.toString(),
      scopes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: open,
    };
    const patched = await this.call(patch);
    if (patched.status !== 202) throw await this.refused(patch, patched);
    await patched.body.dump();
    const next = patched.headers.location;
    const finish = new URL(String((Array.isArray(next) ? next[0] : next) ?? upload.toString()), this.origin);
    finish.searchParams.set('digest', digest);
    const put: Call = { method: 'PUT', url: finish.toString(), scopes, headers: { 'content-length': '0' } };
    const done = await this.call(put);
    if (done.status !== 201) throw await this.refused(put, done);
    await done.body.dump();
  }

  async putManifest(repository: string, reference: string, manifest: Manifest): Promise<void> {
    const call: Call = {
      method: 'PUT',
      url: `/v2/${repository}/manifests/${reference}`,
      scopes: [`repository:${repository}:pull,push`],
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    };
    const answer = await this.call(call);
    if (answer.status !== 201 && answer.status !== 200) throw await this.refused(call, answer);
    await answer.body.dump();
  }

  /** Whether the registry has this manifest already (HEAD), so a re-push sends nothing. */
  async hasManifest(repository: string, reference: string): Promise<boolean> {
    const call: Call = {
      method: 'HEAD',
      url: `/v2/${repository}/manifests/${reference}`,
      scopes: [`repository:${repository}:pull,push`],
      headers: { accept: MANIFEST_TYPES.join(', ') },
    };
    const answer = await this.call(call);
    await answer.body.dump();
    return answer.status === 200;
  }
}
