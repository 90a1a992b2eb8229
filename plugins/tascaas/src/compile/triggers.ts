// The S3 triggers of the service: each block's `*.config` uploads start jobs (submit), its `.result` uploads
// complete partitions (balance). On a bucket this stack creates they are plain `s3` events; on any other, the
// framework's custom resource attaches them (`existing: true`) next to the bucket's other notifications.
import { frameworkBucketLogicalId } from '@serverless-continuum/core/cfn';
import { ConfigError } from '@serverless-continuum/core/errors';
import { resolveBinding, type TriggerBinding, type TriggerUnit } from '@serverless-continuum/core/functions';
import type { ServerlessService } from '@serverless-continuum/core/serverless';
import type { JobDefinition, Location } from '../service/types';

export const CONFIG_SUFFIX = '.config';
export const RESULT_SUFFIX = '.result';

/**
 * True when this service creates `bucket`: another function's plain `s3` event on it, or an `AWS::S3::Bucket`
 * in `resources` under the framework's logical id (the framework then merges the notification into it).
 */
export function bucketCreatedHere(service: ServerlessService, bucket: string, path: string): boolean {
  const byEvent = Object.values(service.functions ?? {}).some((fn) =>
    (fn?.events ?? []).some((event) => {
      const s3 = (event as { s3?: unknown }).s3;
      if (typeof s3 === 'string') return s3 === bucket;
      const spec = s3 as { bucket?: unknown; existing?: unknown } | undefined;
      return spec?.bucket === bucket && !spec.existing;
    }),
  );
  if (byEvent) return true;
  const declared = Object.entries(service.resources?.Resources ?? {}).filter(
    ([, r]) =>
      r?.Type === 'AWS::S3::Bucket' &&
      (r.Properties as { BucketName?: unknown } | undefined)?.BucketName === bucket,
  );
  if (!declared.length) return false;
  const expected = frameworkBucketLogicalId(bucket);
  if (declared.some(([id]) => id === expected)) return true;
  throw new ConfigError(
    path,
    `bucket ${bucket} is declared in resources as ${declared.map(([id]) => id).join(', ')}`,
    `name that resource ${expected} so the framework can add the trigger to it`,
  );
}

export interface Trigger {
  location: Location;
  suffix: string;
  /** The setting that asked for it, for messages. */
  path: string;
}

/** The framework's `s3` event for one trigger. */
export function s3Event(trigger: Trigger, createdHere: boolean): Record<string, unknown> {
  const { bucket, prefix } = trigger.location;
  return {
    s3: {
      bucket,
      event: 's3:ObjectCreated:*',
      rules: [...(prefix ? [{ prefix }] : []), { suffix: trigger.suffix }],
      ...(createdHere ? {} : { existing: true }),
    },
  };
}

export function configTriggers(definitions: JobDefinition[]): Trigger[] {
  return definitions.flatMap((d) =>
    d.input ? [{ location: d.input, suffix: CONFIG_SUFFIX, path: `custom.tascaas.${d.name}.input` }] : [],
  );
}

export function resultTriggers(definitions: JobDefinition[]): Trigger[] {
  return definitions.map((d) => ({
    location: d.results,
    suffix: RESULT_SUFFIX,
    path: `custom.tascaas.${d.name}.results`,
  }));
}

/**
 * One function's triggers split into the events of each function that carries them. The framework attaches
 * existing buckets one per function, so the first function takes every trigger on a bucket this stack creates
 * and those of one existing bucket; each further existing bucket gets a function of its own (the same code).
 */
export function triggerGroups(
  triggers: Trigger[],
  createdHere: (trigger: Trigger) => boolean,
): Array<Array<Record<string, unknown>>> {
  const groups: Array<Array<Record<string, unknown>>> = [[]];
  const groupOf = new Map<string, number>();
  for (const trigger of triggers) {
    const here = createdHere(trigger);
    let group = 0;
    if (!here) {
      const { bucket } = trigger.location;
      if (!groupOf.has(bucket)) groupOf.set(bucket, groupOf.size);
      group = groupOf.get(bucket)!;
      if (group >= groups.length) groups.push([]);
    }
    groups[group]!.push(s3Event(trigger, here));
  }
  return groups;
}

/** Every key a job writes under its results ends with one of these. */
const RESULTS_WRITTEN = [RESULT_SUFFIX, '.checkpoint', '_SUCCESS.json'];

/**
 * A block as units of the service's trigger graph, so the loop check sees it beside the other plugins' units: a
 * `*.config` under its input starts a job, whose programs and completion write under its results; a `.result`
 * there completes a partition, which writes only `_SUCCESS.json` (no `.result`: no loop of its own).
 */
export function triggerUnits(definitions: JobDefinition[]): TriggerUnit[] {
  return definitions.flatMap((d) => {
    const at = `custom.tascaas.${d.name}`;
    const binding = (key: 'input' | 'results', location: Location, suffix: string[]): TriggerBinding => ({
      path: `${at}.${key}`,
      binding: resolveBinding(
        { storage: 's3', path: `${location.bucket}/${location.prefix}`, suffix },
        `${at}.${key}`,
      ),
    });
    const completion: TriggerUnit = {
      path: `${at}.results`,
      inputs: [binding('results', d.results, [RESULT_SUFFIX])],
      outputs: [binding('results', d.results, ['_SUCCESS.json'])],
    };
    if (!d.input) return [completion];
    return [
      {
        path: `${at}.input`,
        inputs: [binding('input', d.input, [CONFIG_SUFFIX])],
        outputs: [binding('results', d.results, RESULTS_WRITTEN)],
      },
      completion,
    ];
  });
}
