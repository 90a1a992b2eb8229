// The service's adapters on AWS, built once per container from the environment the compile step sets. The secret
// is read from SSM or Secrets Manager here, never from the template.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createS3Client } from '@serverless-continuum/core/lambda';
import { createSqsQueue } from '@serverless-continuum/core/queue';
import { createDynamoStateStore } from '@serverless-continuum/core/state';
import { createS3Storage } from '@serverless-continuum/core/storage';
import type { JobDefinition, ObjectLinks, Services } from './types';

/** One entry of TASCAAS_DEFINITIONS: a definition and its queues. */
export type DeployedDefinition = JobDefinition & { queueUrl: string; deadLetterQueueUrl: string };

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ContinuumError('CONTINUUM_INVALID_CONFIG', `environment variable ${name} is not set`);
  return value;
}

/** `ssm:/name` (a SecureString, decrypted) or `secretsmanager:<arn or name>`. */
export async function readSecret(reference: string, region?: string): Promise<string> {
  const [service, ...rest] = reference.split(':');
  const id = rest.join(':');
  if (service === 'ssm') {
    const answer = await new SSMClient(region ? { region } : {}).send(
      new GetParameterCommand({ Name: id, WithDecryption: true }),
    );
    const value = answer.Parameter?.Value;
    if (value) return value;
  } else if (service === 'secretsmanager') {
    const answer = await new SecretsManagerClient(region ? { region } : {}).send(
      new GetSecretValueCommand({ SecretId: id }),
    );
    if (answer.SecretString) return answer.SecretString;
  }
  throw new ContinuumError('CONTINUUM_INVALID_CONFIG', `the tascaas secret ${service}:… has no value`);
}

/**
 * Environment: TASCAAS_TABLE, TASCAAS_DEFINITIONS (JSON: name -> JobDefinition plus `queueUrl`, `deadLetterQueueUrl`),
 * TASCAAS_SCALE_TIME (seconds), TASCAAS_SECRET (a reference: `ssm:/name` or `secretsmanager:<arn or name>`).
 */
export async function servicesFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Services> {
  const region = env.AWS_REGION;
  const deployed = JSON.parse(required(env, 'TASCAAS_DEFINITIONS')) as Record<string, DeployedDefinition>;
  const s3 = createS3Client();
  const links: ObjectLinks = {
    get: ({ bucket, key }, expiresIn) =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }),
    put: ({ bucket, key }, expiresIn) =>
      getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }),
  };
  const definitions: Record<string, JobDefinition> = {};
  const queues: Services['queues'] = {};
  for (const [name, { queueUrl, deadLetterQueueUrl, ...definition }] of Object.entries(deployed)) {
    definitions[name] = definition;
    queues[name] = {
      partitions: createSqsQueue({ queueUrl, ...(region ? { region } : {}) }),
      deadLetters: createSqsQueue({ queueUrl: deadLetterQueueUrl, ...(region ? { region } : {}) }),
    };
  }
  return {
    state: createDynamoStateStore({
      client: new DynamoDBClient(region ? { region } : {}),
      table: required(env, 'TASCAAS_TABLE'),
    }),
    queues,
    storage: createS3Storage({ client: s3 }),
    links,
    definitions,
    secret: await readSecret(required(env, 'TASCAAS_SECRET'), region),
    scaleTime: Number(required(env, 'TASCAAS_SCALE_TIME')),
    now: () => Date.now(),
    log: (line) => console.log(line),
  };
}
