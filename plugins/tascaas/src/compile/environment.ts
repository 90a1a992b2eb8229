// The environment every tascaas function (and each block's worker) gets: the runtime's whole view of the
// service (service/aws.ts `servicesFromEnvironment` reads it). References only: never the secret's value.
import type { CfnValue } from '@serverless-continuum/core/cfn';
import type { SecretSetting, TascaasSettings } from '../config';
import { SECRET_ID, TABLE_ID, deadLetterQueueLogicalId, queueLogicalId } from './names';

export const ENV = {
  table: 'TASCAAS_TABLE',
  definitions: 'TASCAAS_DEFINITIONS',
  scaleTime: 'TASCAAS_SCALE_TIME',
  secret: 'TASCAAS_SECRET',
} as const;

/** Where the runtime reads the secret: `secretsmanager:<ARN or name>` or `ssm:<name>`. */
export function secretVariable(secret: SecretSetting): CfnValue {
  switch (secret.source) {
    case 'generated':
      // A secret's Ref is its ARN.
      return { 'Fn::Sub': `secretsmanager:\${${SECRET_ID}}` };
    case 'ssm':
      return `ssm:${secret.arn ?? secret.name}`;
    case 'secretsmanager':
      return `secretsmanager:${secret.id}`;
  }
}

const marker = (id: string) => `@@tascaas-ref:${id}@@`;

/**
 * `TASCAAS_DEFINITIONS`: name -> JobDefinition + `queueUrl` + `deadLetterQueueUrl`, as one `Fn::Sub` whose
 * only substitutions are the queues' Refs (their URLs); any `${` of the user's own text is escaped.
 */
export function definitionsVariable(settings: TascaasSettings): CfnValue {
  const byName = Object.fromEntries(
    settings.definitions.map((d) => [
      d.name,
      {
        ...d,
        queueUrl: marker(queueLogicalId(d.name)),
        deadLetterQueueUrl: marker(deadLetterQueueLogicalId(d.name)),
      },
    ]),
  );
  const text = JSON.stringify(byName)
    .replace(/\$\{/g, '${!')
    .replace(/@@tascaas-ref:([A-Za-z0-9]+)@@/g, (_, id: string) => `\${${id}}`);
  return { 'Fn::Sub': text };
}

/** The longest SQS queue URL a stack gives (`https://sqs.<region>.amazonaws.com/<account>/<stack>-<id>-<12>`, name <= 80). */
const QUEUE_URL_BYTES = 140;

/** What `TASCAAS_DEFINITIONS` weighs once CloudFormation has put the queue URLs in, at most. */
export function definitionsBytes(settings: TascaasSettings): number {
  const text = (definitionsVariable(settings) as { 'Fn::Sub': string })['Fn::Sub'];
  const refs = text.match(/\$\{[A-Za-z0-9]+\}/g) ?? [];
  return Buffer.byteLength(text) + refs.length * QUEUE_URL_BYTES - refs.join('').length;
}

/** Lambda's limit on a function's whole environment, and what the definitions may take of it. */
export const ENVIRONMENT_BYTES = 4096;
export const DEFINITIONS_BYTES = 3072;

export function environment(settings: TascaasSettings): Record<string, CfnValue> {
  return {
    [ENV.table]: { Ref: TABLE_ID },
    [ENV.definitions]: definitionsVariable(settings),
    [ENV.scaleTime]: String(settings.scaleTime),
    [ENV.secret]: secretVariable(settings.secret),
  };
}
