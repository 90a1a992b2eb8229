// The values of `container.secrets` for the script. Lambda: read from SSM / Secrets Manager when a script is
// about to run and kept in this container's memory for SECRETS_TTL_MS. Batch: already in the job's environment
// (the job definition's `Secrets`). Local runs: from this machine's environment. Values are never logged.
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { SecretsByService } from './contract';

/** The two reads the supervisor makes; the real adapter (aws.ts) wraps the SDK clients, created once. */
export interface SecretReader {
  /** SSM GetParameter with decryption; `name` is a parameter name or ARN. */
  parameter(name: string): Promise<string>;
  /** Secrets Manager GetSecretValue (`SecretString`); `id` is the secret's ARN. */
  secret(id: string): Promise<string>;
}

/** A rotated secret reaches the scripts of a warm container within this time; each read costs a call. */
export const SECRETS_TTL_MS = 5 * 60_000;

interface Entry {
  name: string;
  service: 'ssm' | 'secretsmanager';
  reference: string;
}

function entries(secrets: SecretsByService | undefined): Entry[] {
  return [
    ...Object.entries(secrets?.ssm ?? {}).map(([name, reference]) => ({
      name,
      service: 'ssm' as const,
      reference,
    })),
    ...Object.entries(secrets?.secretsmanager ?? {}).map(([name, reference]) => ({
      name,
      service: 'secretsmanager' as const,
      reference,
    })),
  ];
}

export function hasSecrets(secrets: SecretsByService | undefined): boolean {
  return entries(secrets).length > 0;
}

function secretLabel(entry: Entry): string {
  const where = entry.service === 'ssm' ? 'SSM parameter' : 'Secrets Manager secret';
  return `secret ${entry.name} (${where} ${entry.reference})`;
}

/** An environment variable cannot hold a NUL byte; the kernel would refuse the whole environment. */
function checked(entry: Entry, value: string): string {
  if (value.includes('\0')) {
    throw new ContinuumError(
      'CONTINUUM_SECRET',
      `${secretLabel(entry)}: the value holds a NUL byte and cannot be a variable`,
    );
  }
  return value;
}

/** Lambda: reads every secret together, keeps them for `ttlMs`; a failed read fails this run and is retried next time. */
export class SecretCache {
  private values: Record<string, string> | undefined;
  private readAt = 0;

  constructor(
    private readonly secrets: SecretsByService | undefined,
    private readonly reader: SecretReader,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
    private readonly ttlMs = SECRETS_TTL_MS,
  ) {}

  async environment(): Promise<Record<string, string>> {
    if (this.values && this.now() - this.readAt < this.ttlMs) return this.values;
    const list = entries(this.secrets);
    const read = await Promise.all(
      list.map(async (entry) => {
        try {
          const value =
            entry.service === 'ssm'
              ? await this.reader.parameter(entry.reference)
              : await this.reader.secret(entry.reference);
          return [entry.name, checked(entry, value)] as const;
        } catch (error) {
          if (error instanceof ContinuumError) throw error;
          const e = error as Error;
          throw new ContinuumError(
            'CONTINUUM_SECRET',
            `${secretLabel(entry)} could not be read: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`,
            { cause: error },
          );
        }
      }),
    );
    this.values = Object.fromEntries(read);
    this.readAt = this.now();
    this.log(`secrets read: ${list.map((entry) => entry.name).join(', ')}`);
    return this.values;
  }
}

/**
 * Batch (set by the job definition's `Secrets`) and local runs (this machine's environment): the value of each
 * secret is the variable of the same name; a missing one is an error naming the secret.
 */
export function secretsFromEnvironment(
  secrets: SecretsByService | undefined,
  env: NodeJS.ProcessEnv,
  where: 'batch' | 'local',
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const entry of entries(secrets)) {
    const value = env[entry.name];
    if (value === undefined) {
      throw new ContinuumError(
        'CONTINUUM_SECRET',
        where === 'batch'
          ? `${secretLabel(entry)} is not in the job's environment (the job definition's Secrets sets it; was the job definition changed?)`
          : `${secretLabel(entry)} is not set: a local run reads no AWS secret; export ${entry.name} in this shell with the value to use`,
      );
    }
    values[entry.name] = checked(entry, value);
  }
  return values;
}
