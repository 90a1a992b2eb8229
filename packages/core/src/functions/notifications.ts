// Storage event notifications of a service's functions: S3 (and MinIO, which follows it) take one prefix and one
// suffix per rule, and refuse two rules for the same event whose filters overlap.
import { ConfigError } from '../errors';
import type { ResolvedBinding } from './model';

interface NotificationRule {
  fn: string;
  path: string;
  bucket: string;
  prefix: string;
  suffix: string;
}

/**
 * S3 rejects two notification rules for the same event whose prefixes and suffixes overlap:
 * say which functions collide at package time rather than at deploy time.
 */
export function checkTriggerOverlaps(functions: Array<{ name: string; inputs: ResolvedBinding[] }>): void {
  const rules: NotificationRule[] = functions.flatMap((fn) =>
    fn.inputs.flatMap((input, i) =>
      notificationRules(input).map((r) => ({
        fn: fn.name,
        path: `functions.${fn.name}.input[${i}]`,
        bucket: input.bucket,
        ...r,
      })),
    ),
  );
  for (let a = 0; a < rules.length; a++) {
    for (let b = a + 1; b < rules.length; b++) {
      const x = rules[a]!;
      const y = rules[b]!;
      if (x.bucket !== y.bucket) continue;
      const prefixes = x.prefix.startsWith(y.prefix) || y.prefix.startsWith(x.prefix);
      const suffixes = !x.suffix || !y.suffix || x.suffix.endsWith(y.suffix) || y.suffix.endsWith(x.suffix);
      if (prefixes && suffixes) {
        throw new ConfigError(
          `${y.path}.path`,
          `its trigger on ${x.bucket}/${y.prefix}*${y.suffix} overlaps ${x.path} (${x.bucket}/${x.prefix}*${x.suffix}), which S3 does not allow`,
          'give each input its own prefix or suffix',
        );
      }
    }
  }
}

/** The S3 notification filters of one input: one rule per (prefix filter x suffix), as S3 takes one of each. */
export function notificationRules(input: ResolvedBinding): Array<{ prefix: string; suffix: string }> {
  const base = input.prefix ? `${input.prefix}/` : '';
  const prefixes = input.prefixFilter.length ? input.prefixFilter.map((p) => base + p) : [base];
  const suffixes = input.suffix.length ? input.suffix : [''];
  return prefixes.flatMap((prefix) => suffixes.map((suffix) => ({ prefix, suffix })));
}
