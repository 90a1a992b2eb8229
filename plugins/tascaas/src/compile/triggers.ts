// The S3 triggers of the service: each block's `*.config` uploads start jobs (submit), its `.result` uploads
// complete partitions (balance). On a bucket this stack creates they are plain `s3` events; on any other, the
// framework's custom resource attaches them (`existing: true`) next to the bucket's other notifications.
import { resolveBinding, type TriggerBinding, type TriggerUnit } from '@serverless-continuum/core/functions';
import type { JobDefinition, Location } from '../service/types';

export const CONFIG_SUFFIX = '.config';
export const RESULT_SUFFIX = '.result';

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
