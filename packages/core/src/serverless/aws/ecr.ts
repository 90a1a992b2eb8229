// The framework's image repository on `sls remove`: it deletes `serverless-<service>-<stage>` with every image
// (ECR DeleteRepository, force) once the stack is gone, and has no setting to keep it. This is that setting.
import type { ServerlessLike } from '../types';

interface RemovePlugin {
  checkIfEcrRepositoryExists?: () => Promise<boolean>;
}

/**
 * Makes this `sls remove` keep the service's image repository. The framework's remove step (serverless@3 and
 * osls alike) deletes the repository only when its own `checkIfEcrRepositoryExists` answers true: answering
 * false leaves it, and nothing else, in place. Returns whether the remove step was found.
 */
export function keepEcrRepositoryOnRemove(serverless: ServerlessLike): boolean {
  const plugins = (serverless as { pluginManager?: { plugins?: unknown[] } }).pluginManager?.plugins ?? [];
  const remove = plugins.find(
    (plugin): plugin is RemovePlugin =>
      typeof plugin === 'object' &&
      plugin !== null &&
      plugin.constructor.name === 'AwsRemove' &&
      typeof (plugin as RemovePlugin).checkIfEcrRepositoryExists === 'function',
  );
  if (!remove) return false;
  remove.checkIfEcrRepositoryExists = async () => false;
  return true;
}
