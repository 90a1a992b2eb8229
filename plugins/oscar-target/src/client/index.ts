// The OSCAR REST client (types.ts): OSCAR's API over core's HTTP client, with what the API document leaves
// out handled here (empty 201 on create, Bearer-only /run and /job, two logs shapes, renamed fields).
import {
  createHttpClient,
  HttpError,
  type HttpMethod,
  type HttpRequestOptions,
  type HttpResponse,
} from '@serverless-continuum/core/http';
import { credentials } from './auth';
import { OscarHttpError, oscarError, redact, secretForms } from './errors';
import type { OscarClient, OscarClientOptions, OscarJobs, OscarService } from './types';

export type { OscarAuth, OscarClient, OscarClientOptions, OscarJobs, OscarService } from './types';
export { OscarHttpError, type OscarFailure } from './errors';

/** Keys of /system/config whose values are credentials: config() drops them wherever they are. */
const CREDENTIAL_KEY = /secret|password|passwd|access_key|accesskey|token|credential|private_key/i;

function withoutCredentials(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCredentials);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !CREDENTIAL_KEY.test(key))
      .map(([key, inner]) => [key, withoutCredentials(inner)]),
  );
}

/** `environment.Variables` (OSCAR before v3.4) read as `environment.variables`. */
function normalizeService(raw: unknown): OscarService {
  const service = { ...(raw as OscarService) };
  const environment = service.environment as Record<string, unknown> | undefined;
  if (environment && typeof environment === 'object' && 'Variables' in environment) {
    const { Variables, ...rest } = environment;
    const variables = { ...(Variables as object), ...((rest.variables as object | undefined) ?? {}) };
    service.environment = { ...rest, variables };
  }
  return service;
}

function jobsOf(body: unknown): OscarJobs {
  const value = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  // Since v3.6.4 `{jobs, next_page, remaining_jobs}`; before, the map of jobs itself.
  const paged = value.jobs !== undefined && typeof value.jobs === 'object' && value.jobs !== null;
  const jobs = (paged ? value.jobs : value) as OscarJobs['jobs'];
  const next = paged ? value.next_page : undefined;
  return { jobs: { ...jobs }, ...(typeof next === 'string' && next ? { nextPage: next } : {}) };
}

/** The answer of /run as bytes: base64 as OSCAR encodes output files; anything else (the logs) as its text. */
function decodeRun(text: string): Buffer {
  // Only line breaks may wrap base64; a text with spaces is the logs (no output file), kept as they are.
  const compact = text.replace(/\r?\n/g, '').trim();
  if (compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact))
    return Buffer.from(compact, 'base64');
  return Buffer.from(text, 'utf8');
}

