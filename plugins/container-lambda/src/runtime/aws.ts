// The real AWS adapters of the supervisor: S3 storage, Batch SubmitJob and Lambda's asynchronous Invoke, created once.
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createS3Storage, type Storage } from '@serverless-continuum/core/storage';
import type { BatchSubmitter } from './batch';
import type { SupervisorSettings } from './settings';

export function createStorage(settings: SupervisorSettings, region: string | undefined): Storage {
  // A custom endpoint (MinIO, s3rver in tests) means path-style addressing.
  if (settings.s3Endpoint)
    return createS3Storage({ endpoint: settings.s3Endpoint, forcePathStyle: true, region });
  return createS3Storage({ region });
}

/** Batch through the SDK; the SDK honours AWS_ENDPOINT_URL_BATCH, which tests point at a loopback server. */
export function createBatchSubmitter(region: string | undefined): BatchSubmitter {
  const client = new BatchClient({ region });
  return {
    async submitJob(request) {
      const out = await client.send(new SubmitJobCommand(request));
      if (!out.jobId || !out.jobName) {
        throw new ContinuumError('CONTINUUM_RUN_FAILED', 'AWS Batch SubmitJob answered without a job id');
      }
      return { jobId: out.jobId, jobName: out.jobName };
    },
  };
}

/** Starts an asynchronous invocation of `functionName` (an ARN or a name) with `event`. */
export function createAsyncInvoker(
  region: string | undefined,
): (functionName: string, event: unknown) => Promise<void> {
  const client = new LambdaClient({ region });
  return async (functionName, event) => {
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
  };
}
