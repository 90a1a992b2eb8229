// `sls deploy` and `sls deploy function -f x` on OSCAR: create what is missing, update what changed, leave the
// identical alone, and (a whole deploy) remove the services this service created and no longer defines.
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { OscarService } from '../client/types';
import { changedFields, minioBuckets, trackingOf } from '../service-definition';
import { commandFunction, serviceUrls, table, type CommandContext } from './context';

export type DeployAction = 'created' | 'updated' | 'unchanged' | 'removed';

export interface DeployStep {
  name: string;
  action: DeployAction;
  /** The fields that differed (updated). */
  changed?: string[];
}

/** Deploys `names` (function keys; all when undefined); removal happens only on a whole deploy. */
export async function deployServices(ctx: CommandContext, names?: string[]): Promise<DeployStep[]> {
  const client = ctx.client();
  const onCluster = new Map((await client.listServices()).map((s) => [s.name, s]));
  const steps: DeployStep[] = [];
  const wanted = [...ctx.definitions.entries()].filter(([key]) => !names || names.includes(key));
  for (const [, definition] of wanted) {
    const existing = onCluster.get(definition.name);
    if (existing && trackingOf(existing) !== ctx.tracking) {
      const owner = trackingOf(existing);
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `deploy of service ${definition.name}: a service of that name exists on ${ctx.endpoint} and ${owner ? `belongs to ${owner}` : 'was not created by this service'}; rename the function, or remove that service first (oscar-cli service remove ${definition.name})`,
      );
    }
  }
  for (const [, definition] of wanted) {
    const existing = onCluster.get(definition.name);
    if (!existing) {
      await client.createService(definition);
      steps.push({ name: definition.name, action: 'created' });
      continue;
    }
    const changed = changedFields(definition, existing);
    if (changed.length) {
      await client.updateService(definition);
      steps.push({ name: definition.name, action: 'updated', changed });
    } else steps.push({ name: definition.name, action: 'unchanged' });
  }
  if (!names) {
    const defined = new Set([...ctx.definitions.values()].map((d) => d.name));
    const stale = [...onCluster.values()].filter(
      (s) => trackingOf(s) === ctx.tracking && !defined.has(s.name),
    );
    if (stale.length) warnBuckets(ctx, stale);
    for (const service of stale) {
      await client.deleteService(service.name);
      steps.push({ name: service.name, action: 'removed' });
    }
  }
  return steps;
}

/** OSCAR deletes a service's MinIO buckets with it, even ones another service uses: say so first. */
export function warnBuckets(ctx: CommandContext, services: OscarService[]): void {
  const lines = services.flatMap((s) => {
    const buckets = minioBuckets(s);
    return buckets.length ? [`${s.name}: ${buckets.join(', ')}`] : [];
  });
  if (lines.length) {
    ctx.utils.log.warning(
      `OSCAR deletes the MinIO buckets of a service it removes, with every file in them, even when another service uses them:\n  ${lines.join('\n  ')}`,
    );
  }
}

/** The summary table and each deployed service's URLs. */
export function deploySummary(ctx: CommandContext, steps: DeployStep[]): string[] {
  const rows = [
    ['service', 'action', 'changed'],
    ...steps.map((s) => [s.name, s.action, (s.changed ?? []).join(', ')]),
  ];
  const counts = (['created', 'updated', 'unchanged', 'removed'] as const)
    .map((action) => `${steps.filter((s) => s.action === action).length} ${action}`)
    .join(', ');
  const urls = steps
    .filter((s) => s.action !== 'removed')
    .flatMap((s) => {
      const definition = [...ctx.definitions.values()].find((d) => d.name === s.name);
      return definition ? [`${s.name}:`, ...serviceUrls(ctx.endpoint, definition).map((u) => `  ${u}`)] : [];
    });
  return [
    `OSCAR services on ${ctx.endpoint}: ${counts}`,
    ...table(rows),
    ...(urls.length ? ['', ...urls] : []),
  ];
}

export async function deployCommand(ctx: CommandContext): Promise<void> {
  ctx.utils.writeText(deploySummary(ctx, await deployServices(ctx)));
}

export async function deployFunctionCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  ctx.utils.writeText(deploySummary(ctx, await deployServices(ctx, [fn.name])));
}
