// Function keys only one target understands: so that one service file can deploy to Lambda on one stage and to
// OSCAR on another, each plugin accepts the other's keys and says they do nothing on its provider.

/** The keys only OSCAR understands (oscar-target's `provider: oscar`). */
export const OSCAR_ONLY_KEYS = [
  'cpu',
  'gpu',
  'synchronous',
  'secrets',
  'replicas',
  'expose',
  'mount',
  'visibility',
  'allowedUsers',
  'logLevel',
  'imagePullSecrets',
  'annotations',
  'labels',
  'ephemeralStorage',
  'totalMemory',
  'totalCpu',
  'imagePrefetch',
  'fileStageIn',
  'isolationLevel',
  'enableSgx',
  'vo',
  'interlinkNodeName',
  'volume',
  'clusters',
  'kserve',
] as const;

/** The OSCAR-only keys the functions of a service on another provider hold, as config paths. */
export function oscarOnlyKeys(functions: Record<string, unknown> | undefined): string[] {
  return Object.entries(functions ?? {}).flatMap(([name, fn]) =>
    typeof fn === 'object' && fn !== null
      ? OSCAR_ONLY_KEYS.filter((key) => key in fn).map((key) => `functions.${name}.${key}`)
      : [],
  );
}

/** A schema that accepts each OSCAR-only key (whatever its value) under another provider's functions. */
export const oscarOnlyKeysSchema = {
  type: 'object',
  properties: Object.fromEntries(OSCAR_ONLY_KEYS.map((key) => [key, {}])),
} as const;
