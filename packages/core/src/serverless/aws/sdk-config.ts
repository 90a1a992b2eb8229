// AWS SDK v3 client settings and the region and stage, as the framework resolves them (CLI flags win).
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { CliOptions, ServerlessLike } from '../types';

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

/** The service's name and stage, the two parts of the names a plugin gives its resources and functions. */
export function serviceAndStage(
  serverless: ServerlessLike,
  options: CliOptions = {},
): { service: string; stage: string } {
  const service = serverless.service.service ?? serverless.service.getServiceName?.() ?? 'service';
  return { service, stage: regionAndStage(serverless, options).stage };
}
