// The SDK clients a handler creates once per container. S3 goes through the storage adapter's own client
// config, so a handler's raw client and its `Storage` talk to an S3-compatible endpoint the same way.
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../storage/s3';

export interface HandlerS3Options {
  /** An S3-compatible endpoint (MinIO, s3rver in tests): addressed path-style. AWS S3 when omitted. */
  endpoint?: string;
  /** Defaults to the SDK's resolution (Lambda sets AWS_REGION), or `us-east-1` with an endpoint and none set. */
  region?: string;
  /**
   * The SDK's retry strategy: `adaptive` adds client-side rate limiting to `standard`'s jittered backoff, for
   * callers that many tasks share a request rate with (S3's SlowDown is per prefix). The SDK's default otherwise.
   */
  retry?: { mode: 'standard' | 'adaptive'; maxAttempts: number };
}

/** The S3 client of a handler; pass it to `createS3Storage({ client })` to share its connections. */
export function createS3Client(options: HandlerS3Options = {}): S3Client {
  const region = options.region ?? process.env.AWS_REGION;
  return new S3Client({
    ...s3ClientConfig({
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(region ? { region } : {}),
    }),
    ...(options.retry ? { retryMode: options.retry.mode, maxAttempts: options.retry.maxAttempts } : {}),
  });
}

/**
 * The Lambda client; the SDK honours AWS_ENDPOINT_URL_LAMBDA, which tests point at a loopback wire. Commands
 * pass the framework's credentials; handlers leave them to the SDK's chain.
 */
export function createLambdaClient(
  options: { region?: string; credentials?: LambdaClientConfig['credentials'] } = {},
): LambdaClient {
  return new LambdaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
