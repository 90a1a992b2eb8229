// Lambda's asynchronous Invoke: the call is queued by Lambda and answered 202 before the target runs.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ContinuumError } from '../errors';

/** Queues one invocation of `functionName` (a name or an ARN) with `payload` as its JSON event. */
export async function invokeAsync(
  client: LambdaClient,
  functionName: string,
  payload: unknown,
): Promise<void> {
  // An empty name would reach Lambda as a malformed path; say which configuration is missing instead.
  if (!functionName)
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', 'no function to invoke: its name is not configured');
  await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
}
