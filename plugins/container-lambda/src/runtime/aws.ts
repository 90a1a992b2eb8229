// The real AWS adapters of the supervisor: S3 storage, Batch SubmitJob, Lambda's asynchronous Invoke and the
// secret reads, created once.
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createLambdaClient, invokeAsync } from '@serverless-continuum/core/lambda';
import { createS3Storage, type Storage } from '@serverless-continuum/core/storage';
import type { BatchSubmitter } from './batch';
import type { SecretReader } from './secrets';
import type { SupervisorSettings } from './settings';

export function createStorage(settings: SupervisorSettings, region: string | undefined): Storage {
  // A custom endpoint (MinIO, s3rver in tests) means path-style addressing.
  if (settings.s3Endpoint) return createS3Storage({ endpoint: settings.s3Endpoint, region });
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
  const client = createLambdaClient(region ? { region } : {});
  return (functionName, event) => invokeAsync(client, functionName, event);
}

/** The region an ARN names (`arn:<partition>:<service>:<region>:...`): both services answer only for their own. */
function regionOf(reference: string): string | undefined {
  return reference.startsWith('arn:') ? reference.split(':')[3] || undefined : undefined;
}

/** SSM and Secrets Manager through the SDK (AWS_ENDPOINT_URL_SSM / _SECRETS_MANAGER in tests), one client per region. */
export function createSecretReader(region: string | undefined): SecretReader {
  const ssm = new Map<string | undefined, SSMClient>();
  const secretsManager = new Map<string | undefined, SecretsManagerClient>();
  const client = <C>(clients: Map<string | undefined, C>, at: string | undefined, make: () => C): C => {
    let found = clients.get(at);
    if (!found) clients.set(at, (found = make()));
    return found;
  };
  return {
    async parameter(name) {
      const at = regionOf(name) ?? region;
      const out = await client(ssm, at, () => new SSMClient({ region: at })).send(
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      if (out.Parameter?.Value === undefined) throw new Error('GetParameter answered without a value');
      return out.Parameter.Value;
    },
    async secret(id) {
      const at = regionOf(id) ?? region;
      const out = await client(secretsManager, at, () => new SecretsManagerClient({ region: at })).send(
        new GetSecretValueCommand({ SecretId: id }),
      );
      if (out.SecretString === undefined) {
        throw new Error('the secret holds binary data only (SecretBinary); store the value as a string');
      }
      return out.SecretString;
    },
  };
}
