// A loopback server implementing the documented Lambda Runtime API (2018-06-01) for one runtime process: it hands
// out queued events with the real headers, records responses and errors, and notes every request that breaks the
// documented paths, methods or headers (tests assert that list is empty).
import http from 'node:http';
import { listenLoopback, readBody } from '../../../../../test/harness/loopback';

export interface QueuedInvocation {
  requestId: string;
  /** Default: one minute from now. */
  deadlineMs?: number;
  functionArn?: string;
  traceId?: string;
}

export type InvocationOutcome =
  | { kind: 'response'; body: unknown; headers: http.IncomingHttpHeaders }
  | {
      kind: 'error';
      body: { errorMessage: string; errorType: string; stackTrace: string[] };
      headers: http.IncomingHttpHeaders;
    };

export interface FakeRuntimeApi {
  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  address: string;
  /** Queues an event; resolves with what the runtime posted for it. */
  invoke(event: unknown, invocation: QueuedInvocation): Promise<InvocationOutcome>;
  initErrors: unknown[];
  violations: string[];
  close(): Promise<void>;
}

const PREFIX = '/2018-06-01/runtime';

export async function startRuntimeApi(): Promise<FakeRuntimeApi> {
  const queue: { event: unknown; invocation: QueuedInvocation }[] = [];
  const waiting: http.ServerResponse[] = [];
  const pending = new Map<string, (outcome: InvocationOutcome) => void>();
  const initErrors: unknown[] = [];
  const violations: string[] = [];

  const deliver = (res: http.ServerResponse, item: { event: unknown; invocation: QueuedInvocation }) => {
    const { invocation } = item;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs ?? Date.now() + 60_000),
      'Lambda-Runtime-Invoked-Function-Arn':
        invocation.functionArn ?? 'arn:aws:lambda:us-east-1:123456789012:function:svc-dev-fn',
      'Lambda-Runtime-Trace-Id':
        invocation.traceId ?? 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
    });
    res.end(JSON.stringify(item.event));
  };

  const parseErrorBody = (raw: Buffer, where: string) => {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      violations.push(`${where}: body is not JSON`);
      return undefined;
    }
    const b = body as Record<string, unknown>;
    if (
      typeof b.errorMessage !== 'string' ||
      typeof b.errorType !== 'string' ||
      !Array.isArray(b.stackTrace)
    ) {
      violations.push(`${where}: body must be {errorMessage, errorType, stackTrace[]}`);
    }
    return body as { errorMessage: string; errorType: string; stackTrace: string[] };
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '';
      const body = await readBody(req);
      if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
        const item = queue.shift();
        if (item) deliver(res, item);
        else {
          waiting.push(res);
          // A runtime that dies while waiting must not swallow the next event.
          res.on('close', () => {
            const index = waiting.indexOf(res);
            if (index >= 0) waiting.splice(index, 1);
          });
        }
        return;
      }
      const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      if (req.method === 'POST' && match) {
        const requestId = decodeURIComponent(match[1] ?? '');
        const settle = pending.get(requestId);
        if (!settle) {
          violations.push(`${url}: no invocation ${requestId} is in progress`);
          res.writeHead(400).end();
          return;
        }
        pending.delete(requestId);
        if (match[2] === 'response') {
          settle({ kind: 'response', body: JSON.parse(body.toString('utf8')), headers: req.headers });
        } else {
          if (!req.headers['lambda-runtime-function-error-type']) {
            violations.push(`${url}: missing Lambda-Runtime-Function-Error-Type header`);
          }
          const parsed = parseErrorBody(body, url);
          if (parsed) settle({ kind: 'error', body: parsed, headers: req.headers });
        }
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
        return;
      }
      if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
        if (!req.headers['lambda-runtime-function-error-type']) {
          violations.push(`${url}: missing Lambda-Runtime-Function-Error-Type header`);
        }
        initErrors.push(parseErrorBody(body, url));
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
        return;
      }
      violations.push(`${req.method} ${url}: not part of the Runtime API`);
      res.writeHead(404).end();
    })();
  });
  const loopback = await listenLoopback(server);

  return {
    address: `127.0.0.1:${loopback.port}`,
    initErrors,
    violations,
    invoke(event, invocation) {
      return new Promise((resolve) => {
        pending.set(invocation.requestId, resolve);
        const item = { event, invocation };
        const res = waiting.shift();
        if (res) deliver(res, item);
        else queue.push(item);
      });
    },
    async close() {
      for (const res of waiting.splice(0)) res.destroy();
      await loopback.close();
    },
  };
}
