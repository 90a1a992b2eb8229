// The container-lambda configuration: JSON schemas (as const) for the function properties and
// `custom.containerLambda`, the types derived from them, and the cross-field rules checked once, here.
import type { FromSchema } from 'json-schema-to-ts';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  imageRepositorySchema,
  insecureRegistriesSchema,
  nodeRuntimeSchema,
} from '@serverless-continuum/core/image/settings';
import {
  batchSchema,
  checkFunctionEntry,
  containerSchema,
  executionSchema,
  fdlFilesSchema,
  isContainerFunction as isContainerEntry,
  parseSecretReference,
  resolveFunction,
  SECRET_REFERENCE_FORMS,
  storageBindingSchema,
  type ExecutionMode,
  type FunctionDefinition,
  type ResolvedFunction,
  type SecretReference,
} from '@serverless-continuum/core/functions';
import { ENV, SCRIPT_ENV, type StorageAccounts } from './runtime/contract';

/** On AWS a function is triggered by S3 (`s3` or `s3.<id>`), as in SCAR. */
export const awsStorageBindingSchema = {
  ...storageBindingSchema,
  properties: {
    ...storageBindingSchema.properties,
    storage: { type: 'string', pattern: '^s3(\\.[A-Za-z0-9_-]+)?$' },
  },
} as const;

/** Outputs go to S3, or to a MinIO (S3-compatible) server of `custom.containerLambda.storageProviders`. */
export const awsOutputBindingSchema = {
  ...storageBindingSchema,
  properties: {
    ...storageBindingSchema.properties,
    storage: { type: 'string', pattern: '^(s3|minio|webdav|onedata)(\\.[A-Za-z0-9_-]+)?$' },
  },
} as const;

import { outputAccounts, storageProvidersSchema, type StorageProvidersConfig } from './storage-accounts';
export { inS3, storageProvidersSchema, type StorageProvidersConfig } from './storage-accounts';

export const inputSchema = { type: 'array', items: awsStorageBindingSchema, minItems: 1 } as const;
export const outputSchema = { type: 'array', items: awsOutputBindingSchema, minItems: 1 } as const;

