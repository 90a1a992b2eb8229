// Decides how the coordinator's S3 trigger is declared: on a bucket this stack creates, or on one that already exists.
import { resolveBinding, type TriggerBinding, type TriggerUnit } from '@serverless-continuum/core/functions';
import type { ResolvedJob, StorageLocation } from '../config';

/**
 * A job as a unit of the service's trigger graph: an upload under its input starts the coordinator; the
 * reducers write the parts and `_SUCCESS.json` (or `_FAILED.json`) under the output, the mappers their
 * intermediates under `temp` (named only when it lies outside the output, as the user then wrote it).
 */
export function triggerUnit(job: ResolvedJob): TriggerUnit {
  const at = `custom.mapreduce.${job.name}`;
  const binding = (key: string, location: StorageLocation): TriggerBinding => ({
    path: `${at}.${key}`,
    binding: resolveBinding({ storage: 's3', path: `${location.bucket}/${location.prefix}` }, `${at}.${key}`),
  });
  const { input, output, temp } = job.runtime;
  const tempUnderOutput = temp.bucket === output.bucket && temp.prefix.startsWith(output.prefix);
  return {
    path: at,
    inputs: [binding('input', input)],
    outputs: [binding('output', output), ...(tempUnderOutput ? [] : [binding('temp', temp)])],
  };
}
