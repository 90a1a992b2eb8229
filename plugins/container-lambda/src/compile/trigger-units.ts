// Pure: the container functions as units of the service's trigger graph, which core's loop check reads
// together with the other plugins' (mapreduce jobs); see "No trigger loops" in the README.
import type { TriggerUnit } from '@serverless-continuum/core/functions';
import type { ResolvedContainerFunction } from '../config';

/** One unit per function; `importedFrom` names the FDL entry of an imported one. */
export function triggerUnits(
  functions: ResolvedContainerFunction[],
  importedFrom: ReadonlyMap<string, string>,
): TriggerUnit[] {
  return functions.map((fn) => {
    const at = `functions.${fn.name}`;
    const source = importedFrom.get(fn.name);
    return {
      path: at,
      ...(source ? { source } : {}),
      inputs: fn.inputs.map((binding, i) => ({ path: `${at}.input[${i}]`, binding })),
      outputs: fn.outputs.map((binding, i) => ({ path: `${at}.output[${i}]`, binding })),
    };
  });
}
