// Pure compile step: resolved container functions -> CloudFormation resources and Lambda environment variables.
import { iamRole, type CfnResource, type CfnValue } from '@serverless-continuum/core/cfn';
import type { ResolvedContainerFunction } from '../config';
import { batchResources, batchTargets } from './batch';
import { runtimeEnvironment } from './environment';
import { functionStatements } from './iam';
import { resourceIds } from './names';
import { ownedBucketResources } from './triggers';

export { functionPatch, type FunctionPatch } from './function';
export { existingBuckets } from './triggers';
export { resourceIds, ecrImageName, buildContextDir } from './names';
export { runtimeEnvironment, runtimeBindings } from './environment';

export interface CompileOptions {
  /** The image each function runs (the framework's resolved `Code.ImageUri`), for its Batch job definition. */
  imageUris: Record<string, CfnValue>;
  /** Functions whose role the plugin creates (those without a user-set `role`). */
  managedRoles: Set<string>;
}

export interface CompiledService {
  resources: Record<string, CfnResource>;
  /** Variables to set on each function's `AWS::Lambda::Function`. */
  environment: Record<string, Record<string, CfnValue>>;
}

export function compileService(
  functions: ResolvedContainerFunction[],
  options: CompileOptions,
): CompiledService {
  const resources: Record<string, CfnResource> = { ...ownedBucketResources(functions) };
  const environment: Record<string, Record<string, CfnValue>> = {};
  for (const fn of functions) {
    const ids = resourceIds(fn.name);
    const batch = fn.batch ? batchTargets(fn.name) : undefined;
    if (options.managedRoles.has(fn.name)) {
      resources[ids.role] = iamRole({
        servicePrincipals: ['lambda.amazonaws.com'],
        statements: functionStatements(fn, batch),
        policyName: `${fn.name}-container`,
      });
    }
    if (fn.batch) {
      const imageUri = options.imageUris[fn.name] ?? fn.imageUri ?? fn.image;
      Object.assign(resources, batchResources(fn, imageUri));
    }
    environment[fn.name] = runtimeEnvironment(fn, { batch });
  }
  return { resources, environment };
}
