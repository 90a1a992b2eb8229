// `sls info` on OSCAR: the cluster (/system/info, /system/config without credentials) and each service's state and URLs.
import { trackingOf } from '../service-definition';

const CREDENTIAL = /secret|password|token|access_?key/i;

/** The client strips /system/config of its credentials; this is the second lock before anything is printed. */
export function withoutCredentials(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCredentials);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !CREDENTIAL.test(key))
      .map(([key, v]) => [key, withoutCredentials(v)]),
  );
}
import { serviceUrls, table, type CommandContext } from './context';

export async function infoLines(ctx: CommandContext): Promise<string[]> {
  const client = ctx.client();
  const info = await client.info();
  const config = await client.config();
  const onCluster = new Map((await client.listServices()).map((s) => [s.name, s]));
  const lines = [
    `cluster: ${ctx.endpoint}`,
    `  version: ${String(info.version ?? 'unknown')}, kubernetes ${String(info.kubernetes_version ?? 'unknown')}, ${String(info.architecture ?? '')}`.trimEnd(),
    `  config: ${JSON.stringify(withoutCredentials(config))}`,
    '',
  ];
  const rows = [['function', 'service', 'state']];
  const urls: string[] = [];
  for (const [key, definition] of ctx.definitions) {
    const service = onCluster.get(definition.name);
    const deployment = service?.deployment as { state?: string } | undefined;
    const state = !service
      ? 'not deployed'
      : trackingOf(service) !== ctx.tracking
        ? 'another service owns it'
        : (deployment?.state ?? 'deployed');
    rows.push([key, definition.name, state]);
    if (service) urls.push(`${definition.name}:`, ...serviceUrls(ctx.endpoint, service).map((u) => `  ${u}`));
  }
  return [...lines, ...table(rows), ...(urls.length ? ['', ...urls] : [])];
}

export async function infoCommand(ctx: CommandContext): Promise<void> {
  ctx.utils.writeText(await infoLines(ctx));
}
