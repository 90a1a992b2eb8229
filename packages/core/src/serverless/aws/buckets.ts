// Whether an S3 trigger's bucket is created by this service or exists already: the framework declares the two
// differently (a plain `s3` event, or `existing: true`).
import { frameworkBucketLogicalId } from '../../cfn/naming';
import { ConfigError } from '../../errors';
import type { ServerlessService } from '../types';

/**
 * True when this service creates `bucket`: another function's plain `s3` event on it, or an `AWS::S3::Bucket`
 * in `resources` under the framework's logical id (the framework then merges a notification into that
 * resource). Any other bucket is treated as existing: the framework's custom resource then adds a notification
 * next to the bucket's others instead of replacing them. A bucket declared under another id is an error at `path`.
 */
export function bucketCreatedHere(service: ServerlessService, bucket: string, path: string): boolean {
  const byEvent = Object.values(service.functions ?? {}).some((fn) =>
    (fn?.events ?? []).some((event) => {
      const s3 = (event as { s3?: unknown }).s3;
      if (typeof s3 === 'string') return s3 === bucket;
      const spec = s3 as { bucket?: unknown; existing?: unknown } | undefined;
      return spec?.bucket === bucket && !spec.existing;
    }),
  );
  if (byEvent) return true;
  const declared = Object.entries(service.resources?.Resources ?? {}).filter(
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
