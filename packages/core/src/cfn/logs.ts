// CloudWatch Logs retention of the log groups the suite's functions write to.

/** The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`, `AWS::Logs::LogGroup.RetentionInDays`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/** SCAR's default: a log group without a retention keeps its logs (and bills for them) forever. */
export const DEFAULT_LOG_RETENTION_DAYS: LogRetentionDays = 30;

/**
 * The retention to set on a function the suite adds or owns: the function's own `logRetentionInDays`, else the
 * service's `provider.logRetentionInDays`, else the default. Set on the function, so that the framework writes it
 * into the log group it creates.
 */
export function logRetentionInDays(functionLevel: unknown, providerLevel: unknown): number {
  if (typeof functionLevel === 'number') return functionLevel;
  if (typeof providerLevel === 'number') return providerLevel;
  return DEFAULT_LOG_RETENTION_DAYS;
}
