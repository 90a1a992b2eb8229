// A small stateful in-memory OSCAR for the tests: the REST API of OSCAR v4.1.2 as the API document and
// test/fixtures/oscar/README.md describe it (201 with an empty body, Bearer-only /run and /job, bucket deletion).
//
// The service "script" stand-in: /run and /job do not run the script. They answer the input upper-cased (ASCII),
// or reversed byte by byte when the service's script contains the word `rev`, and a job's log reads
// `job <name>: <n> bytes in\n<output>\n`.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { listenLoopback, readBody } from '../loopback';

export interface FakeService {
  name: string;
  image: string;
  script?: string;
  token: string;
  [field: string]: unknown;
}

export interface FakeJob {
  status: string;
  creation_time: string;
  start_time?: string;
  finish_time?: string;
  log: string;
}

/** An answer the fake gives instead of its own, to a request `match` picks (every request when omitted). */
export interface FakeFault {
  /** The status to answer with; omitted with `delayMs`: the request is answered normally, late. */
  status?: number;
  body?: string;
  /** Waits this long before answering (a slow cluster; longer than the client's timeout: a timeout). */
  delayMs?: number;
  /** How many requests it applies to; 1 when omitted. */
  times?: number;
  match?: (method: string, path: string) => boolean;
  /** The fault's Content-Type; plain text when omitted. */
  contentType?: string;
  /** Not marked as asked for: the contract checks it as an answer of OSCAR's (its self-test's bad answer). */
  asOscar?: boolean;
}

export interface FakeOscarOptions {
  /** The Basic credentials /system/* accepts; `oscar` / `oscar-password` when omitted. */
  username?: string;
  password?: string;
  /** An OIDC access token /system/*, /run and /job accept (e.g. the loopback OIDC endpoint's `accepts`). */
  acceptToken?: (token: string) => boolean;
  /** `/system/logs/{name}`: `paged` (`{jobs, next_page}`, v3.6.4 and later) or `bare` (a map of jobs, before). */
  logsShape?: 'paged' | 'bare';
  /** Jobs per page of `/system/logs/{name}` in the paged shape; 50 when omitted. */
  pageSize?: number;
  /** The status a name that exists gets on create: 400 on v4 (default), 409 on v3. */
  existsStatus?: 400 | 409;
  /** GET answers `environment.Variables` (OSCAR before v3.4) instead of `environment.variables`. */
  legacyEnvironment?: boolean;
  /** The MinIO provider /system/config returns (credentials included, as OSCAR does). */
  minio?: { endpoint: string; region: string; access_key: string; secret_key: string; verify: boolean };
  /** Serve https with this key and certificate (PEM) instead of http. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface FakeRequest {
  method: string;
  path: string;
  /** The scheme of the Authorization header: what the fake saw, never the credential. */
  auth: 'basic' | 'bearer' | 'none' | 'other';
  status: number;
}

export interface FakeOscar {
  endpoint: string;
  readonly services: Map<string, FakeService>;
  /** Jobs by service name, then job name. */
  readonly jobs: Map<string, Map<string, FakeJob>>;
  /** Every MinIO bucket a DELETE of a service removed, in order. */
  readonly deletedBuckets: string[];
  /** Every request answered, in order. */
  readonly requests: FakeRequest[];
  /** Options that tests may change between calls (e.g. `logsShape`). */
  readonly options: Required<Pick<FakeOscarOptions, 'logsShape' | 'pageSize' | 'existsStatus'>> &
    Pick<FakeOscarOptions, 'legacyEnvironment'>;
  readonly minio: NonNullable<FakeOscarOptions['minio']>;
  readonly username: string;
  readonly password: string;
  /** Queues a fault; faults apply in the order queued. */
  fail(fault: FakeFault): void;
  /** Forgets services, jobs, deleted buckets, requests and faults. */
  reset(): void;
  close(): Promise<void>;
}

/** The header on an answer a test asked for that the API document does not describe (the contract tolerates it). */
export const OFF_DOCUMENT_HEADER = 'x-fake-oscar-off-document';

const INFO = {
  version: 'v4.1.2',
  git_commit: '185a980',
  architecture: 'amd64',
  kubernetes_version: 'v1.29.4',
  serverless_backend: { name: 'Knative', version: '1.13.1' },
};

function equalSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The MinIO buckets a service's input/output/mount name (`minio.*` providers only): the path's first segment. */
export function serviceBuckets(service: Record<string, unknown>): string[] {
  const ios = [
    ...(Array.isArray(service.input) ? service.input : []),
    ...(Array.isArray(service.output) ? service.output : []),
    ...(service.mount && typeof service.mount === 'object' ? [service.mount] : []),
  ] as Array<{ storage_provider?: unknown; path?: unknown }>;
  const buckets = ios
    .filter((io) => typeof io.storage_provider === 'string' && io.storage_provider.startsWith('minio'))
    .map(
      (io) =>
        String(io.path ?? '')
          .replace(/^\/+/, '')
          .split('/')[0] ?? '',
    )
    .filter(Boolean);
  return [...new Set(buckets)];
}

function standIn(service: FakeService, input: Buffer): Buffer {
  if (/\brev\b/.test(service.script ?? '')) return Buffer.from(input).reverse();
  return Buffer.from(input.toString('latin1').toUpperCase(), 'latin1');
}

export async function startFakeOscar(options: FakeOscarOptions = {}): Promise<FakeOscar> {
  const username = options.username ?? 'oscar';
  const password = options.password ?? 'oscar-password';
  const minio = options.minio ?? {
    endpoint: 'http://127.0.0.1:9000',
    region: 'us-east-1',
    access_key: 'minio-access-key',
    secret_key: 'minio-secret-key-do-not-print',
    verify: true,
  };
  const state = {
    logsShape: options.logsShape ?? 'paged',
    pageSize: options.pageSize ?? 50,
    existsStatus: options.existsStatus ?? 400,
    ...(options.legacyEnvironment === undefined ? {} : { legacyEnvironment: options.legacyEnvironment }),
  };
  const services = new Map<string, FakeService>();
  const jobs = new Map<string, Map<string, FakeJob>>();
  const deletedBuckets: string[] = [];
  const requests: FakeRequest[] = [];
  let faults: Array<FakeFault & { left: number }> = [];

  const authOf = (req: IncomingMessage): { scheme: FakeRequest['auth']; value: string } => {
    const header = req.headers.authorization ?? '';
    const [scheme = '', ...rest] = header.split(' ');
    const value = rest.join(' ').trim();
    if (!header) return { scheme: 'none', value };
    if (/^basic$/i.test(scheme)) return { scheme: 'basic', value };
    if (/^bearer$/i.test(scheme)) return { scheme: 'bearer', value };
    return { scheme: 'other', value };
  };

  const oidcAccepts = (token: string): boolean => Boolean(token && options.acceptToken?.(token));

  const systemAllowed = (auth: { scheme: FakeRequest['auth']; value: string }): boolean => {
    if (auth.scheme === 'basic') {
      const decoded = Buffer.from(auth.value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return (
        colon > 0 &&
        equalSecret(decoded.slice(0, colon), username) &&
        equalSecret(decoded.slice(colon + 1), password)
      );
    }
    return auth.scheme === 'bearer' && oidcAccepts(auth.value);
  };

  const takeFault = (method: string, path: string): FakeFault | undefined => {
    const fault = faults.find((f) => f.left > 0 && (!f.match || f.match(method, path)));
    if (!fault) return undefined;
    fault.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return fault;
  };

  const shown = (service: FakeService): Record<string, unknown> => {
    if (!state.legacyEnvironment) return service;
    const environment = service.environment as { variables?: unknown; secrets?: unknown } | undefined;
    if (!environment?.variables) return service;
    const { variables, ...rest } = environment;
    return { ...service, environment: { ...rest, Variables: variables } };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://oscar.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const body = await readBody(req);
    const fault = takeFault(method, path);
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (res.destroyed) return 0;
    const text = (status: number, content = '', type = 'text/plain; charset=utf-8'): number => {
      // OSCAR's empty answers (201, 204, 404) carry no body and so no content type.
      res.writeHead(status, content ? { 'content-type': type } : {}).end(content);
      return status;
    };
    // Answers a test asked for outside the v4.1.2 document (an injected fault, v3's 409) say so, for the contract.
    const offDocument = (): void => void res.setHeader(OFF_DOCUMENT_HEADER, 'asked-for');
    const json = (status: number, value: unknown): number =>
      text(status, JSON.stringify(value), 'application/json; charset=utf-8');
    if (fault?.status) {
      if (!fault.asOscar) offDocument();
      return text(fault.status, fault.body ?? '', fault.contentType);
    }

    const auth = authOf(req);
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);

    if (path === '/health') return text(200, 'Ok');

    if (parts[0] === 'run' || parts[0] === 'job') {
      const service = services.get(parts[1] ?? '');
      if (parts.length !== 2 || method !== 'POST') return text(404);
      // OSCAR answers Basic on /run and /job with 401: only the service token or an OIDC token opens them.
      const allowed =
        auth.scheme === 'bearer' &&
        ((service !== undefined && equalSecret(auth.value, service.token)) || oidcAccepts(auth.value));
      if (!allowed) return text(401, 'Unauthorized');
      if (!service) return text(404);
      const input = Buffer.from(body.toString('utf8').trim(), 'base64');
      const output = standIn(service, input);
      if (parts[0] === 'run') return text(200, output.toString('base64'));
      const name = `${service.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const now = new Date().toISOString();
      const log = `job ${name}: ${input.length} bytes in\n${output.toString('utf8')}\n`;
      const list = jobs.get(service.name) ?? new Map<string, FakeJob>();
      list.set(name, { status: 'Succeeded', creation_time: now, start_time: now, finish_time: now, log });
      jobs.set(service.name, list);
      return text(201);
    }

    if (parts[0] !== 'system') return text(404);
    if (!systemAllowed(auth)) {
      res.setHeader('www-authenticate', 'Basic realm="Authorization Required"');
      return text(401);
    }

    if (path === '/system/info' && method === 'GET') return json(200, INFO);
    if (path === '/system/config' && method === 'GET') {
      return json(200, {
        config: {
          name: 'oscar',
          namespace: 'oscar',
          services_namespace: 'oscar-svc',
          serverless_backend: 'knative',
          gpu_available: false,
          interLink_available: false,
          yunikorn_enable: false,
          oidc_groups: ['urn:mace:egi.eu:group:vo.example.eu'],
        },
        minio_provider: minio,
        allowed_image_repositories: [],
      });
    }

    if (path === '/system/services') {
      if (method === 'GET') return json(200, [...services.values()].map(shown));
      let service: Record<string, unknown>;
      try {
        service = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return text(400, 'The service specification is not valid JSON');
      }
      const name = typeof service.name === 'string' ? service.name : '';
      if (!name || typeof service.image !== 'string') return text(400, 'name and image are required');
      const existing = services.get(name);
      if (method === 'POST') {
        if (existing) {
          if (state.existsStatus !== 400) offDocument();
          return text(state.existsStatus, `A service with the name "${name}" already exists`);
        }
        const owner = auth.scheme === 'basic' ? 'cluster_admin' : 'oidc-user@egi.eu';
        services.set(name, {
          ...service,
          name,
          image: service.image,
          token: randomBytes(32).toString('hex'),
          owner,
        });
        return text(201);
      }
      if (method === 'PUT') {
        if (!existing) return text(404);
        services.set(name, {
          ...service,
          name,
          image: service.image,
          token: existing.token,
          owner: existing.owner,
        });
        return text(204);
      }
      return text(405);
    }

    if (parts[1] === 'services' && parts.length === 3) {
      const name = parts[2] ?? '';
      const service = services.get(name);
      if (!service) return text(404);
      if (method === 'GET') return json(200, shown(service));
      if (method === 'DELETE') {
        services.delete(name);
        jobs.delete(name);
        deletedBuckets.push(...serviceBuckets(service));
        return text(204);
      }
      return text(405);
    }

    if (parts[1] === 'logs' && (parts.length === 3 || parts.length === 4) && method === 'GET') {
      const name = parts[2] ?? '';
      if (!services.has(name)) return text(404);
      const list = jobs.get(name) ?? new Map<string, FakeJob>();
      if (parts.length === 4) {
        const job = list.get(parts[3] ?? '');
        return job ? text(200, job.log) : text(404);
      }
      const entries = [...list.entries()].map(
        ([job, { log: _log, ...info }]) => [job, info] as [string, Omit<FakeJob, 'log'>],
      );
      if (state.logsShape === 'bare') return json(200, Object.fromEntries(entries));
      const start = Number(url.searchParams.get('page') ?? '0') || 0;
      const page = entries.slice(start, start + state.pageSize);
      const next = start + state.pageSize;
      return json(200, {
        jobs: Object.fromEntries(page),
        ...(next < entries.length ? { next_page: String(next), remaining_jobs: entries.length - next } : {}),
      });
    }
    return text(404);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://oscar.invalid').pathname;
    const auth = authOf(req).scheme;
    handle(req, res).then(
      (status) => requests.push({ method, path, auth, status }),
      () => {
        requests.push({ method, path, auth, status: 500 });
        if (!res.headersSent) res.writeHead(500).end('fake OSCAR failed');
      },
    );
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  const loopback = await listenLoopback(server);

  return {
    endpoint: options.tls ? loopback.endpoint.replace(/^http:/, 'https:') : loopback.endpoint,
    services,
    jobs,
    deletedBuckets,
    requests,
    options: state,
    minio,
    username,
    password,
    fail(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    reset() {
      services.clear();
      jobs.clear();
      deletedBuckets.length = 0;
      requests.length = 0;
      faults = [];
    },
    close: () => loopback.close(),
  };
}
