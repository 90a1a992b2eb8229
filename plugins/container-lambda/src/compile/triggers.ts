// S3 input triggers. Buckets the service owns get a NotificationConfiguration (core builders); buckets that
// exist already are attached with the framework's own `s3: { existing: true }` event (its custom resource).
import {
  bucketLogicalId,
  getAtt,
  lambdaPermission,
  s3Bucket,
  type CfnResource,
  type LambdaNotification,
} from '@serverless-continuum/core/cfn';
import { inS3, notificationRules, type ResolvedContainerFunction } from '../config';
import { resourceIds } from './names';

const OBJECT_CREATED = 's3:ObjectCreated:*';

/** Buckets named with `existing: true` anywhere in the service: never created, only attached to. */
export function existingBuckets(functions: ResolvedContainerFunction[]): Set<string> {
  return new Set(
    functions.flatMap((fn) =>
      [...fn.inputs, ...fn.outputs].filter((b) => b.existing && inS3(b)).map((b) => b.bucket),
    ),
  );
}

/** The framework `s3` events for inputs on existing buckets (one per prefix x suffix rule). */
export function existingBucketEvents(
  fn: ResolvedContainerFunction,
  existing: Set<string>,
): Array<Record<string, unknown>> {
  return fn.inputs
    .filter((input) => existing.has(input.bucket))
    .flatMap((input) =>
      notificationRules(input).map(({ prefix, suffix }) => ({
        s3: {
          bucket: input.bucket,
          event: OBJECT_CREATED,
          existing: true,
          ...(prefix || suffix
            ? { rules: [...(prefix ? [{ prefix }] : []), ...(suffix ? [{ suffix }] : [])] }
            : {}),
        },
      })),
    );
}

/**
 * Every bucket the service names and owns (inputs and outputs, as SCAR creates both), with the input
 * notifications of all functions on it, and the permissions S3 needs to invoke them.
 */
export function ownedBucketResources(functions: ResolvedContainerFunction[]): Record<string, CfnResource> {
  const existing = existingBuckets(functions);
  const buckets = new Map<string, { notifications: LambdaNotification[]; permissions: string[] }>();
  const resources: Record<string, CfnResource> = {};
  for (const fn of functions) {
    for (const binding of [...fn.inputs, ...fn.outputs].filter(inS3)) {
      if (!existing.has(binding.bucket) && !buckets.has(binding.bucket)) {
        buckets.set(binding.bucket, { notifications: [], permissions: [] });
      }
    }
    const ids = resourceIds(fn.name);
    for (const input of fn.inputs) {
      const bucket = buckets.get(input.bucket);
      if (!bucket) continue;
      for (const { prefix, suffix } of notificationRules(input)) {
        bucket.notifications.push({
          event: OBJECT_CREATED,
          functionArn: getAtt(ids.lambda, 'Arn'),
          filter: { ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}) },
        });
      }
      const permissionId = ids.s3Permission(input.bucket);
      if (!resources[permissionId]) {
        // SourceArn is spelled from the name, not GetAtt: the bucket depends on this permission.
        resources[permissionId] = lambdaPermission({
          functionArn: getAtt(ids.lambda, 'Arn'),
          principal: 's3.amazonaws.com',
          sourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${input.bucket}` },
          sourceAccount: { Ref: 'AWS::AccountId' },
        });
        bucket.permissions.push(permissionId);
      }
    }
  }
  for (const [name, bucket] of buckets) {
    resources[bucketLogicalId(name)] = s3Bucket({
      bucketName: name,
      notifications: bucket.notifications,
      dependsOn: bucket.permissions,
    });
  }
  return resources;
}
