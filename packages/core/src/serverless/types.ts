// The slice of the Serverless Framework (v3 and osls 4) plugin API that the suite uses, typed once.
import type { CfnResource, CfnTemplate } from '../cfn/types';

export interface ServerlessFunctionConfig {
  name?: string;
  handler?: string;
  image?: string | { name?: string; uri?: string; command?: string[]; entryPoint?: string[] };
  memorySize?: number;
  timeout?: number;
  environment?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
  package?: { artifact?: string; individually?: boolean; patterns?: string[] };
  /** Lambda's retries of a failed asynchronous invocation (0-2; Lambda's default is 2). */
  maximumRetryAttempts?: number;
  /** Where Lambda sends records of asynchronous invocations: a function key of this service, or an ARN. */
  destinations?: { onSuccess?: string; onFailure?: string };
  /** Days the function's log group keeps its logs (the framework writes it into the `AWS::Logs::LogGroup`). */
  logRetentionInDays?: number;
  [key: string]: unknown;
}

export interface ServerlessProviderConfig {
  name: string;
  region?: string;
  stage?: string;
  runtime?: string;
  compiledCloudFormationTemplate?: CfnTemplate;
  ecr?: {
    images?: Record<
      string,
      { path?: string; file?: string; uri?: string; buildArgs?: Record<string, string>; platform?: string }
    >;
  };
  /** `role` is the framework's shared role, or the ARN of a role of the user's. */
  iam?: {
    role?: string | { statements?: unknown[]; managedPolicies?: unknown[]; permissionsBoundary?: unknown };
  };
  [key: string]: unknown;
}

export interface ServerlessService {
  service?: string;
  provider: ServerlessProviderConfig;
  custom?: Record<string, unknown>;
  functions?: Record<string, ServerlessFunctionConfig>;
  resources?: { Resources?: Record<string, CfnResource>; Outputs?: Record<string, unknown> };
  getAllFunctions(): string[];
  getFunction(name: string): ServerlessFunctionConfig;
  getServiceName?(): string;
}

export interface ConfigSchemaHandler {
  defineFunctionProperties(provider: string, schema: object): void;
  defineCustomProperties(schema: object): void;
  defineTopLevelProperty(name: string, schema: object): void;
  defineProvider(name: string, options?: object): void;
  defineFunctionEvent?(provider: string, event: string, schema: object): void;
}

export interface AwsProviderLike {
  getRegion(): string;
  getStage(): string;
  getCredentials?(): { credentials?: unknown; region?: string };
  getAwsSdkV3Config?(): Promise<Record<string, unknown>> | Record<string, unknown>;
  naming?: { getLambdaLogicalId(fn: string): string; getStackName(): string };
  request?(service: string, method: string, params: object): Promise<unknown>;
}

export interface ServerlessLike {
  version?: string;
  service: ServerlessService;
  configSchemaHandler?: ConfigSchemaHandler;
  classes: { Error: new (message: string, code?: string) => Error };
  getProvider(name: string): AwsProviderLike | undefined;
  /** Registers a provider plugin under its `provider.name` (see `registerProvider`). */
  setProvider?(name: string, provider: object): void;
  config: { servicePath?: string; serviceDir?: string };
  serviceDir?: string;
  processedInput?: { commands: string[]; options: Record<string, unknown> };
  /** v3 / osls: a section of the summary `sls deploy` and `sls info` print. */
  addServiceOutputSection?(name: string, content: string | string[]): void;
}

export type CliOptions = Record<string, string | boolean | string[] | undefined>;

/** The constructor's third argument in v3 / osls 4. */
export interface PluginUtilsInput {
  log?: Partial<Logger> & ((message?: string) => void);
  progress?: ProgressFactory;
  writeText?: (text: string | string[]) => void;
}

export interface Logger {
  (message?: string): void;
  error(message?: string): void;
  warning(message?: string): void;
  notice(message?: string): void;
  info(message?: string): void;
  debug(message?: string): void;
  verbose(message?: string): void;
  success(message?: string): void;
}

export interface Progress {
  update(message: string): void;
  remove(): void;
}

export interface ProgressFactory {
  create(options: { message: string; name?: string }): Progress;
  get?(name: string): Progress;
}
