// `sls remove` on OSCAR: deletes the services carrying this service's label and nothing else, after naming
// the MinIO buckets OSCAR deletes with them.
import { trackingOf } from '../service-definition';
import { warnBuckets } from './deploy';
import type { CommandContext } from './context';

export async function removeServices(ctx: CommandContext): Promise<string[]> {
  const client = ctx.client();
  const ours = (await client.listServices()).filter((s) => trackingOf(s) === ctx.tracking);
  warnBuckets(ctx, ours);
  const removed: string[] = [];
  for (const service of ours) if (await client.deleteService(service.name)) removed.push(service.name);
  return removed;
}

export async function removeCommand(ctx: CommandContext): Promise<void> {
  const removed = await removeServices(ctx);
  ctx.utils.writeText(
    removed.length
      ? `Removed ${removed.length} OSCAR service(s) from ${ctx.endpoint}: ${removed.join(', ')}`
      : `No OSCAR service of ${ctx.tracking} on ${ctx.endpoint}`,
  );
}
