// SCAR FDL's `functions.aws[].batch`: the AWS Batch resources of a function, in the model's words.
import type { BatchResources } from '../model';
import { isDict, stringList, type Problems } from '../fdl';

const COMPUTE_KEYS: Record<string, keyof BatchResources> = {
  security_group_ids: 'securityGroupIds',
  subnets: 'subnets',
  instance_types: 'instanceTypes',
  max_v_cpus: 'maxVcpus',
  min_v_cpus: 'minVcpus',
  desired_v_cpus: 'desiredVcpus',
};

export function importBatch(
  value: unknown,
  path: string,
  problems: Problems,
  notices: string[],
): BatchResources | undefined {
  if (value === undefined) return undefined;
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return undefined;
  }
  const batch: BatchResources = {};
  const integer = (v: unknown, at: string, min: number): number | undefined => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    problems.add(at, `must be an integer >= ${min}`);
    return undefined;
  };
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    switch (key) {
      case 'vcpus':
        batch.vcpus = integer(v, at, 1);
        break;
      case 'memory':
        batch.memory = integer(v, at, 128);
        break;
      case 'enable_gpu':
        if (v === true || v === 'True' || v === 'true') batch.gpu = 1;
        else if (!(v === false || v === 'False' || v === 'false')) problems.add(at, 'must be true or false');
        break;
      case 'multi_node_parallel':
        if (isDict(v) && (v.enabled === false || v.enabled === 'False')) break;
        problems.add(
          at,
          'not supported: multi-node parallel Batch jobs (MPI) are not supported by the container-lambda plugin',
        );
        break;
      case 'compute_resources':
        if (!isDict(v)) {
          problems.add(at, 'must be an object');
          break;
        }
        for (const [ckey, cv] of Object.entries(v)) {
          const cat = `${at}.${ckey}`;
          const target = COMPUTE_KEYS[ckey];
          if (target === 'subnets' || target === 'securityGroupIds' || target === 'instanceTypes') {
            const list = stringList(cv, cat, problems);
            if (list) batch[target] = list.flatMap((item) => item.split(/\s+/).filter(Boolean));
          } else if (target) {
            batch[target as 'maxVcpus' | 'minVcpus' | 'desiredVcpus'] = integer(
              cv,
              cat,
              target === 'maxVcpus' ? 1 : 0,
            );
          } else if (ckey === 'instance_role') {
            problems.add(cat, 'not supported: the plugin creates the instance role and profile (remove it)');
          } else problems.add(cat, 'not supported');
        }
        break;
      case 'service_role':
        problems.add(
          at,
          "not supported: the compute environment uses AWS Batch's service-linked role (remove it)",
        );
        break;
      case 'environment':
        problems.add(
          at,
          'not supported: Batch jobs get the container environment (use lambda.container.environment)',
        );
        break;
      case 'boto_profile':
      case 'region':
        notices.push(`${at}: ignored`);
        break;
      default:
        problems.add(at, 'not supported');
    }
  }
  return batch;
}
