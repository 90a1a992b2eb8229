// Logical ids and image names of everything the plugin adds for one function, named in one place.
import { createHash } from 'node:crypto';
import { lambdaLogicalId, logicalId } from '@serverless-continuum/core/cfn';

export function resourceIds(fn: string) {
  return {
    lambda: lambdaLogicalId(fn),
    role: logicalId(fn, 'ContainerRole'),
    jobRole: logicalId(fn, 'BatchJobRole'),
    executionRole: logicalId(fn, 'BatchExecutionRole'),
    instanceRole: logicalId(fn, 'BatchInstanceRole'),
    instanceProfile: logicalId(fn, 'BatchInstanceProfile'),
    computeEnvironment: logicalId(fn, 'BatchComputeEnvironment'),
    jobQueue: logicalId(fn, 'BatchJobQueue'),
    jobDefinition: logicalId(fn, 'BatchJobDefinition'),
    s3Permission: (bucket: string) => logicalId(fn, 'S3Permission', bucket),
  };
}

/** `provider.ecr.images` key: the framework requires `^[a-z][a-z0-9-_]{1,31}$`. */
export function ecrImageName(fn: string): string {
  if (/^[a-z][a-z0-9-_]{1,31}$/.test(fn)) return fn;
  // Lower-cased or shortened names get a hash of the original, so two functions never share an image.
  const hash = createHash('sha256').update(fn).digest('hex').slice(0, 6);
  const base = fn.toLowerCase().replace(/[^a-z0-9-_]/g, '-');
  return `${(/^[a-z]/.test(base) ? base : `c-${base}`).slice(0, 25)}-${hash}`;
}

/** Where `sls package` writes a function's build context, relative to the service folder. */
export function buildContextDir(fn: string): string {
  return `.serverless/container-lambda/${fn}`;
}
