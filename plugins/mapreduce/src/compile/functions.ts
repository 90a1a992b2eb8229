// Pure compile step: one resolved job -> its three functions (coordinator, mapper, reducer) in the framework's own shape.
import { logRetentionInDays } from '@serverless-continuum/core/cfn';
import { ConfigError } from '@serverless-continuum/core/errors';
import type { ServerlessFunctionConfig } from '@serverless-continuum/core/serverless';
import { ROLES, type ResolvedJob, type Role } from '../config';
import { ENV } from '../runtime/contract';
import { STREAMING_IMAGE_PENDING } from './streaming-image';
import {
  MAX_FUNCTION_NAME,
  artifactPath,
  functionKey,
  functionName,
  roleLogicalId,
  tableLogicalId,
  type ServiceContext,
} from './names';

export interface FunctionsContext extends ServiceContext {
  /** `provider.runtime`, or nodejs20.x. */
  runtime: string;
  /** True when the input bucket is created by this service (then the framework's plain `s3` event is used). */
  inputBucketCreatedHere: boolean;
  /** Keys already under `functions`, to refuse a silent overwrite. */
  existingFunctions: string[];
  /** `provider.logRetentionInDays`, the default for a job that sets none. */
  providerLogRetentionInDays?: number;
  /** Streaming jobs' images assembled at package time (job name -> digest-pinned reference). */
  streamingImages?: Record<string, string>;
}

/** The coordinator's trigger: every object created under the input prefix (and only there). */
export function inputTrigger(job: ResolvedJob, createdHere: boolean): Record<string, unknown> {
  const { bucket, prefix } = job.runtime.input;
  return {
    s3: {
      bucket,
      event: 's3:ObjectCreated:*',
      ...(prefix ? { rules: [{ prefix }] } : {}),
      // An existing bucket keeps its other notifications: the framework's custom resource merges ours in.
      ...(createdHere ? {} : { existing: true }),
    },
  };
}

export function environment(ctx: ServiceContext, job: ResolvedJob): Record<string, unknown> {
  return {
    [ENV.job]: JSON.stringify(job.runtime),
    [ENV.table]: { Ref: tableLogicalId(job.name) },
    [ENV.mapperFunction]: functionName(ctx, job.name, 'mapper'),
    [ENV.reducerFunction]: functionName(ctx, job.name, 'reducer'),
  };
}

/**
 * Where Lambda reports an asynchronous invocation that failed on its last retry, so that no failure leaves a run
 * waiting forever. Mappers and reducers: a failure their handler catches is retried by the handler (the job's
 * `retries`); one it cannot catch (a crash, a timeout, out of memory) goes, without Lambda's own retries, to the
 * coordinator, which retries it the same way, so every failure counts once against `retries`. The coordinator
 * keeps Lambda's two retries (a retry of the same invocation finishes launching its run); after them its S3
 * event goes to the mapper function, which marks the run failed with `_FAILED.json`.
 */
export function failureHandling(
  job: ResolvedJob,
  role: Role,
): Pick<ServerlessFunctionConfig, 'destinations' | 'maximumRetryAttempts'> {
  if (role === 'coordinator') return { destinations: { onFailure: functionKey(job.name, 'mapper') } };
  return { maximumRetryAttempts: 0, destinations: { onFailure: functionKey(job.name, 'coordinator') } };
}

/**
 * Functions whose CloudFormation `RecursiveLoop` is `Allow`, which the framework cannot set. Lambda stops a
 * chain of invocations after about 16 of one function, and counts Lambda-to-Lambda invokes: a mapper launches
 * the next split (so a chain is about splits / launched long) and the straggler
 * watcher hands over to itself; a failure goes through the coordinator and back. Each of these chains is
 * finite by construction (one launch claim per split, `retries` per task, the watcher's 12-hour bound), and
 * none goes through S3 (the input may not overlap the output). The reducer's chains stay short
 * (`retries` ≤ 10 per partition), so it keeps Lambda's default.
 */
export function recursiveLoopAllowed(job: ResolvedJob): string[] {
  return [functionKey(job.name, 'coordinator'), functionKey(job.name, 'mapper')];
}

export function compileFunctions(
  ctx: FunctionsContext,
  job: ResolvedJob,
): Record<string, ServerlessFunctionConfig> {
  const functions: Record<string, ServerlessFunctionConfig> = {};
  for (const role of ROLES) {
    const key = functionKey(job.name, role);
    const name = functionName(ctx, job.name, role);
    if (ctx.existingFunctions.includes(key)) {
      throw new ConfigError(
        `functions.${key}`,
        `is reserved for the ${role} of mapreduce job ${job.name}`,
        'rename the function or the job',
      );
    }
    if (name.length > MAX_FUNCTION_NAME) {
      throw new ConfigError(
        `custom.mapreduce.${job.name}`,
        `the function name ${name} is longer than Lambda's ${MAX_FUNCTION_NAME} characters`,
        'use a shorter job, service or stage name',
      );
    }
    functions[key] = {
      name,
      handler: 'index.handler',
      runtime: ctx.runtime,
      memorySize: job.roles[role].memorySize,
      timeout: job.roles[role].timeout,
      role: roleLogicalId(job.name, role),
      environment: environment(ctx, job),
      events: role === 'coordinator' ? [inputTrigger(job, ctx.inputBucketCreatedHere)] : [],
      ...failureHandling(job, role),
      // The framework's own setting: it writes `RetentionInDays` into the log group it creates for the function.
      logRetentionInDays: logRetentionInDays(job.logRetentionInDays, ctx.providerLogRetentionInDays),
      // `individually` makes `sls deploy` look for this artifact instead of a service-wide zip.
      package: { individually: true, artifact: artifactPath(job.name, role) },
    };
    if (job.runtime.streaming && role !== 'coordinator') {
      functions[key] = streamingFunction(
        functions[key],
        role,
        job.image?.uri ?? ctx.streamingImages?.[job.name],
      );
    }
  }
  return functions;
}

/**
 * A streaming job's mapper or reducer: an image function (the job's image, prebuilt or assembled at package time),
 * its role given as the image's command; nothing else changes from the zip function it replaces.
 */
function streamingFunction(
  zip: ServerlessFunctionConfig,
  role: 'mapper' | 'reducer',
  uri: string | undefined,
): ServerlessFunctionConfig {
  const { handler: _handler, runtime: _runtime, package: _package, ...rest } = zip;
  return { ...rest, image: { uri: uri ?? STREAMING_IMAGE_PENDING, command: [role] } };
}
