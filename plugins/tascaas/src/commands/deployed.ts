// The deployed API's URL and secret, read from AWS when the command line gives neither: the stack's HttpApiUrl
// output, and the secret from where the service keeps it (the generated secret's ARN is a stack output too).
import { ContinuumError } from '@serverless-continuum/core/errors';
import {
  awsClientConfig,
  sdkClientSettings,
  stackName,
  stackOutputs,
} from '@serverless-continuum/core/serverless';
import { HTTP_API_URL_OUTPUT, SECRET_ARN_OUTPUT } from '../compile/names';
import type { CommandContext } from './context';

const missing = (what: string, why: string) =>
  new ContinuumError(
    'CONTINUUM_INVALID_CONFIG',
    `cannot find the ${what}: ${why} (pass --endpoint and --secret, or deploy first)`,
  );

export async function deployedTarget(
  ctx: CommandContext,
  need: { endpoint: boolean; secret: boolean },
): Promise<{ endpoint?: string; secret?: string }> {
  const settings = sdkClientSettings(await awsClientConfig(ctx.serverless, ctx.options));
  const name = stackName(ctx.serverless, ctx.options);
  let outputs: Record<string, string> = {};
  const { secret } = ctx.settings;
  if (need.endpoint || (need.secret && secret.source === 'generated')) {
    try {
      outputs = await stackOutputs(ctx.serverless, ctx.options);
    } catch (error) {
      throw missing('deployed API', (error as Error).message);
    }
  }
  const found: { endpoint?: string; secret?: string } = {};
  if (need.endpoint) {
    found.endpoint = outputs[HTTP_API_URL_OUTPUT];
    if (!found.endpoint) throw missing('deployed API', `stack ${name} has no ${HTTP_API_URL_OUTPUT} output`);
  }
  if (need.secret) {
    if (secret.source === 'ssm') {
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      const client = new SSMClient(settings);
      try {
        const answer = await client.send(
          new GetParameterCommand({ Name: secret.arn ?? secret.name, WithDecryption: true }),
        );
        found.secret = answer.Parameter?.Value;
      } finally {
        client.destroy();
      }
    } else {
      const id = secret.source === 'generated' ? outputs[SECRET_ARN_OUTPUT] : secret.id;
      if (!id) throw missing('secret', `stack ${name} has no ${SECRET_ARN_OUTPUT} output`);
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient(settings);
      try {
        found.secret = (await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
      } finally {
        client.destroy();
      }
    }
    if (!found.secret) throw missing('secret', 'it has no value');
  }
  return found;
}
