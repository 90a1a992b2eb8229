// Names of what the plugin adds: function keys, deployed names, logical ids, the table, the artifact. One place,
// so the commands, the compile step and the tests agree.
import { lambdaLogicalId, logicalId } from '@serverless-continuum/core/cfn';

export interface ServiceContext {
  service: string;
  stage: string;
}

/** The plugin's functions, by what each serves. */
export type Role = 'submit' | 'dispatch' | 'balance' | 'monitor' | 'status';
export const ROLES: readonly Role[] = ['submit', 'dispatch', 'balance', 'monitor', 'status'];

/** The key under `functions`: `tascaasSubmit`. */
export function functionKey(role: Role): string {
  return `tascaas${role.charAt(0).toUpperCase()}${role.slice(1)}`;
}

/** The deployed Lambda name, as the framework names functions: `<service>-<stage>-<key>`. */
export function functionName(ctx: ServiceContext, role: Role): string {
  return `${ctx.service}-${ctx.stage}-${functionKey(role)}`;
}

export function functionLogicalId(role: Role): string {
  return lambdaLogicalId(functionKey(role));
}

/** Each function has its own role: `TascaasSubmitRole`. */
export function roleLogicalId(role: Role): string {
  return logicalId('Tascaas', role, 'Role');
}

export const TABLE_ID = 'TascaasTable';
export const SECRET_ID = 'TascaasSecret';

/** A fixed name, so that a command can find the table without a stack lookup. */
export function tableName(ctx: ServiceContext): string {
  return `${ctx.service}-${ctx.stage}-tascaas`;
}

/** `MontecarloTascaasQueue`: a job block's partition queue. */
export function queueLogicalId(job: string): string {
  return logicalId(job, 'TascaasQueue');
}

export function deadLetterQueueLogicalId(job: string): string {
  return logicalId(job, 'TascaasDeadLetterQueue');
}

/** The statements a block's `worker` function gets, attached to whatever role the framework gave it. */
export function workerPolicyLogicalId(job: string): string {
  return logicalId(job, 'TascaasWorkerPolicy');
}

/** The one artifact of the five functions, relative to the service folder. */
export const ARTIFACT_PATH = '.serverless/tascaas/runtime.zip';

/** Lambda's limit on function names. */
export const MAX_FUNCTION_NAME = 64;

/** The stack output the framework writes for `provider.httpApi`: the API's base URL. */
export const HTTP_API_URL_OUTPUT = 'HttpApiUrl';

/** The stack output of the generated secret's ARN. */
export const SECRET_ARN_OUTPUT = 'TascaasSecretArn';
