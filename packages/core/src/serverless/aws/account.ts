// The deploying account, for the ECR registry host images are pushed to, as the framework finds it (its
// credentials and profile); asked only when pushing, so packaging needs no credentials.
import { ContinuumError } from '../../errors';
import type { ServerlessLike } from '../types';

/** `fix` says what to do when the framework cannot tell (a plugin's own option). */
export async function accountId(serverless: ServerlessLike, fix: string): Promise<string> {
  const provider = serverless.getProvider('aws') as { getAccountId?: () => Promise<string> } | undefined;
  if (!provider?.getAccountId) {
    throw new ContinuumError('CONTINUUM_AWS', `this framework gives no AWS account id: ${fix}`);
  }
  return provider.getAccountId();
}
