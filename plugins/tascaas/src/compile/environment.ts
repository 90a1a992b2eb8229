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

export function environment(settings: TascaasSettings): Record<string, CfnValue> {
  return {
    [ENV.table]: { Ref: TABLE_ID },
    [ENV.definitions]: definitionsVariable(settings),
    [ENV.scaleTime]: String(settings.scaleTime),
    [ENV.secret]: secretVariable(settings.secret),
  };
}
