// Pure compile step: resolved container functions -> CloudFormation resources and Lambda environment variables.
import {
  bucketLogicalId,
  iamRole,
  VPC_ACCESS_POLICY,
  withTags,
  type CfnResource,
  type CfnValue,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import { inS3, type ResolvedContainerFunction } from '../config';
import { batchResources, batchTargets } from './batch';
import { runtimeEnvironment } from './environment';
import { functionStatements } from './iam';
import { resourceIds } from './names';
import { ownedBucketResources } from './triggers';

export { functionPatch, type FunctionPatch } from './function';
export { existingBuckets } from './triggers';
export { resourceIds, ecrImageName, buildContextDir } from './names';
export { runtimeEnvironment, runtimeBindings } from './environment';
export { batchTargets } from './batch';
export { infoLines } from './info';
export { triggerUnits } from './trigger-units';
export { imageFunctions, type ImageFunctions } from './image-functions';
export { compileOptions } from './service-inputs';
export { frameworkResourceChanges, INVOCATION_TYPE_HEADER } from './framework-resources';

export interface CompileOptions {
  /** The image each function runs (the framework's resolved `Code.ImageUri`), for its Batch job definition. */
  imageUris: Record<string, CfnValue>;
  /** Functions whose role the plugin creates (those without a user-set `role`). */
  managedRoles: Set<string>;
  /**
   * What the user gave the framework's shared role (`provider.iam.role.statements` / `managedPolicies`):
   * added to each function role too, so a container function does not lose them.
   */
  providerStatements?: PolicyStatement[];
  providerManagedPolicies?: CfnValue[];
  /**
   * Functions the framework attached to a VPC (their compiled `VpcConfig`): only their roles need the ENI
   * permissions the framework gives its own role.
   */
  vpcFunctions?: Set<string>;
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
        statements: [...functionStatements(fn, batch), ...(options.providerStatements ?? [])],
        policyName: `${fn.name}-container`,
        managedPolicyArns: [
          ...(options.providerManagedPolicies ?? []),
          ...(options.vpcFunctions?.has(fn.name) ? [VPC_ACCESS_POLICY] : []),
        ],
      });
    }
    if (fn.batch) {
      const imageUri = options.imageUris[fn.name] ?? fn.imageUri ?? fn.image;
      Object.assign(resources, batchResources(fn, imageUri));
    }
    // The function's tags on everything made for it alone (its role, its Batch environment, queue and job).
    for (const id of functionResourceIds(fn.name)) {
      if (resources[id] && fn.tags) resources[id] = withTags(resources[id], fn.tags);
    }
    environment[fn.name] = runtimeEnvironment(fn, { batch });
  }
  tagBuckets(resources, functions);
  return { resources, environment };
}

function functionResourceIds(name: string): string[] {
  const ids = resourceIds(name);
  return [
    ids.role,
    ids.executionRole,
    ids.instanceRole,
    ids.jobRole,
    ids.computeEnvironment,
    ids.jobQueue,
    ids.jobDefinition,
  ];
}

/**
 * A bucket the service creates is shared by the functions that name it: it carries the tags they agree on
 * (a key two functions give different values stays off the bucket).
 */
function tagBuckets(resources: Record<string, CfnResource>, functions: ResolvedContainerFunction[]): void {
  const byBucket = new Map<string, Record<string, string | null>>();
  for (const fn of functions) {
    for (const binding of [...fn.inputs, ...fn.outputs].filter(inS3)) {
      const tags = byBucket.get(binding.bucket) ?? {};
      for (const [key, value] of Object.entries(fn.tags ?? {})) {
        tags[key] = key in tags && tags[key] !== value ? null : value;
      }
      byBucket.set(binding.bucket, tags);
    }
  }
  for (const [bucket, tags] of byBucket) {
    const id = bucketLogicalId(bucket);
    const agreed = Object.fromEntries(
      Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== null),
    );
    if (resources[id]) resources[id] = withTags(resources[id], agreed);
  }
}
