// One place that names CloudFormation logical ids, so every plugin's resources read alike and never collide.

/** `my-func_v2` -> `MyDashfuncUnderscorev2`, the framework's own normalisation (so ids match its `GrayifyLambdaFunction`). */
export function normalizeName(name: string): string {
  const spelled = name
    .replace(/-/g, 'Dash')
    .replace(/_/g, 'Underscore')
    .replace(/[^A-Za-z0-9]/g, '');
  return spelled.charAt(0).toUpperCase() + spelled.slice(1);
}

/** Logical id from parts: `logicalId('grayify', 'InputBucket')` -> `GrayifyInputBucket`. */
export function logicalId(...parts: string[]): string {
  return parts.map(normalizeName).join('');
}

/** The framework's logical id for a function's `AWS::Lambda::Function`. */
export function lambdaLogicalId(functionName: string): string {
  return `${normalizeName(functionName)}LambdaFunction`;
}

/** The framework's logical id for a function's IAM role shared by the service. */
export const SERVICE_ROLE_ID = 'IamRoleLambdaExecution';

/**
 * Logical id of a bucket the suite creates: `S3Bucket` + `normalizeName(bucket)` (`my-data` -> `S3BucketMyDashdata`).
 * It differs from the framework's own id for an `s3` event bucket (see `frameworkBucketLogicalId`), so both can coexist.
 */
export function bucketLogicalId(bucketName: string): string {
  return `S3Bucket${normalizeName(bucketName).replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The framework's id for the bucket it creates for an `s3` event: non-alphanumerics dropped (`my-data` -> `S3BucketMydata`). */
export function frameworkBucketLogicalId(bucketName: string): string {
  const alphanumeric = bucketName.replace(/[^0-9A-Za-z]/g, '');
  return `S3Bucket${alphanumeric.charAt(0).toUpperCase()}${alphanumeric.slice(1)}`;
}
