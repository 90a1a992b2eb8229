// A typed facade over the framework plugin API that behaves the same under serverless@3 and osls 4.
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { ContinuumError, isContinuumError } from '../errors';
import { PLUGIN_METADATA_KEY, type CfnResource, type CfnTemplate } from '../cfn/types';
import type {
  CliOptions,
  Logger,
  PluginUtilsInput,
  Progress,
  ProgressFactory,
  ServerlessLike,
} from './types';
import { sayNodeSupportWarningOnce } from './sdk-warning';

export interface PluginUtils {
  log: Logger;
  progress: ProgressFactory;
  writeText(text: string | string[]): void;
}

function consoleLogger(): Logger {
  const write = (message?: string) => process.stderr.write(`${message ?? ''}\n`);
  return Object.assign(write, {
    error: write,
    warning: write,
    notice: write,
    info: write,
    success: write,
    debug: () => undefined,
    verbose: () => undefined,
  });
}

/** The v3 constructor utils, or console-backed stand-ins when a framework (or a test) passes none. */
export function pluginUtils(input?: PluginUtilsInput): PluginUtils {
  const fallback = consoleLogger();
  const given = input?.log;
  const log: Logger = given
    ? Object.assign((message?: string) => given(message), {
        error: given.error?.bind(given) ?? fallback.error,
        warning: given.warning?.bind(given) ?? fallback.warning,
        notice: given.notice?.bind(given) ?? fallback.notice,
        info: given.info?.bind(given) ?? fallback.info,
        success: given.success?.bind(given) ?? fallback.success,
        debug: given.debug?.bind(given) ?? fallback.debug,
        verbose: given.verbose?.bind(given) ?? fallback.verbose,
      })
    : fallback;
  const silentProgress: Progress = { update: () => undefined, remove: () => undefined };
  const progress: ProgressFactory = input?.progress ?? {
    create: ({ message }) => {
      log.info(message);
      return { update: (m: string) => log.info(m), remove: silentProgress.remove };
    },
  };
  const writeText =
    input?.writeText ?? ((text: string | string[]) => process.stdout.write(`${[text].flat().join('\n')}\n`));
  // Every plugin builds its utils here first: the one place that quiets the SDK's seven-line warning.
  sayNodeSupportWarningOnce((message) => log.warning(message));
  return { log, progress, writeText };
}

/**
 * Turns our coded errors into the framework's own error class, so it prints them without a stack trace.
 * Neither framework prints an error's code, so the code ends the message: `<message> [CONTINUUM_...]`.
 */
export function toFrameworkError(serverless: ServerlessLike, error: unknown): Error {
  if (isContinuumError(error)) {
    const message = error.message.endsWith(`[${error.code}]`)
      ? error.message
      : `${error.message} [${error.code}]`;
    return new serverless.classes.Error(message, error.code);
  }
  return error instanceof Error ? error : new Error(String(error));
}

type HookFn = () => unknown;

/** Wraps every hook so a ContinuumError reaches the user as a clean framework error with its code. */
export function wrapHooks(serverless: ServerlessLike, hooks: Record<string, HookFn>): Record<string, HookFn> {
  return Object.fromEntries(
    Object.entries(hooks).map(([name, fn]) => [
      name,
      async () => {
        try {
          return await fn();
        } catch (error) {
          throw toFrameworkError(serverless, error);
        }
      },
    ]),
  );
}

export function defineFunctionProperties(serverless: ServerlessLike, schema: object, provider = 'aws'): void {
  serverless.configSchemaHandler?.defineFunctionProperties(provider, schema);
}

/** Declares `custom.<key>` with its schema (the framework then validates it and names bad paths). */
export function defineCustomProperty(serverless: ServerlessLike, key: string, schema: object): void {
  serverless.configSchemaHandler?.defineCustomProperties({ type: 'object', properties: { [key]: schema } });
}

export function defineTopLevelProperty(serverless: ServerlessLike, key: string, schema: object): void {
  serverless.configSchemaHandler?.defineTopLevelProperty(key, schema);
}

