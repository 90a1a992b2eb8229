// Lambda's Invoke API at the wire (no local Lambda exists): `POST /2015-03-31/functions/<name>/invocations`
// is answered 202 and the named handler runs afterwards in this process, as Lambda's async queue would run it,
// retried twice with the same request id when it throws.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { listenLoopback, readBody } from './loopback';

export type WireHandler = (event: never, context: never) => Promise<unknown>;

export interface WireInvocation {
  fn: string;
  /** The `X-Amz-Invocation-Type` header the SDK sent. */
  type: string | undefined;
  payload: unknown;
}

export interface LambdaWire {
  /** For `AWS_ENDPOINT_URL_LAMBDA`. */
  endpoint: string;
  /** Every accepted invocation, in arrival order. */
  invocations: WireInvocation[];
  /** Resolves when no invocation is running and none arrives for a moment. */
  quiescent(): Promise<void>;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** `handlers` maps a function name to its handler; it is read on each call, so tests may redeploy. */
export async function startLambdaWire(handlers: Record<string, WireHandler>): Promise<LambdaWire> {
  const invocations: WireInvocation[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const server = createServer((req, res) => {
    const fn = decodeURIComponent(INVOKE_PATH.exec(req.url ?? '')?.[1] ?? '');
    void readBody(req).then((raw) => {
      const handler = handlers[fn];
      if (req.method !== 'POST' || !handler) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"Type":"User","message":"Function not found"}');
        return;
      }
      const type = req.headers['x-amz-invocation-type'] as string | undefined;
      const payload = JSON.parse(raw.toString('utf8')) as unknown;
      invocations.push({ fn, type, payload });
      res.writeHead(202).end();
      const context = { awsRequestId: randomUUID() };
      const run = (async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            return await handler(structuredClone(payload) as never, context as never);
          } catch (error) {
            if (attempt === 2) console.error(`${fn} failed after Lambda's retries:`, error);
          }
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return {
    endpoint,
    invocations,
    async quiescent() {
      for (;;) {
        while (inFlight.size) await Promise.allSettled([...inFlight]);
        await new Promise((r) => setTimeout(r, 50));
        if (!inFlight.size) return;
      }
    },
    close,
  };
}
