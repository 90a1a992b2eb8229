// A fake tascaas API for the worker's tests: answers the spec's wire (node, lb, upload requests) from a script,
// stores what is PUT to the URLs it hands out, and records every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  at: number;
}

export interface FakeConfig {
  ID: string;
  reportTime: string;
  worker: string;
  'data-url': string;
  nIter: string;
  resumeFrom?: string;
  'checkpoint-url'?: string;
}

export interface FakeScript {
  secret?: string;
  nodeId?: string;
  scaleTime?: number;
  /** requiredCap answered by update and jobs. */
  requiredCap?: string;
  /** Handed out by /jobs, first come first served. */
  configs?: FakeConfig[];
  /** The lb's answer (status and body) to start/report/finish. */
  lb?: (action: string, query: Record<string, string>, id: string) => { status: number; body: string };
  /** Status of the upload requests (200 when omitted). */
  uploadStatus?: number;
}

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** Bodies PUT to the handed-out URLs, by `<ID>/<worker>/<kind>`, and anything the test stores to GET. */
  objects: Map<string, Buffer>;
  script: FakeScript;
  /** The requests to paths starting with this. */
  calls(prefix: string): Recorded[];
  close(): Promise<void>;
}

export const TOKEN = 'Tk3nS3cr3t_zz-Q9aBcDeF';
export const SECRET = 'the-deployment-secret';
export const idOf = (job: string, attempt: number, token = TOKEN): string => `${job}.${attempt}.${token}`;

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

const json = (res: ServerResponse, value: unknown): void =>
  send(res, 200, JSON.stringify(value), 'application/json');

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function fakeServer(script: FakeScript = {}): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const objects = new Map<string, Buffer>();
  const state = { script };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const query = Object.fromEntries(url.searchParams);
      const path = decodeURIComponent(url.pathname);
      requests.push({ method: req.method ?? 'GET', path, query, at: Date.now() });
      const body = await bodyOf(req);
      const s = state.script;
      const parts = path.split('/').filter(Boolean);
      const nodeId = s.nodeId ?? 'node-1';
      const cap = s.requiredCap ?? '-1';
      if (req.method === 'PUT' && parts[0] === 'objects') {
        objects.set(parts.slice(1).join('/'), body);
        return send(res, 200, '');
      }
      if (parts[0] === 'objects') {
        const stored = objects.get(parts.slice(1).join('/'));
        return stored ? send(res, 200, stored, 'application/octet-stream') : send(res, 404, 'NoSuchKey');
      }
      if (path === '/node/register') {
        if (query.secret !== (s.secret ?? SECRET)) return send(res, 401, 'Unauthorized');
        if (!query.slots || !query.maxSlots) return send(res, 400, 'missing query parameter slots');
        return json(res, { id: nodeId, scaleTime: s.scaleTime ?? 30 });
      }
      if (parts[0] === 'node') {
        if (parts[1] !== nodeId) return send(res, 401, 'Unknown worker ID');
        switch (parts[2]) {
          case 'update':
            return json(res, {
              requiredCap: cap,
              scaleTime: s.scaleTime ?? 30,
              epoch: Math.floor(Date.now() / 1000),
            });
          case 'jobs': {
            const slots = Number(query.slots);
            if (!(slots >= 1)) return send(res, 400, 'missing query parameter slots');
            const configs = (s.configs ?? []).splice(0, slots);
            return json(res, configs.length ? { requiredCap: cap, configs } : { requiredCap: cap });
          }
          case 'release':
            return json(res, { released: true });
          case 'disconnect':
            return json(res, { id: nodeId, disconnected: true });
        }
      }
      if (parts[0] === 'lb' && parts[1] && parts[2]) {
        const answer = s.lb?.(parts[2], query, parts[1]) ?? { status: 200, body: '0\nAssigned: 10\nETA: 1' };
        return send(res, answer.status, answer.body);
      }
      if (parts[0] === 'results' && parts[1] === 'upload' && parts[2] && parts[3]) {
        if (query.wID !== nodeId) return send(res, 401, 'Unknown worker ID');
        if (s.uploadStatus && s.uploadStatus !== 200) return send(res, s.uploadStatus, 'upload refused');
        const kind = query.kind ?? 'result';
        return send(res, 200, `${base}/objects/${parts[2]}/${parts[3]}/${kind}?X-Signature=${TOKEN}sig`);
      }
      send(res, 404, 'Not Found');
    })().catch((error: unknown) => send(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    objects,
    get script() {
      return state.script;
    },
    set script(next: FakeScript) {
      state.script = next;
    },
    calls: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function config(
  base: string,
  job: string,
  partition: number,
  extra: Partial<FakeConfig> = {},
): FakeConfig {
  return {
    ID: idOf(job, 1),
    reportTime: '5',
    worker: String(partition),
    'data-url': `${base}/objects/inputs/${job}`,
    nIter: '10',
    ...extra,
  };
}
