// Lambda's Invoke API at the wire (no local Lambda exists): `POST /2015-03-31/functions/<name>/invocations`
// is answered 202 and the named handler runs afterwards in this process, as Lambda's async queue would run it:
// retried with the same request id when it throws (twice, or as the function's invoke config says), then its
// failure record sent to the function's on-failure destination, if it has one.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { listenLoopback, readBody } from './loopback';

export type WireHandler = (event: never, context: never) => Promise<unknown>;

export interface WireInvocation {
  fn: string;
  /** The `X-Amz-Invocation-Type` header the SDK sent; `OnFailure` for a record Lambda sent to a destination. */
  type: string | undefined;
  payload: unknown;
}

/** A function's `AWS::Lambda::EventInvokeConfig`, as far as the wire plays it. */
export interface WireInvokeConfig {
  /** Lambda's retries of a handler that throws; Lambda's default is 2. */
  maximumRetryAttempts?: number;
  /** The function that gets the failure record once no retry is left. */
  onFailure?: string;
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

/**
 * `handlers` maps a function name to its handler; it is read on each call, so tests may redeploy.
 * `configs` maps a function name to its invoke config (see `invokeConfigsOf` for a packaged template's).
 */
export async function startLambdaWire(
  handlers: Record<string, WireHandler>,
  configs: Record<string, WireInvokeConfig> = {},
): Promise<LambdaWire> {
  const invocations: WireInvocation[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const dispatch = (fn: string, type: string | undefined, payload: unknown): void => {
    invocations.push({ fn, type, payload });
    const handler = handlers[fn];
    const { maximumRetryAttempts = 2, onFailure } = configs[fn] ?? {};
    const context = { awsRequestId: randomUUID() };
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!handler) throw new Error(`no handler for ${fn}`);
          return await handler(structuredClone(payload) as never, context as never);
        } catch (error) {
          if (attempt < maximumRetryAttempts) continue;
          if (!onFailure) {
            console.error(`${fn} failed after Lambda's retries:`, error);
            return;
          }
          const e = error as Error;
          dispatch(onFailure, 'OnFailure', {
            version: '1.0',
            timestamp: new Date().toISOString(),
            requestContext: {
              requestId: context.awsRequestId,
              functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${fn}:$LATEST`,
              condition: 'RetriesExhausted',
              approximateInvokeCount: attempt + 1,
            },
            requestPayload: payload,
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) },
          });
          return;
        }
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };
  const server = createServer((req, res) => {
    const fn = decodeURIComponent(INVOKE_PATH.exec(req.url ?? '')?.[1] ?? '');
    void readBody(req).then((raw) => {
      if (req.method !== 'POST' || !handlers[fn]) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"Type":"User","message":"Function not found"}');
        return;
      }
      res.writeHead(202).end();
      dispatch(
        fn,
        req.headers['x-amz-invocation-type'] as string | undefined,
        JSON.parse(raw.toString('utf8')) as unknown,
      );
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

/**
 * The invoke configs of a packaged template, by function name: each `AWS::Lambda::EventInvokeConfig` whose
 * function and on-failure destination are functions of the same template.
 */
export function invokeConfigsOf(template: CfnTemplate): Record<string, WireInvokeConfig> {
  type Props = Record<string, unknown>;
  const resources = template.Resources as Record<string, { Type: string; Properties?: Props }>;
  const nameOf = (logicalId: string): string => {
    const name = resources[logicalId]?.Properties?.FunctionName;
    if (typeof name !== 'string') throw new Error(`${logicalId} is not a function with a name`);
    return name;
  };
  const configs: Record<string, WireInvokeConfig> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const props = resource.Properties ?? {};
    const fn = nameOf((props.FunctionName as { Ref: string }).Ref);
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
      ?.OnFailure?.Destination as { 'Fn::GetAtt'?: [string, string] } | undefined;
    configs[fn] = {
      ...(typeof props.MaximumRetryAttempts === 'number'
        ? { maximumRetryAttempts: props.MaximumRetryAttempts }
        : {}),
      ...(destination ? { onFailure: nameOf(destination['Fn::GetAtt']![0]) } : {}),
    };
  }
  return configs;
}
