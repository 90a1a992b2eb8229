// The deploying account, for the ECR registry host, as the framework finds it (its credentials and profile).
import type { ServerlessLike } from '@serverless-continuum/core/serverless';
import { ContinuumError } from '@serverless-continuum/core/errors';

export async function accountId(serverless: ServerlessLike): Promise<string> {
  const provider = serverless.getProvider('aws') as { getAccountId?: () => Promise<string> } | undefined;
  if (!provider?.getAccountId) {
    throw new ContinuumError(
      'CONTINUUM_AWS',
      'this framework gives no AWS account id: pass --registry <host>/<repository>',
    );
  }
  return provider.getAccountId();
}
