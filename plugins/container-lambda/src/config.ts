// The container-lambda configuration: JSON schemas (as const) for the function properties and
// `custom.containerLambda`, the types derived from them, and the cross-field rules checked once, here.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  batchSchema,
  containerSchema,
  describeBinding,
  executionSchema,
  outputCanTriggerInput,
  parseSecretReference,
  resolveBinding,
  SECRET_REFERENCE_FORMS,
  storageBindingSchema,
  type ExecutionMode,
  type FunctionDefinition,
  type ResolvedBinding,
  type SecretReference,
} from '@serverless-continuum/core/functions';
import { ENV, SCRIPT_ENV } from './runtime/contract';

/** On AWS a function reads and writes S3 (`s3` or `s3.<id>`), as in SCAR. */
export const awsStorageBindingSchema = {
  ...storageBindingSchema,
  properties: {
    ...storageBindingSchema.properties,
    storage: { type: 'string', pattern: '^s3(\\.[A-Za-z0-9_-]+)?$' },
  },
} as const;

export const inputSchema = { type: 'array', items: awsStorageBindingSchema, minItems: 1 } as const;
export const outputSchema = { type: 'array', items: awsStorageBindingSchema, minItems: 1 } as const;
export const apiSchema = { type: 'boolean' } as const;
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
    fdl: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
    },
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
  },
  additionalProperties: false,
} as const;

export type ContainerFunctionProperties = FromSchema<typeof functionPropertiesSchema>;
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
}

/** One container function after every rule passed: what compile steps and commands work from. */
export interface ResolvedContainerFunction {
  /** The function's key in `functions`. */
  name: string;
  /** Lambda function name (the framework's `<service>-<stage>-<key>` unless set). */
  lambdaName: string;
  image: string;
  /** An ECR image pinned by digest: used as is, nothing is built. */
  prebuilt: boolean;
  /** The image the function runs when prebuilt (`container.image`, or `custom.containerLambda.images.<fn>`). */
  imageUri?: string;
  /** Absolute path of the user's script (absent only for prebuilt images). */
  script?: string;
  environment: Record<string, string>;
  /** `container.secrets`: variable name -> where its value lives (never the value). */
  secrets: Record<string, SecretReference>;
  alpine: boolean;
  inputs: ResolvedBinding[];
  outputs: ResolvedBinding[];
  execution: ExecutionMode;
  batch?: ResolvedBatch;
  api: boolean;
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
}

export function isContainerFunction(fn: unknown): fn is ContainerFunctionConfig {
  return typeof fn === 'object' && fn !== null && 'container' in fn;
}

/** `functions.<name>.container.<key>` must be a string: the error names the path and what it holds. */
function stringTypeError(name: string, key: 'image' | 'script', value: unknown): ConfigError | undefined {
  if (value === undefined || typeof value === 'string') return undefined;
  const held =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'a list'
        : `the ${typeof value} ${JSON.stringify(value)}`;
  return new ConfigError(`functions.${name}.container.${key}`, `must be a string, not ${held}`, 'quote it');
}

/**
 * The string properties of every container function that hold something else. Both frameworks validate with
 * ajv's `coerceTypes`, which rewrites `image: 123` to `"123"` in the service before any hook runs, and
 * `configValidationMode: warn` lets the rest through: read the config as the user wrote it, from the
 * plugin's constructor, and refuse it later.
 */
export function nonStringProperties(functions: unknown): ConfigError[] {
  if (typeof functions !== 'object' || functions === null) return [];
  return Object.entries(functions).flatMap(([name, fn]) => {
    if (!isContainerFunction(fn) || typeof fn.container !== 'object' || fn.container === null) return [];
    const container = fn.container as Record<string, unknown>;
    return (['image', 'script'] as const).flatMap((key) => stringTypeError(name, key, container[key]) ?? []);
  });
}

