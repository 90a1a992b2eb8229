// The entry point of a streaming job's mapper and reducer image: the Lambda Runtime API loop around the same task
// handler a zip function runs, the role given as the image's command (`mapper` or `reducer`).
import { RuntimeApiClient, type RuntimeErrorBody } from '@serverless-continuum/core/lambda/runtime-api';
import { createMapperHandler } from '../mapper';
import { createReducerHandler } from '../reducer';

export type StreamingRole = 'mapper' | 'reducer';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function errorBody(error: unknown): RuntimeErrorBody {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorMessage: e.message, errorType: e.name, stackTrace: (e.stack ?? '').split('\n').slice(1) };
}

function handlerOf(role: string | undefined): Handler {
  if (role === 'mapper') return createMapperHandler({ streaming: true }) as unknown as Handler;
  if (role === 'reducer') return createReducerHandler({ streaming: true }) as unknown as Handler;
  throw new Error(`the image's command must be mapper or reducer, got ${JSON.stringify(role)}`);
}

/**
 * Serves invocations until the sandbox ends; `stopAfter` (tests) returns after that many. A handler's failure is
 * the invocation's error, as Lambda's own Node.js runtime reports it, so the on-failure destination gets it.
 */
export async function serveStreamingRole(
  role: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  stopAfter = Infinity,
): Promise<void> {
  const address = env.AWS_LAMBDA_RUNTIME_API;
  if (!address) throw new Error('AWS_LAMBDA_RUNTIME_API is not set: this entry point runs inside Lambda');
  const client = new RuntimeApiClient(address);
  let handler: Handler;
  try {
    handler = handlerOf(role);
  } catch (error) {
    await client.initError(errorBody(error));
    client.close();
    throw error;
  }
  try {
    for (let served = 0; served < stopAfter; served++) {
      const invocation = await client.next();
      if (invocation.traceId) process.env._X_AMZN_TRACE_ID = invocation.traceId;
      const deadline = invocation.deadlineMs;
      const context = {
        awsRequestId: invocation.requestId,
        invokedFunctionArn: invocation.invokedFunctionArn,
        ...(deadline !== undefined ? { getRemainingTimeInMillis: () => deadline - Date.now() } : {}),
      };
      let result: unknown;
      try {
        result = await handler(invocation.event, context);
      } catch (error) {
        await client.invocationError(invocation.requestId, errorBody(error));
        continue;
      }
      await client.respond(invocation.requestId, result);
    }
  } finally {
    client.close();
  }
}
