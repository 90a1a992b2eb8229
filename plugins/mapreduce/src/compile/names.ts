// Names derived from a job: function keys, deployed names, logical ids, the run table, artifacts. One place, so commands agree with compile.
import { lambdaLogicalId, logicalId } from '@serverless-continuum/core/cfn';
import type { Role } from '../config';

export interface ServiceContext {
  service: string;
  stage: string;
}

/** The key under `functions`: `wordcount-mr-mapper`. */
export function functionKey(job: string, role: Role): string {
  return `${job}-mr-${role}`;
}

/** The deployed Lambda name, as the framework names functions: `<service>-<stage>-<key>`. */
export function functionName(ctx: ServiceContext, job: string, role: Role): string {
  return `${ctx.service}-${ctx.stage}-${functionKey(job, role)}`;
}

export function functionLogicalId(job: string, role: Role): string {
  return lambdaLogicalId(functionKey(job, role));
}

export function tableLogicalId(job: string): string {
  return logicalId(job, 'MapreduceRunTable');
}

/** Each function of a job has its own role: `WordcountMapreduceMapperRole`. */
export function roleLogicalId(job: string, role: Role): string {
  return logicalId(job, 'Mapreduce', role, 'Role');
}

/** A fixed table name, so `sls mapreduce run`/`status` find the run state without a stack lookup. */
export function tableName(ctx: ServiceContext, job: string): string {
  return `${ctx.service}-${ctx.stage}-${job}-mr-runs`;
}

/** Per-role artifact, relative to the service folder (the framework empties `.serverless/` before packaging). */
export function artifactPath(job: string, role: Role): string {
  return `.serverless/mapreduce/${job}-${role}.zip`;
}

/** Lambda's limit on function names. */
export const MAX_FUNCTION_NAME = 64;
