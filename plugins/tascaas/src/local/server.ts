// `sls tascaas serve --local`: the whole service on loopback — API, dispatcher, balancer and monitor — over core's
// local queue and state adapters and a folder for inputs and results, with S3's triggers played by the server.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLocalQueue } from '@serverless-continuum/core/queue';
import { createMemoryStateStore } from '@serverless-continuum/core/state';
import { createLocalStorage, isSafeKey } from '@serverless-continuum/core/storage';
import { leaseSeconds } from '../service/deliveries';
import { authorized, json, text } from '../service/api';
import {
  completeUploadedResult,
  handleApi,
  runMonitor,
  submitUploadedConfig,
  type ApiResponse,
  type JobDefinition,
  type Services,
} from '../service';
import { localLinks } from './links';

export interface LocalServerOptions {
  definitions: JobDefinition[];
  /** Seconds of a capacity-hint period; leases last twice this. */
  scaleTime: number;
  port?: number;
  /** Generated (and printed by the command) when omitted. */
  secret?: string;
  /** Inputs and results live under `<dataDir>/objects/<bucket>/<key>`. */
  dataDir: string;
  log: (line: string) => void;
  /** How often the monitor runs, in ms (default 1000). */
  monitorEveryMs?: number;
}

export interface LocalServer {
  url: string;
  secret: string;
  services: Services;
  close(): Promise<void>;
}

/** API bodies (jobs, not objects) are small. */
const MAX_API_BODY = 1024 * 1024;

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RangeError(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, answer: ApiResponse): void {
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const secret = options.secret ?? randomBytes(18).toString('base64url');
  let url = '';
  const now = () => Date.now();
  const links = localLinks(() => url, secret, now);
  const storage = createLocalStorage(join(options.dataDir, 'objects'));
  const definitions = Object.fromEntries(options.definitions.map((d) => [d.name, d]));
  const services: Services = {
    state: createMemoryStateStore(),
    queues: {},
    storage,
    links,
    definitions,
    secret,
    scaleTime: options.scaleTime,
    now,
    log: options.log,
  };
  for (const definition of options.definitions) {
    const deadLetters = createLocalQueue({ visibilityTimeout: 30 });
    services.queues[definition.name] = {
      partitions: createLocalQueue({
        visibilityTimeout: leaseSeconds(services),
        redrive: { deadLetterQueue: deadLetters, maxReceives: definition.maxAttempts },
      }),
      deadLetters,
    };
  }

  async function objects(request: IncomingMessage, response: ServerResponse, target: URL): Promise<void> {
    const [bucket = '', ...rest] = target.pathname
      .slice('/objects/'.length)
      .split('/')
      .map(decodeURIComponent);
    const key = rest.join('/');
    const method = request.method ?? 'GET';
    if (!isSafeKey(key) || !links.verify(method, bucket, key, target.searchParams, now())) {
      return send(response, text(403, 'Forbidden: the link is not signed for this object, or has expired'));
    }
    if (method === 'GET') {
      const info = await storage.head(bucket, key);
      if (!info) return send(response, text(404, 'NoSuchKey'));
      response.writeHead(200, { 'content-length': String(info.size) });
      (await storage.get(bucket, key)).pipe(response);
      return;
    }
    // A PUT lands whole or not at all (the local adapter writes a temporary file, then renames it).
    await storage.put(bucket, key, request);
    // What S3's notifications do on AWS: a result completes its partition, a *.config starts a job. Done before
    // the answer, so that a status read after the upload sees it; the object is stored whatever happens here.
    try {
      if (key.endsWith('.result')) await completeUploadedResult(services, bucket, key);
      else if (key.endsWith('.config')) await submitUploadedConfig(services, bucket, key);
    } catch (error) {
      options.log(`upload of ${bucket}/${key}: ${String(error)}`);
    }
    send(response, text(200, ''));
  }

  /** `PUT /jobs/inputs/{definition}/{name}`: the CLI's `submit --input FILE` puts the file where programs read it. */
  async function input(request: IncomingMessage, response: ServerResponse, target: URL): Promise<void> {
    if (!authorized(services, request.headers)) {
      return send(response, text(401, 'Unauthorized'));
    }
    const [name = '', ...file] = target.pathname
      .slice('/jobs/inputs/'.length)
      .split('/')
      .map(decodeURIComponent);
    const definition = definitions[name];
    const key = file.join('/');
    if (!definition?.input)
      return send(response, text(400, `job ${name}: no input location in custom.tascaas.${name}`));
    if (!isSafeKey(key))
      return send(response, text(400, `input name ${JSON.stringify(key)}: not a safe object key`));
    await storage.put(definition.input.bucket, definition.input.prefix + key, request);
    // A *.config there starts the job it describes, as its upload to S3 does on AWS.
    const job = key.endsWith('.config')
      ? await submitUploadedConfig(services, definition.input.bucket, definition.input.prefix + key)
      : undefined;
    send(response, json(200, { input: key, ...(job ? { job } : {}) }));
  }

  const server = createServer((request, response) => {
    const target = new URL(request.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (target.pathname.startsWith('/objects/')) return objects(request, response, target);
      if (target.pathname.startsWith('/jobs/inputs/') && request.method === 'PUT') {
        return input(request, response, target);
      }
      const body = request.method === 'POST' ? await readBody(request, MAX_API_BODY) : undefined;
      const answer = await handleApi(services, {
        method: request.method ?? 'GET',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        headers: request.headers as Record<string, string>,
        ...(body ? { body } : {}),
        baseUrl: url,
      });
      send(response, answer);
    };
    handle().catch((error: unknown) => {
      options.log(
        `${request.method} ${target.pathname.split('/').slice(0, 2).join('/')}/...: ${String(error)}`,
      );
      if (!response.headersSent) send(response, text(500, 'internal error'));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let monitoring = false;
  const timer = setInterval(() => {
    if (monitoring) return;
    monitoring = true;
    runMonitor(services)
      .catch((error: unknown) => options.log(`monitor: ${String(error)}`))
      .finally(() => {
        monitoring = false;
      });
  }, options.monitorEveryMs ?? 1000);
  timer.unref();

  return {
    url,
    secret,
    services,
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