/** Applies the rules the schema cannot say; every error names the config path and the fix. */
export function resolveContainerFunction(
  name: string,
  fn: ContainerFunctionConfig,
  options: ResolveOptions,
): ResolvedContainerFunction {
  const at = `functions.${name}`;
  const container = fn.container;
  if (!container) throw new ConfigError(`${at}.container`, 'required');
  for (const key of ['image', 'script'] as const) {
    const error = stringTypeError(name, key, container[key]);
    if (error) throw error;
  }
  if (fn.image !== undefined) {
    throw new ConfigError(
      `${at}.image`,
      'remove it',
      'a container function gets its image from container.image',
    );
  }
  if (fn.handler !== undefined) {
    throw new ConfigError(
      `${at}.handler`,
      'remove it',
      'a container function runs container.script, not a handler',
    );
  }

  if (options.prebuiltImage !== undefined && !isPrebuiltImage(options.prebuiltImage)) {
    throw new ConfigError(
      `custom.containerLambda.images.${name}`,
      `"${options.prebuiltImage}" is not an ECR image uri pinned by digest`,
      'write <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>',
    );
  }
  const imageUri = options.prebuiltImage ?? (isPrebuiltImage(container.image) ? container.image : undefined);
  const prebuilt = imageUri !== undefined;
  let script: string | undefined;
  if (container.script) {
    script = isAbsolute(container.script) ? container.script : resolve(options.serviceDir, container.script);
    if (!existsSync(script)) {
      throw new ConfigError(
        `${at}.container.script`,
        `file not found: ${script}`,
        'give a path relative to the service folder',
      );
    }
  } else if (!prebuilt) {
    throw new ConfigError(
      `${at}.container.script`,
      'required to build the image',
      'the supervisor runs it with /bin/sh on every event; a prebuilt image is an ECR uri pinned by digest',
    );
  }

  const environment = { ...(container.environment ?? {}) };
  for (const key of Object.keys(environment)) {
    if (isReservedVariable(key)) {
      throw new ConfigError(
        `${at}.container.environment.${key}`,
        'reserved name',
        'the supervisor sets it; pick another name',
      );
    }
  }
  const secrets = resolveSecrets(`${at}.container`, container.secrets ?? {}, environment);

  const inputs = (fn.input ?? []).map((b, i) => resolveBinding(b, `${at}.input[${i}]`));
  const outputs = (fn.output ?? []).map((b, i) => resolveBinding(b, `${at}.output[${i}]`));
  inputs.forEach((input, i) =>
    outputs.forEach((output, j) => {
      if (outputCanTriggerInput(input, output)) {
        throw new ConfigError(
          `${at}.input[${i}].path`,
          `${describeBinding(input)} would be triggered by this function's own output ${describeBinding(output)} (output[${j}]): every result would run the function again`,
          `use prefixes that do not contain each other, e.g. ${input.bucket}/input and ${output.bucket}/output`,
        );
      }
    }),
  );

  const execution: ExecutionMode = fn.execution ?? 'lambda';
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
  } else {
    batch = resolveBatch(at, batchConfig, fn.batch !== undefined);
  }

  const architecture = (fn.architecture ?? options.architecture ?? 'x86_64') === 'arm64' ? 'arm64' : 'x86_64';
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
  return {
    name,
    lambdaName,
    image: container.image,
    prebuilt,
    imageUri,
    script,
    environment,
    secrets,
    alpine: container.alpine ?? false,
    inputs,
    outputs,
    execution,
    batch,
    api: fn.api ?? false,
    deadlineMarginSeconds: margin ?? (execution === 'lambda-batch' ? defaultMargin : undefined),
    architecture,
  };
}

function isReservedVariable(name: string): boolean {
  return RESERVED_ENV.has(name) || name.startsWith('AWS_') || name.startsWith('CONTINUUM_');
}

/** Each secret must be a reference the supervisor (and Batch) can read, under a name nothing else sets. */
function resolveSecrets(
  at: string,
  secrets: Record<string, string>,
  environment: Record<string, string>,
): Record<string, SecretReference> {
  const resolved: Record<string, SecretReference> = {};
  for (const [name, value] of Object.entries(secrets)) {
    const path = `${at}.secrets.${name}`;
    if (isReservedVariable(name))
      throw new ConfigError(path, 'reserved name', 'the supervisor sets it; pick another name');
    if (name.startsWith('CONT_VAR_')) {
      throw new ConfigError(
        path,
        'reserved name (HTTP query parameters reach the script as CONT_VAR_<name> and would override it)',
        'pick another name',
      );
    }
    if (name in environment) {
      throw new ConfigError(path, `also set in ${at}.environment.${name}`, 'keep one of them');
    }
    const reference = parseSecretReference(value);
    // The value is not repeated: a mistaken entry may be the secret itself.
    if (!reference) {
      throw new ConfigError(
        path,
        'not an SSM parameter name or ARN, nor a Secrets Manager secret ARN',
        SECRET_REFERENCE_FORMS,
      );
    }
    resolved[name] = reference;
  }
  return resolved;
}

