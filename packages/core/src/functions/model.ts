// The function-definition model: one container function as SCAR's and OSCAR's FDL describe it, provider-neutral.
import type { FromSchema } from 'json-schema-to-ts';
import { parseStoragePath } from '../storage/keys';
import type { batchSchema, containerSchema, executionSchema, storageBindingSchema } from './schema';

export type StorageBinding = FromSchema<typeof storageBindingSchema>;
export type ContainerSpec = FromSchema<typeof containerSchema>;
export type ExecutionMode = FromSchema<typeof executionSchema>;
export type BatchResources = FromSchema<typeof batchSchema>;

export interface FunctionDefinition {
  /** Function name (the service's function key). */
  name: string;
  container: ContainerSpec;
  /** MiB. */
  memory?: number;
  /** Seconds. */
  timeout?: number;
  input?: StorageBinding[];
  output?: StorageBinding[];
  execution?: ExecutionMode;
  batch?: BatchResources;
  /** An HTTP endpoint for synchronous calls with a file as the body. */
  api?: boolean;
  /** Variables of the function itself (SCAR's `lambda.environment`), not the script's. */
  functionEnvironment?: Record<string, string>;
  /** Days to keep the function's logs. */
  logRetentionInDays?: number;
  /** The function's VPC (SCAR's `lambda.vpc`, passed to Lambda as its VpcConfig). */
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  /** The processor the function (and its Batch jobs) runs on (SCAR's `lambda.architectures`). */
  architecture?: 'x86_64' | 'arm64';
  /** Tags of the function and of every resource it brings (SCAR's `lambda.tags`). */
  tags?: Record<string, string>;
  /** An EFS access point mounted in the function (SCAR's `lambda.file_system`; Lambda takes one). */
  fileSystem?: { arn: string; localMountPath: string };
  /** An existing IAM role ARN the function runs with instead of a generated one (SCAR's `iam.role`). */
  role?: string;
  /** The function's description (SCAR's `lambda.description`). */
  description?: string;
  /** The HTTP method of the API route (SCAR's `api_gateway.http_method`; any by default). */
  apiMethod?: string;
  /** The REST API's name asked for (SCAR's `api_gateway.name`). */
  apiName?: string;
  /** Keep the image repository on remove (SCAR's `ecr.delete_image: false`). */
  keepImage?: boolean;
  /** Where an imported function came from, for messages: `scar.yaml functions.aws[0].lambda`. */
  source?: string;
}

/** A binding split into what the runtime and IAM need: bucket, prefix without slashes at either end. */
export interface ResolvedBinding {
  storage: string;
  bucket: string;
  prefix: string;
  suffix: string[];
  prefixFilter: string[];
  existing: boolean;
}

/** Parses a binding's `path` with the one storage-path parser, its prefix in the `bare` convention. */
export function resolveBinding(binding: StorageBinding, path: string): ResolvedBinding {
  const { bucket, prefix } = parseStoragePath(binding.path, `${path}.path`, { prefix: 'bare' });
  return {
    storage: binding.storage,
    bucket,
    prefix,
    suffix: binding.suffix ?? [],
    prefixFilter: binding.prefix ?? [],
    existing: binding.existing ?? false,
  };
}

/** `bucket/prefix`, or `bucket (whole bucket)`, for messages. */
export function describeBinding(binding: Pick<ResolvedBinding, 'bucket' | 'prefix'>): string {
  return binding.prefix ? `${binding.bucket}/${binding.prefix}` : `${binding.bucket} (the whole bucket)`;
}

/** The key prefix a binding covers: `prefix/`, or `''` for the whole bucket. */
export function keyPrefix(binding: Pick<ResolvedBinding, 'prefix'>): string {
  return binding.prefix ? `${binding.prefix}/` : '';
}

/** The kind of store of a provider id: `s3.lab` -> `s3`, `minio` -> `minio`. */
export function storageType(storage: string): string {
  const dot = storage.indexOf('.');
  return dot === -1 ? storage : storage.slice(0, dot);
}

/**
 * Whether an object written under `output` could match the `input` trigger: same bucket, the output
 * lies under the input prefix, and some key can end with both suffix lists.
 */
export function outputCanTriggerInput(input: ResolvedBinding, output: ResolvedBinding): boolean {
  // A write to one kind of store (a MinIO server) never notifies another (S3), whatever the bucket names.
  if (storageType(input.storage) !== storageType(output.storage)) return false;
  if (input.bucket !== output.bucket) return false;
  const inputPrefix = keyPrefix(input);
  const outputPrefix = keyPrefix(output);
  if (!outputPrefix.startsWith(inputPrefix) && !inputPrefix.startsWith(outputPrefix)) return false;
  // An input under the output prefix is only reached when the script writes into that sub-folder.
  if (inputPrefix.length > outputPrefix.length) {
    const sub = inputPrefix.slice(outputPrefix.length);
    if (
      output.prefixFilter.length &&
      !output.prefixFilter.some((p) => sub.startsWith(p) || p.startsWith(sub))
    )
      return false;
  }
  if (!input.suffix.length || !output.suffix.length) return true;
  return input.suffix.some((a) => output.suffix.some((b) => a.endsWith(b) || b.endsWith(a)));
}
