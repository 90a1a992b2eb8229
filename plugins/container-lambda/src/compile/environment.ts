// The environment variables the supervisor reads (runtime/contract.ts `ENV`), for the Lambda function and the Batch job.
import type { CfnValue } from '@serverless-continuum/core/cfn';
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import type { ResolvedContainerFunction } from '../config';
import { ENV, SCRIPT_PATH, type StorageBindingRuntime } from '../runtime/contract';
import { secretsVariable } from './secrets';

export function runtimeBindings(bindings: ResolvedBinding[]): StorageBindingRuntime[] {
  return bindings.map((b) => ({
    storage: b.storage,
    bucket: b.bucket,
    prefix: b.prefix,
    suffix: [...b.suffix],
    ...(b.prefixFilter.length ? { prefixFilter: [...b.prefixFilter] } : {}),
  }));
}

export interface BatchTargets {
  jobQueue: CfnValue;
  jobDefinition: CfnValue;
}

/**
 * Variables for one function: the contract's plus the user's own (`container.environment`), and where its
 * secrets live (never their values). No credentials: the runtime uses the role of the function or of the Batch job.
 */
export function runtimeEnvironment(
  fn: ResolvedContainerFunction,
  options: { scriptPath?: string; batch?: BatchTargets; mode?: 'lambda' | 'batch' | 'local' } = {},
): Record<string, CfnValue> {
  // The Batch job adds its own plain variables (`batch.environment`) to the script's.
  const user = {
    ...fn.environment,
    ...(options.mode === 'batch' ? fn.batch?.environment : undefined),
  };
  const env: Record<string, CfnValue> = {
    ...user,
    [ENV.function]: fn.name,
    [ENV.script]: options.scriptPath ?? SCRIPT_PATH,
    [ENV.inputs]: JSON.stringify(runtimeBindings(fn.inputs)),
    [ENV.outputs]: JSON.stringify(runtimeBindings(fn.outputs)),
    [ENV.execution]: fn.execution,
    [ENV.userEnvironment]: Object.keys(user).sort().join(','),
  };
  // Where the MinIO outputs go; their keys are among the secrets below.
  if (fn.storageAccounts) env[ENV.storageProviders] = JSON.stringify(fn.storageAccounts);
  const secrets = secretsVariable(fn);
  if (secrets) env[ENV.secrets] = secrets;
  if (options.mode && options.mode !== 'lambda') env[ENV.mode] = options.mode;
  // The API method maps the header onto Lambda's Invoke (compile/framework-resources.ts).
  if (fn.api && (options.mode ?? 'lambda') === 'lambda') env[ENV.apiAsync] = 'gateway';
  if (fn.deadlineMarginSeconds !== undefined)
    env[ENV.deadlineMarginMs] = String(fn.deadlineMarginSeconds * 1000);
  if (fn.batch && options.batch) {
    env[ENV.batchJobQueue] = options.batch.jobQueue;
    env[ENV.batchJobDefinition] = options.batch.jobDefinition;
    // A multi-node job takes its overrides per node range (SubmitJob's nodeOverrides).
    if (fn.batch.multiNodeParallel) env[ENV.batchNodes] = String(fn.batch.multiNodeParallel.nodes);
    if (fn.execution === 'lambda-batch') {
      env[ENV.gpu] = String(fn.batch.gpu);
      if (fn.batch.fallbackInputBytes !== undefined)
        env[ENV.fallbackInputBytes] = String(fn.batch.fallbackInputBytes);
    }
  }
  return env;
}

/** Lambda's limit on all variables of a function, names and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** Bytes the variables take in Lambda; an intrinsic (an ARN once deployed) is counted as 128. */
export function environmentSize(variables: Record<string, unknown>): number {
  return Object.entries(variables).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 128),
    0,
  );
}