/** The folder of the service being deployed (v3 calls it `serviceDir`, older code `servicePath`). */
export function serviceDir(serverless: ServerlessLike): string {
  return (
    serverless.serviceDir ?? serverless.config.serviceDir ?? serverless.config.servicePath ?? process.cwd()
  );
}

export function compiledTemplate(serverless: ServerlessLike): CfnTemplate {
  const template = serverless.service.provider.compiledCloudFormationTemplate;
  if (!template)
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', 'no compiled CloudFormation template yet');
  template.Resources ??= {};
  return template;
}

/**
 * Merges resources into the compiled template, each marked with the plugin that made it;
 * a logical id that already exists is a bug, not an override.
 */
export function mergeResources(
  serverless: ServerlessLike,
  plugin: string,
  resources: Record<string, CfnResource>,
): void {
  const template = compiledTemplate(serverless);
  for (const [id, resource] of Object.entries(resources)) {
    if (template.Resources[id]) {
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `resource ${id} is already defined in the template`,
      );
    }
    template.Resources[id] = {
      ...resource,
      Metadata: { ...resource.Metadata, [PLUGIN_METADATA_KEY]: plugin },
    };
  }
}

/**
 * Sets CloudFormation properties the framework has no setting for on a compiled function of this service
 * (`key` as under `functions`); call from `package:compileEvents` or later, when functions are compiled.
 */
export function setFunctionProperties(
  serverless: ServerlessLike,
  key: string,
  properties: Record<string, unknown>,
): void {
  const logicalId = serverless.getProvider('aws')?.naming?.getLambdaLogicalId(key);
  const resource = logicalId ? compiledTemplate(serverless).Resources[logicalId] : undefined;
  if (!resource || resource.Type !== 'AWS::Lambda::Function') {
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', `function ${key} is not in the compiled template`);
  }
  resource.Properties = { ...resource.Properties, ...properties };
}

export function mergeOutputs(serverless: ServerlessLike, outputs: Record<string, unknown>): void {
  const template = compiledTemplate(serverless);
  template.Outputs = { ...(template.Outputs ?? {}), ...outputs };
}

export interface AwsClientConfig {
  region: string;
  credentials?: unknown;
  endpoint?: string;
  [key: string]: unknown;
}

/**
 * AWS SDK v3 client config: the framework's own when it offers `getAwsSdkV3Config()` (osls, v4),
 * otherwise the provider's region and the SDK's default credential chain.
 */
export async function awsClientConfig(
  serverless: ServerlessLike,
  options: CliOptions = {},
): Promise<AwsClientConfig> {
  const provider = serverless.getProvider('aws');
  const fromFramework = await provider?.getAwsSdkV3Config?.();
  const region =
    (typeof options.region === 'string' && options.region) ||
    (fromFramework?.region as string | undefined) ||
    provider?.getRegion() ||
    serverless.service.provider.region ||
    process.env.AWS_REGION ||
    'us-east-1';
  return { ...(fromFramework ?? {}), region };
}

/** Credentials as every AWS SDK v3 client takes them (their configs share one type). */
export type SdkCredentials = S3ClientConfig['credentials'];

/** What an SDK v3 client's constructor needs of an `awsClientConfig`: its region, and its credentials if any. */
export function sdkClientSettings(config: { region: string; credentials?: unknown }): {
  region: string;
  credentials?: SdkCredentials;
} {
  return {
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials as SdkCredentials } : {}),
  };
}

/** Region and stage as the framework resolves them (CLI flags win). */
export function regionAndStage(
  serverless: ServerlessLike,
  options: CliOptions = {},
): { region: string; stage: string } {
  const provider = serverless.getProvider('aws');
  const region =
    (typeof options.region === 'string' && options.region) ||
    provider?.getRegion() ||
    serverless.service.provider.region ||
    'us-east-1';
  const stage =
    (typeof options.stage === 'string' && options.stage) ||
    provider?.getStage() ||
    serverless.service.provider.stage ||
    'dev';
  return { region, stage };
}

/** Adds a section to what `sls info` and `sls deploy` print (both frameworks); nothing when it has no lines. */
export function addInfoSection(serverless: ServerlessLike, name: string, lines: string[]): void {
  if (lines.length) serverless.addServiceOutputSection?.(name, lines);
}