/** `true` (any method) or `{ method }`: an HTTP endpoint at `/<function>`. */
export const apiSchema = {
  anyOf: [
    { type: 'boolean' },
    {
      type: 'object',
      properties: { method: { enum: ['ANY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] } },
      additionalProperties: false,
    },
  ],
} as const;
export { batchSchema, containerSchema, executionSchema };

/** The properties this plugin adds to `functions.<name>` (registered with defineFunctionProperties). */
export const functionPropertiesSchema = {
  type: 'object',
  properties: {
    container: containerSchema,
    input: inputSchema,
    output: outputSchema,
    execution: executionSchema,
    batch: batchSchema,
    api: apiSchema,
  },
} as const;

/** `custom.containerLambda`. */
export const customSchema = {
  type: 'object',
  properties: {
    /** SCAR FDL file(s) whose `functions.aws` become functions of this service. */
    fdl: fdlFilesSchema,
    /**
     * Prebuilt images by function name: ECR uris pinned by digest (for example built in CI from
     * `sls container context`). Such a function is not built; handy for functions imported from FDL.
     */
    images: {
      type: 'object',
      propertyNames: { pattern: '^[a-zA-Z0-9-_]+$' },
      additionalProperties: { type: 'string', minLength: 1 },
    },
    /** Defaults for every function's `batch` (like SCAR's scar.cfg): usually subnets and securityGroupIds. */
    batch: batchSchema,
    /**
     * Keep the service's images on `sls remove` (SCAR's `ecr.delete_image: false`): the registry builder's
     * repository (`repository`), or the framework's `serverless-<service>-<stage>` with `builder: docker`.
     * By default they are deleted once the stack is gone.
     */
    keepImages: { type: 'boolean' },
    /**
     * MinIO (S3-compatible) servers outputs may name as `minio.<id>` (SCAR's `storage_providers.minio`). Their
     * keys are the function's `container.secrets` `MINIO_<ID>_ACCESS_KEY` and `MINIO_<ID>_SECRET_KEY`.
     */
    storageProviders: storageProvidersSchema,
    /**
     * How images are built: `registry` (the default) assembles them through the registry API with no Docker;
     * `docker` writes a build context for the framework's own `docker build` and ECR push.
     */
    builder: { enum: ['registry', 'docker'] },
    /** The ECR repository the registry builder pushes to (one for the service's functions, a tag each). */
    repository: imageRepositorySchema,
    /** Where the registry builder takes Node.js from (core's image settings). */
    runtime: nodeRuntimeSchema,
    insecureRegistries: insecureRegistriesSchema,
  },
  additionalProperties: false,
} as const;

export type ContainerFunctionProperties = FromSchema<typeof functionPropertiesSchema>;
/** `api: { method }`'s methods (the importer has checked SCAR's `http_method` against the same list). */
type ApiMethod = NonNullable<Exclude<ContainerFunctionProperties['api'], boolean | undefined>['method']>;
export type ContainerSpec = FromSchema<typeof containerSchema>;
export type BatchConfig = FromSchema<typeof batchSchema>;
export type ContainerLambdaCustom = FromSchema<typeof customSchema>;

/** A `functions.<name>` entry as this plugin reads it: the framework's own keys plus ours. */
export type ContainerFunctionConfig = ContainerFunctionProperties & {
  name?: string;
  image?: unknown;
  handler?: unknown;
  role?: unknown;
  timeout?: number;
  memorySize?: number;
  architecture?: string;
  events?: Array<Record<string, unknown>>;
  [key: string]: unknown;
};

export interface ResolvedBatch {
  vcpus: number;
  memory: number;
  gpu: number;
  instanceTypes: string[];
  spot: boolean;
  minVcpus: number;
  maxVcpus: number;
  desiredVcpus?: number;
  subnets: string[];
  securityGroupIds: string[];
  fallbackInputBytes?: number;
  /** An existing role for AWS Batch itself (else its service-linked role). */
  serviceRole?: string;
  /** An existing instance profile or role for the instances (else the generated one). */
  instanceRole?: string;
  launchTemplateName?: string;
  /** Plain variables of the Batch job only. */
  environment?: Record<string, string>;
  /** One job over several instances (AWS Batch multi-node parallel). */
  multiNodeParallel?: { nodes: number; mainNode: number };
}

/**
 * One container function after every rule passed: what compile steps and commands work from. The neutral part
 * (script, environment, secrets, bindings) is core's `resolveFunction`; the rest is AWS's.
 */
export interface ResolvedContainerFunction extends ResolvedFunction<SecretReference> {
  /** Lambda function name (the framework's `<service>-<stage>-<key>` unless set). */
  lambdaName: string;
  /** An ECR image pinned by digest: used as is, nothing is built. */
  prebuilt: boolean;
  /** The image the function runs when prebuilt (`container.image`, or `custom.containerLambda.images.<fn>`). */
  imageUri?: string;
  alpine: boolean;
  execution: ExecutionMode;
  batch?: ResolvedBatch;
  api: boolean;
  /** The API route's method (`api.method`; any when unset). */
  apiMethod?: string;
  /** An EFS access point the function mounts (the framework's `fileSystemConfig`). */
  fileSystem?: { arn: string; localMountPath: string };
  /** The MinIO servers its outputs name (`minio.<id>`), by id. */
  storageAccounts?: StorageAccounts;
  /** Tags of the function (the framework's `tags`): every resource the plugin makes for it carries them. */
  tags?: Record<string, string>;
  deadlineMarginSeconds?: number;
  architecture: 'x86_64' | 'arm64';
}

const ECR_DIGEST = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/;

/** A prebuilt image: an ECR uri pinned by digest (it packages offline and is never rebuilt). */
export function isPrebuiltImage(image: string): boolean {
  return ECR_DIGEST.test(image);
}

const RESERVED_ENV = new Set<string>([...Object.values(ENV), ...SCRIPT_ENV]);

export const BATCH_DEFAULTS = {
  vcpus: 1,
  memory: 2048,
  cpuInstanceTypes: ['optimal'],
  gpuInstanceTypes: ['g4dn.xlarge'],
  maxVcpus: 16,
  deadlineMarginSeconds: 10,
} as const;

export interface ResolveOptions {
  serviceDir: string;
  /** `custom.containerLambda.batch`. */
  batchDefaults?: BatchConfig;
  /** Lambda function name (already set by the framework). */
  lambdaName?: string;
  /** Provider-level architecture. */
  architecture?: string;
  /** `custom.containerLambda.images.<fn>`. */
  prebuiltImage?: string;
  /** `provider.timeout` (seconds), the default of every function's. */
  providerTimeout?: number;
  /** `custom.containerLambda.storageProviders`. */
  storageProviders?: StorageProvidersConfig;
}

// Core's neutral rules, exported where the plugin and its tests have always found them.
export {
  checkTriggerOverlaps,
  nonStringProperties,
  notificationRules,
} from '@serverless-continuum/core/functions';

/** Core's test, narrowed to this plugin's entry. */
export function isContainerFunction(fn: unknown): fn is ContainerFunctionConfig {
  return isContainerEntry(fn);
}

/**
 * Applies the rules the schema cannot say: core's provider-neutral ones (resolveFunction), then AWS's (ECR
 * images, Batch, Lambda limits). Every error names the config path and the fix.
 */
export function resolveContainerFunction(
  name: string,
  fn: ContainerFunctionConfig,
  options: ResolveOptions,
): ResolvedContainerFunction {
  const at = `functions.${name}`;
  const container = checkFunctionEntry(name, fn);
  if (options.prebuiltImage !== undefined && !isPrebuiltImage(options.prebuiltImage)) {
    throw new ConfigError(
      `custom.containerLambda.images.${name}`,
      `"${options.prebuiltImage}" is not an ECR image uri pinned by digest`,
      'write <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>',
    );
  }
  const imageUri = options.prebuiltImage ?? (isPrebuiltImage(container.image) ? container.image : undefined);
  const prebuilt = imageUri !== undefined;
  const neutral = resolveFunction(name, fn, {
    serviceDir: options.serviceDir,
    prebuilt,
    scriptHint:
      'the supervisor runs it with /bin/sh on every event; a prebuilt image is an ECR uri pinned by digest',
    isReserved: isReservedVariable,
    secret: secretReference,
  });

  const execution: ExecutionMode = fn.execution ?? 'lambda';
  const architecture = (fn.architecture ?? options.architecture ?? 'x86_64') === 'arm64' ? 'arm64' : 'x86_64';
  const batchConfig: BatchConfig = { ...(options.batchDefaults ?? {}), ...(fn.batch ?? {}) };
  let batch: ResolvedBatch | undefined;
  if (execution === 'lambda') {
    if (fn.batch?.gpu) {
      throw new ConfigError(
        `${at}.batch.gpu`,
        'needs execution: batch or lambda-batch',
        'Lambda has no GPUs',
      );
    }
    if (fn.batch?.multiNodeParallel) {
      throw new ConfigError(
        `${at}.batch.multiNodeParallel`,
        'needs execution: batch or lambda-batch',
        'a multi-node job runs on AWS Batch',
      );
    }
  } else {
    batch = resolveBatch(at, batchConfig, fn.batch !== undefined, architecture);
    for (const name of Object.keys(batch.environment ?? {})) {
      if (isReservedVariable(name) || neutral.secrets[name] !== undefined) {
        throw new ConfigError(
          `${at}.batch.environment.${name}`,
          neutral.secrets[name] !== undefined
            ? 'would replace the secret of the same name in container.secrets'
            : 'reserved name (the supervisor and AWS use it)',
        );
      }
    }
  }

  // The framework's default timeout is 6 s: the margin must leave the script some of it.
  const timeout = fn.timeout ?? options.providerTimeout ?? 6;
  const margin =
    fn.batch?.fallback?.deadlineMarginSeconds ?? options.batchDefaults?.fallback?.deadlineMarginSeconds;
  if (margin !== undefined && margin >= timeout) {
    throw new ConfigError(
      `${fn.batch?.fallback?.deadlineMarginSeconds !== undefined ? at : 'custom.containerLambda'}.batch.fallback.deadlineMarginSeconds`,
      `must be less than the function's timeout (${timeout} s)`,
      'raise the timeout or lower the margin',
    );
  }
  const defaultMargin = Math.max(1, Math.min(BATCH_DEFAULTS.deadlineMarginSeconds, Math.floor(timeout / 3)));
  const lambdaName = options.lambdaName ?? (typeof fn.name === 'string' ? fn.name : name);
  if (lambdaName.length > 64) {
    throw new ConfigError(
      `${at}.name`,
      `the Lambda function name "${lambdaName}" has ${lambdaName.length} characters; AWS allows 64`,
      'set a shorter functions.<name>.name, or a shorter service or function name',
    );
  }
  const storageAccounts = outputAccounts(at, neutral.outputs, neutral.secrets, options.storageProviders);
  const mounted = fileSystem(fn.fileSystemConfig);
  const tags = stringTags(fn.tags);
  return {
    name,
    lambdaName,
    image: neutral.image,
    prebuilt,
    imageUri,
    script: neutral.script,
    environment: neutral.environment,
    secrets: neutral.secrets,
    alpine: container.alpine ?? false,
    inputs: neutral.inputs,
    outputs: neutral.outputs,
    execution,
    batch,
    api: fn.api !== undefined && fn.api !== false,
    ...(typeof fn.api === 'object' && fn.api.method ? { apiMethod: fn.api.method } : {}),
    ...(mounted ? { fileSystem: mounted } : {}),
    ...(storageAccounts ? { storageAccounts } : {}),
    ...(Object.keys(tags).length ? { tags } : {}),
    deadlineMarginSeconds: margin ?? (execution === 'lambda-batch' ? defaultMargin : undefined),
    architecture,
  };
}

/** The framework's `fileSystemConfig` when both values are plain strings (an intrinsic cannot be scoped). */
function fileSystem(value: unknown): { arn: string; localMountPath: string } | undefined {
  const config = value as { arn?: unknown; localMountPath?: unknown } | undefined;
  return typeof config?.arn === 'string' && typeof config.localMountPath === 'string'
    ? { arn: config.arn, localMountPath: config.localMountPath }
    : undefined;
}

function stringTags(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function isReservedVariable(name: string): boolean {
  return RESERVED_ENV.has(name) || name.startsWith('AWS_') || name.startsWith('CONTINUUM_');
}

/** A secret's value must be a reference the supervisor (and Batch) can read: SSM or Secrets Manager. */
function secretReference(value: string, path: string): SecretReference {
  const reference = parseSecretReference(value);
  // The value is not repeated: a mistaken entry may be the secret itself.
  if (!reference) {
    throw new ConfigError(
      path,
      'not an SSM parameter name or ARN, nor a Secrets Manager secret ARN',
      SECRET_REFERENCE_FORMS,
    );
  }
  return reference;
}

/** AWS Graviton (arm64) instance types and families: a1, and a `g` right after the generation (m6g, c7gn.large). */
const GRAVITON = /^(a1|[a-z]+\d+g[a-z]*)(\.|$)/;

/** Instance families AWS Batch picks from for arm64 (its `optimal` is x86_64 only). */
export const ARM64_INSTANCE_TYPES = ['m6g', 'c6g', 'r6g'] as const;

function resolveBatch(
  at: string,
  config: BatchConfig,
  own: boolean,
  architecture: 'x86_64' | 'arm64',
): ResolvedBatch {
  const where = own ? `${at}.batch` : 'custom.containerLambda.batch';
  for (const key of ['subnets', 'securityGroupIds'] as const) {
    if (!config[key]?.length) {
      throw new ConfigError(
        `${at}.batch.${key}`,
        'required when execution is batch or lambda-batch',
        key === 'subnets'
          ? 'SCAR needs them too: list the VPC subnets for the compute environment, here or for every function in custom.containerLambda.batch.subnets'
          : 'list the security groups of the compute environment instances, here or in custom.containerLambda.batch.securityGroupIds',
      );
    }
  }
  const gpu = config.gpu ?? 0;
  const vcpus = config.vcpus ?? BATCH_DEFAULTS.vcpus;
  // A multi-node job needs all its nodes at once, each on an instance of its own.
  const nodes = config.multiNodeParallel?.nodes ?? 1;
  const maxVcpus = config.maxVcpus ?? Math.max(BATCH_DEFAULTS.maxVcpus, vcpus * nodes);
  if (maxVcpus < vcpus) {
    throw new ConfigError(
      `${where}.maxVcpus`,
      `${maxVcpus} is less than vcpus (${vcpus})`,
      'a job could never be placed',
    );
  }
  if (maxVcpus < vcpus * nodes) {
    throw new ConfigError(
      `${where}.maxVcpus`,
      `${maxVcpus} is less than ${nodes} nodes of ${vcpus} vCPUs`,
      'the multi-node job could never start: raise maxVcpus (or lower vcpus or the nodes)',
    );
  }
  if (config.minVcpus !== undefined && config.minVcpus > maxVcpus) {
    throw new ConfigError(`${where}.minVcpus`, `must not exceed maxVcpus (${maxVcpus})`);
  }
  const arm64 = architecture === 'arm64';
  if (arm64 && gpu > 0) {
    throw new ConfigError(
      `${where}.gpu`,
      'not available for arm64 functions',
      "AWS Batch's GPU image (ECS_AL2_NVIDIA) runs on x86_64 instances only: use architecture x86_64 for a GPU",
    );
  }
  const instanceTypes = [
    ...(config.instanceTypes ??
      (gpu > 0
        ? BATCH_DEFAULTS.gpuInstanceTypes
        : arm64
          ? ARM64_INSTANCE_TYPES
          : BATCH_DEFAULTS.cpuInstanceTypes)),
  ];
  // The image is built for one architecture: an instance of the other could not run it.
  const foreign = instanceTypes.filter((type) => GRAVITON.test(type) !== arm64);
  if (foreign.length) {
    throw new ConfigError(
      `${where}.instanceTypes`,
      `${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not ${arm64 ? 'an arm64 (Graviton)' : 'an x86_64'} instance type, and the function is ${architecture}`,
      arm64
        ? `list Graviton types or families (${ARM64_INSTANCE_TYPES.join(', ')}, c7g.xlarge, ...)`
        : 'list x86_64 types, or set the architecture to arm64',
    );
  }
  const multiNode = config.multiNodeParallel;
  if (multiNode) {
    const mainNode = multiNode.mainNode ?? 0;
    if (mainNode >= multiNode.nodes) {
      throw new ConfigError(
        `${where}.multiNodeParallel.mainNode`,
        `must be less than nodes (${multiNode.nodes})`,
        'nodes are numbered from 0',
      );
    }
    if (config.spot) {
      throw new ConfigError(
        `${where}.spot`,
        'AWS Batch runs no multi-node parallel job on Spot instances',
        'remove spot (or multiNodeParallel)',
      );
    }
    if ((config.securityGroupIds?.length ?? 0) > 5) {
      throw new ConfigError(
        `${where}.securityGroupIds`,
        'a multi-node compute environment takes at most 5 security groups (AWS Batch)',
      );
    }
  }
  return {
    vcpus,
    memory: config.memory ?? BATCH_DEFAULTS.memory,
    gpu,
    instanceTypes,
    spot: config.spot ?? false,
    minVcpus: config.minVcpus ?? 0,
    maxVcpus,
    desiredVcpus: config.desiredVcpus,
    subnets: [...(config.subnets ?? [])],
    securityGroupIds: [...(config.securityGroupIds ?? [])],
    fallbackInputBytes: config.fallback?.inputBytes,
    ...(config.serviceRole ? { serviceRole: config.serviceRole } : {}),
    ...(config.instanceRole ? { instanceRole: config.instanceRole } : {}),
    ...(config.launchTemplateName ? { launchTemplateName: config.launchTemplateName } : {}),
    ...(config.environment && Object.keys(config.environment).length
      ? { environment: { ...config.environment } }
      : {}),
    ...(multiNode
      ? { multiNodeParallel: { nodes: multiNode.nodes, mainNode: multiNode.mainNode ?? 0 } }
      : {}),
  };
}

/** A function imported from SCAR FDL, written as the `functions.<name>` entry a user would have written. */
export function fdlFunctionConfig(def: FunctionDefinition): ContainerFunctionConfig {
  const config: ContainerFunctionConfig = { container: { ...def.container } };
  if (def.memory !== undefined) config.memorySize = def.memory;
  if (def.timeout !== undefined) config.timeout = def.timeout;
  if (def.input?.length) config.input = def.input;
  if (def.output?.length) config.output = def.output;
  if (def.execution) config.execution = def.execution;
  if (def.batch) config.batch = def.batch;
  if (def.api)
    config.api = def.apiMethod && def.apiMethod !== 'ANY' ? { method: def.apiMethod as ApiMethod } : true;
  if (def.functionEnvironment) config.environment = def.functionEnvironment;
  if (def.logRetentionInDays !== undefined) config.logRetentionInDays = def.logRetentionInDays;
  // The framework's own function settings: it compiles the VpcConfig (the VPC policy follows) and the tags.
  if (def.vpc) config.vpc = def.vpc;
  if (def.tags) config.tags = def.tags;
  if (def.description !== undefined) config.description = def.description;
  if (def.fileSystem) config.fileSystemConfig = { ...def.fileSystem };
  // An ARN of the user's: the framework uses it as the function's role, and the plugin makes none.
  if (def.role) config.role = def.role;
  // The framework's own setting: it writes the function's Architectures; the image and Batch follow it.
  if (def.architecture) config.architecture = def.architecture;
  return config;
}
