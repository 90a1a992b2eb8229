// Decides how the coordinator's S3 trigger is declared: on a bucket this stack creates, or on one that already exists.
import { frameworkBucketLogicalId } from '@serverless-continuum/core/cfn';
import { ConfigError } from '@serverless-continuum/core/errors';
import { resolveBinding, type TriggerBinding, type TriggerUnit } from '@serverless-continuum/core/functions';
import type { ServerlessService } from '@serverless-continuum/core/serverless';
import type { ResolvedJob, StorageLocation } from '../config';

/**
 * True when this service creates the input bucket: another function's plain `s3` event on it, or an
 * `AWS::S3::Bucket` in `resources` under the framework's logical id (the framework then merges its
 * notification into that resource). Any other bucket is treated as existing, and the framework's
 * custom resource adds our notification next to the bucket's others instead of replacing them.
 */
export function inputBucketCreatedHere(service: ServerlessService, bucket: string, path: string): boolean {
  const byEvent = Object.values(service.functions ?? {}).some((fn) =>
    (fn?.events ?? []).some((event) => {
      const s3 = (event as { s3?: unknown }).s3;
      if (typeof s3 === 'string') return s3 === bucket;
      const spec = s3 as { bucket?: unknown; existing?: unknown } | undefined;
      return spec?.bucket === bucket && !spec.existing;
    }),
  );
  if (byEvent) return true;
  const resources = service.resources?.Resources ?? {};
  const declared = Object.entries(resources).filter(
    ([, r]) =>
      r?.Type === 'AWS::S3::Bucket' &&
      (r.Properties as { BucketName?: unknown } | undefined)?.BucketName === bucket,
  );
  if (!declared.length) return false;
  const expected = frameworkBucketLogicalId(bucket);
  if (declared.some(([id]) => id === expected)) return true;
  throw new ConfigError(
    path,
    `bucket ${bucket} is declared in resources as ${declared.map(([id]) => id).join(', ')}`,
    `name that resource ${expected} so the framework can add the trigger to it`,
  );
}

/**
 * A job as a unit of the service's trigger graph: an upload under its input starts the coordinator; the
 * reducers write the parts and `_SUCCESS.json` (or `_FAILED.json`) under the output, the mappers their
 * intermediates under `temp` (named only when it lies outside the output, as the user then wrote it).
 */
export function triggerUnit(job: ResolvedJob): TriggerUnit {
  const at = `custom.mapreduce.${job.name}`;
  const binding = (key: string, location: StorageLocation): TriggerBinding => ({
    path: `${at}.${key}`,
    binding: resolveBinding({ storage: 's3', path: `${location.bucket}/${location.prefix}` }, `${at}.${key}`),
  });
  const { input, output, temp } = job.runtime;
  const tempUnderOutput = temp.bucket === output.bucket && temp.prefix.startsWith(output.prefix);
  return {
    path: at,
    inputs: [binding('input', input)],
    outputs: [binding('output', output), ...(tempUnderOutput ? [] : [binding('temp', temp)])],
  };
}