export function createOscarClient(options: OscarClientOptions): OscarClient {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const log = options.log ?? (() => {});
  const secrets = new Set<string>();
  const remember = (secret: string | undefined): void => {
    if (secret) for (const form of secretForms(secret)) secrets.add(form);
  };
  const { auth } = options;
  if (auth.kind === 'basic') {
    remember(auth.password);
    remember(`${auth.username}:${auth.password}`);
  } else if (auth.kind === 'token') remember(auth.token);
  else {
    remember(auth.refreshToken);
    remember(auth.token);
  }
  const say = (line: string): void => log(redact(line, secrets));
  const creds = credentials(auth, {
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    log: say,
    secrets,
  });
  // Authorization travels per call (provider.auth on /system/*, the service token on /run and /job), so the
  // HTTP client itself has none.
  const http = createHttpClient({
    url: endpoint,
    tlsVerify: options.verifyTls !== false,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    retries: 2,
    backoffMs: 200,
    name: 'OSCAR',
  });

  interface Call {
    call: string;
    service?: string;
    method: HttpMethod;
    path: string;
    request?: HttpRequestOptions;
    /** Statuses that are answers, not failures (404 on a read). */
    accept?: number[];
    /** /run and /job: this Bearer token instead of provider.auth, and no refresh. */
    serviceToken?: string;
  }

  async function send<T>(c: Call): Promise<HttpResponse<T> | { status: number; body: undefined }> {
    const context = {
      call: c.call,
      endpoint,
      ...(c.service === undefined ? {} : { service: c.service }),
      ...(c.serviceToken === undefined ? {} : { serviceToken: true }),
    };
    const attempt = async (): Promise<HttpResponse<T>> => {
      const authorization = c.serviceToken === undefined ? await creds.header() : `Bearer ${c.serviceToken}`;
      const started = Date.now();
      const response = await http.request<T>(c.method, c.path, {
        ...c.request,
        headers: { ...c.request?.headers, authorization },
      });
      say(`OSCAR ${c.method} ${c.path} ${response.status} (${Date.now() - started} ms)`);
      return response;
    };
    const settle = (error: unknown): { status: number; body: undefined } => {
      if (error instanceof HttpError && error.status !== undefined && c.accept?.includes(error.status)) {
        say(`OSCAR ${c.method} ${c.path} ${error.status}`);
        return { status: error.status, body: undefined };
      }
      throw oscarError(error, context, secrets);
    };
    try {
      return await attempt();
    } catch (error) {
      // Only the cluster's 401 (not the token endpoint's own refusal) is worth a new token.
      const refused = error instanceof HttpError && error.status === 401;
      if (refused && c.serviceToken === undefined && auth.kind === 'refresh') {
        say(`OSCAR ${c.method} ${c.path} 401: refreshing the access token and trying once more`);
        await creds.renew();
        try {
          return await attempt();
        } catch (again) {
          return settle(again);
        }
      }
      return settle(error);
    }
  }

  const servicePath = (name: string): string => `/system/services/${encodeURIComponent(name)}`;
  const asObject = (body: unknown, call: string): Record<string, unknown> => {
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    throw new OscarHttpError(
      'body',
      call,
      `${call}: ${endpoint} answered something other than a JSON object`,
    );
  };

  async function readConfig(): Promise<Record<string, unknown>> {
    const call = 'cluster config';
    const response = await send<unknown>({ call, method: 'GET', path: '/system/config' });
    const config = asObject(response.body, call);
    const minio = config.minio_provider as Record<string, unknown> | undefined;
    for (const key of ['access_key', 'secret_key'])
      if (typeof minio?.[key] === 'string') remember(minio[key] as string);
    return config;
  }

  const client: OscarClient = {
    async info() {
      const response = await send<unknown>({ call: 'cluster info', method: 'GET', path: '/system/info' });
      return asObject(response.body, 'cluster info');
    },

    async config() {
      return withoutCredentials(await readConfig()) as Record<string, unknown>;
    },

    async minio() {
      const minio = (await readConfig()).minio_provider as Record<string, unknown> | undefined;
      const endpointOf = minio?.endpoint;
      if (!minio || typeof endpointOf !== 'string' || !endpointOf) {
        throw new OscarHttpError(
          'body',
          'cluster config',
          `cluster config: ${endpoint} names no MinIO provider (minio_provider) — is your user allowed to use the cluster's storage?`,
        );
      }
      return {
        endpoint: endpointOf,
        region: typeof minio.region === 'string' && minio.region ? minio.region : 'us-east-1',
        accessKey: String(minio.access_key ?? ''),
        secretKey: String(minio.secret_key ?? ''),
        verify: minio.verify !== false,
      };
    },

    async listServices() {
      const response = await send<unknown>({
        call: 'list of services',
        method: 'GET',
        path: '/system/services',
      });
      const list = response.body ?? [];
      if (!Array.isArray(list))
        throw new OscarHttpError(
          'body',
          'list of services',
          `list of services: ${endpoint} answered something other than a list`,
        );
      for (const service of list) remember((service as OscarService).token);
      return list.map(normalizeService);
    },

    async getService(name) {
      const response = await send<unknown>({
        call: `read of service ${name}`,
        service: name,
        method: 'GET',
        path: servicePath(name),
        accept: [404],
      });
      if (response.status === 404) return undefined;
      const service = normalizeService(asObject(response.body, `read of service ${name}`));
      remember(service.token);
      return service;
    },

    async createService(service) {
      const { token: _token, ...definition } = service;
      const call = `create of service ${service.name}`;
      // 201 with an empty body: the token OSCAR generated is only learned by reading the service back.
      await send({
        call,
        service: service.name,
        method: 'POST',
        path: '/system/services',
        request: { json: definition },
      });
      const created = await client.getService(service.name);
      if (!created) {
        throw new OscarHttpError(
          'not-found',
          call,
          `${call}: ${endpoint} answered 201 Created but then does not know the service — try sls deploy again`,
          { service: service.name },
        );
      }
      return created;
    },

    async updateService(service) {
      const { token: _token, ...definition } = service;
      await send({
        call: `update of service ${service.name}`,
        service: service.name,
        method: 'PUT',
        path: '/system/services',
        request: { json: definition },
      });
    },

    async deleteService(name) {
      const response = await send({
        call: `delete of service ${name}`,
        service: name,
        method: 'DELETE',
        path: servicePath(name),
        accept: [404],
      });
      return response.status !== 404;
    },

    async run(name, token, input) {
      remember(token);
      const response = await send<unknown>({
        call: `run of service ${name}`,
        service: name,
        method: 'POST',
        path: `/run/${encodeURIComponent(name)}`,
        serviceToken: token,
        request: {
          body: input.toString('base64'),
          headers: { 'content-type': 'application/octet-stream', accept: '*/*' },
          // A run has effects (uploads, a script that writes): never repeated by the client.
          retry: false,
        },
      });
      const body = response.body;
      return decodeRun(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
    },

    async job(name, token, input) {
      remember(token);
      await send({
        call: `job of service ${name}`,
        service: name,
        method: 'POST',
        path: `/job/${encodeURIComponent(name)}`,
        serviceToken: token,
        request: {
          body: input.toString('base64'),
          headers: { 'content-type': 'application/octet-stream', accept: '*/*' },
          retry: false,
        },
      });
    },

    async jobs(name, page) {
      const response = await send<unknown>({
        call: `jobs of service ${name}`,
        service: name,
        method: 'GET',
        path: `/system/logs/${encodeURIComponent(name)}`,
        ...(page === undefined ? {} : { request: { query: { page } } }),
      });
      return jobsOf(response.body);
    },

    async jobLog(name, job) {
      const response = await send<unknown>({
        call: `log of job ${job} of service ${name}`,
        service: name,
        method: 'GET',
        path: `/system/logs/${encodeURIComponent(name)}/${encodeURIComponent(job)}`,
        request: { headers: { accept: 'text/plain' } },
      });
      const body = response.body;
      return typeof body === 'string' ? body : JSON.stringify(body ?? '');
    },
  };
  return client;
}
