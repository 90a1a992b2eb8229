// The service's adapters on AWS, built once per container from the environment the compile step sets.
import type { Services } from './types';

/**
 * Environment: TASCAAS_TABLE, TASCAAS_DEFINITIONS (JSON: name -> JobDefinition plus `queueUrl`, `deadLetterQueueUrl`),
 * TASCAAS_SCALE_TIME (seconds), TASCAAS_SECRET (a reference: `ssm:/name` or `secretsmanager:<arn or name>`).
 */
export async function servicesFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Services> {
  void env;
  throw new Error('tascaas service: not built yet');
}
