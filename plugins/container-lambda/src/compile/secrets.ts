// `container.secrets` in the template: the references for the supervisor, Batch's `Secrets`, and IAM read on
// exactly those parameters and secrets. No value is ever known here, let alone written.
import { arn, type CfnValue, type PolicyStatement } from '@serverless-continuum/core/cfn';
import type { SecretReference } from '@serverless-continuum/core/functions';
import type { ResolvedContainerFunction } from '../config';
import type { SecretsByService } from '../runtime/contract';

/** The secrets of a function, by name, in a stable order. */
function secretsOf(fn: ResolvedContainerFunction): Array<[string, SecretReference]> {
  return Object.entries(fn.secrets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The secret's full ARN: as written, or built from an SSM name in the stack's partition, region and account. */
export function secretArn(reference: SecretReference): CfnValue {
  return reference.arn ?? arn.ssmParameter(reference.parameterPath ?? reference.reference);
}

/**
 * `CONTINUUM_SECRETS`: `{ ssm: { NAME: reference }, secretsmanager: { NAME: reference } }`, references as
 * written (what GetParameter and GetSecretValue take), grouped by service so the supervisor parses nothing.
 */
export function secretsVariable(fn: ResolvedContainerFunction): string | undefined {
  return secretsOf(fn).length ? JSON.stringify(secretsByService(fn)) : undefined;
}

/** The secrets as the supervisor and the local runner take them. */
export function secretsByService(fn: ResolvedContainerFunction): SecretsByService {
  const byService: SecretsByService = {};
  for (const [name, ref] of secretsOf(fn)) (byService[ref.service] ??= {})[name] = ref.reference;
  return byService;
}

/** The job definition's `Secrets`: Batch sets each variable from its full ARN when the job starts. */
export function batchSecrets(fn: ResolvedContainerFunction): Array<{ name: string; valueFrom: CfnValue }> {
  return secretsOf(fn).map(([name, ref]) => ({ name, valueFrom: secretArn(ref) }));
}

/** The KMS keys that may hold the secret: those of its own account and region. */
function keysOf(reference: SecretReference): CfnValue {
  const parts = reference.arn?.split(':');
  if (!parts) return arn.kmsKeys();
  return arn.kmsKeys({ partition: parts[1]!, region: parts[3]!, account: parts[4]! });
}

/**
 * Read on exactly the function's parameters and secrets; the supervisor calls `ssm:GetParameter`, the ECS
 * agent of a Batch job `ssm:GetParameters`. `kms:Decrypt` is needed only for a customer managed key; it is
 * narrowed to these secrets by their encryption context (SSM's `PARAMETER_ARN`, Secrets Manager's
 * `SecretARN`), to calls made through those services, and to keys of the secret's own account and region.
 */
export function secretStatements(
  fn: ResolvedContainerFunction,
  ssmAction: 'ssm:GetParameter' | 'ssm:GetParameters',
): PolicyStatement[] {
  const secrets = secretsOf(fn).map(([, ref]) => ref);
  const statements: PolicyStatement[] = [];
  const services = [
    { service: 'ssm', action: ssmAction, context: 'PARAMETER_ARN' },
    { service: 'secretsmanager', action: 'secretsmanager:GetSecretValue', context: 'SecretARN' },
  ] as const;
  const decrypt: PolicyStatement[] = [];
  for (const { service, action, context } of services) {
    const refs = secrets.filter((ref) => ref.service === service);
    if (!refs.length) continue;
    const arns = unique(refs.map(secretArn));
    statements.push({ Effect: 'Allow', Action: [action], Resource: arns });
    decrypt.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: unique(refs.map(keysOf)),
      Condition: {
        StringEquals: { [`kms:EncryptionContext:${context}`]: arns },
        StringLike: { 'kms:ViaService': `${service}.*.amazonaws.com` },
      },
    });
  }
  return [...statements, ...decrypt];
}

function unique(values: CfnValue[]): CfnValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