function resolveBatch(at: string, config: BatchConfig, own: boolean): ResolvedBatch {
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
  const maxVcpus = config.maxVcpus ?? Math.max(BATCH_DEFAULTS.maxVcpus, vcpus);
  if (maxVcpus < vcpus) {
    throw new ConfigError(
      `${where}.maxVcpus`,
      `${maxVcpus} is less than vcpus (${vcpus})`,
      'a job could never be placed',
    );
  }
  if (config.minVcpus !== undefined && config.minVcpus > maxVcpus) {
    throw new ConfigError(`${where}.minVcpus`, `must not exceed maxVcpus (${maxVcpus})`);
  }
  return {
    vcpus,
    memory: config.memory ?? BATCH_DEFAULTS.memory,
    gpu,
    instanceTypes: [
      ...(config.instanceTypes ??
        (gpu > 0 ? BATCH_DEFAULTS.gpuInstanceTypes : BATCH_DEFAULTS.cpuInstanceTypes)),
    ],
    spot: config.spot ?? false,
    minVcpus: config.minVcpus ?? 0,
    maxVcpus,
    desiredVcpus: config.desiredVcpus,
    subnets: [...(config.subnets ?? [])],
    securityGroupIds: [...(config.securityGroupIds ?? [])],
    fallbackInputBytes: config.fallback?.inputBytes,
  };
}

interface NotificationRule {
  fn: string;
  path: string;
  bucket: string;
  prefix: string;
  suffix: string;
}

/**
 * S3 rejects two notification rules for the same event whose prefixes and suffixes overlap:
 * say which functions collide at package time rather than at deploy time.
 */
export function checkTriggerOverlaps(functions: ResolvedContainerFunction[]): void {
  const rules: NotificationRule[] = functions.flatMap((fn) =>
    fn.inputs.flatMap((input, i) =>
      notificationRules(input).map((r) => ({
        fn: fn.name,
        path: `functions.${fn.name}.input[${i}]`,
        bucket: input.bucket,
        ...r,
      })),
    ),
  );
  for (let a = 0; a < rules.length; a++) {
    for (let b = a + 1; b < rules.length; b++) {
      const x = rules[a]!;
      const y = rules[b]!;
      if (x.bucket !== y.bucket) continue;
      const prefixes = x.prefix.startsWith(y.prefix) || y.prefix.startsWith(x.prefix);
      const suffixes = !x.suffix || !y.suffix || x.suffix.endsWith(y.suffix) || y.suffix.endsWith(x.suffix);
      if (prefixes && suffixes) {
        throw new ConfigError(
          `${y.path}.path`,
          `its trigger on ${x.bucket}/${y.prefix}*${y.suffix} overlaps ${x.path} (${x.bucket}/${x.prefix}*${x.suffix}), which S3 does not allow`,
          'give each input its own prefix or suffix',
        );
      }
    }
  }
}

/** The S3 notification filters of one input: one rule per (prefix filter x suffix), as S3 takes one of each. */
export function notificationRules(input: ResolvedBinding): Array<{ prefix: string; suffix: string }> {
  const base = input.prefix ? `${input.prefix}/` : '';
  const prefixes = input.prefixFilter.length ? input.prefixFilter.map((p) => base + p) : [base];
  const suffixes = input.suffix.length ? input.suffix : [''];
  return prefixes.flatMap((prefix) => suffixes.map((suffix) => ({ prefix, suffix })));
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
  if (def.api) config.api = true;
  if (def.functionEnvironment) config.environment = def.functionEnvironment;
  if (def.logRetentionInDays !== undefined) config.logRetentionInDays = def.logRetentionInDays;
  return config;
}
