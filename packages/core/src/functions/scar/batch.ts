// SCAR FDL's `functions.aws[].batch`: the AWS Batch resources of a function, in the model's words.
import type { BatchResources } from '../model';
import { isDict, stringList, type Problems } from '../fdl';
import { variables } from './lambda';

const COMPUTE_KEYS: Record<string, keyof BatchResources> = {
  security_group_ids: 'securityGroupIds',
  subnets: 'subnets',
  instance_types: 'instanceTypes',
  max_v_cpus: 'maxVcpus',
  min_v_cpus: 'minVcpus',
  desired_v_cpus: 'desiredVcpus',
};

/** SCAR's own default number of nodes (scar.cfg), when `number_nodes` is left out. */
const SCAR_DEFAULT_NODES = 10;

/** SCAR's launch template: it puts SCAR's supervisor on the instances; ours travels in the image. */
const SCAR_LAUNCH_TEMPLATE = 'faas-supervisor';

// SCAR writes booleans as YAML booleans or as Python's `True` / `False`.
function flag(value: unknown): boolean | undefined {
  if (value === true || value === 'True' || value === 'true') return true;
  if (value === false || value === 'False' || value === 'false') return false;
  return undefined;
}

/**
 * An IAM ARN of `kinds`, with SCAR's `{account_id}` placeholder turned into the stack's account; undefined
 * (and a problem) for anything else, such as the `arn:...` of SCAR's example file.
 */
function iamArn(
  value: unknown,
  path: string,
  kinds: Array<'role' | 'instance-profile'>,
  problems: Problems,
): string | undefined {
  const arn = typeof value === 'string' ? value.replace('{account_id}', '${AWS::AccountId}') : '';
  const pattern = new RegExp(
    `^arn:aws(-[a-z]+)*:iam::(\\d{12}|\\$\\{AWS::AccountId\\}):(${kinds.join('|')})/[A-Za-z0-9+=,.@_/-]+$`,
  );
  if (pattern.test(arn)) return arn;
  const shapes = kinds.map((kind) => `arn:aws:iam::<account>:${kind}/<name>`).join(' or ');
  problems.add(path, `must be the ARN of an existing IAM ${kinds.join(' or ')} (${shapes})`);
  return undefined;
}

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
  const set = <K extends keyof BatchResources>(key: K, v: BatchResources[K] | undefined): void => {
    if (v !== undefined) batch[key] = v;
  };
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    switch (key) {
      case 'vcpus':
        set('vcpus', integer(v, at, 1));
        break;
      case 'memory':
        set('memory', integer(v, at, 128));
        break;
      case 'enable_gpu': {
        const gpu = flag(v);
        if (gpu === undefined) problems.add(at, 'must be true or false');
        else if (gpu) batch.gpu = 1;
        break;
      }
      case 'multi_node_parallel':
        set('multiNodeParallel', importMultiNode(v, at, problems));
        break;
      case 'compute_resources':
        importComputeResources(v, at, batch, problems, notices);
        break;
      case 'service_role':
        set('serviceRole', iamArn(v, at, ['role'], problems));
        break;
      case 'environment':
        set('environment', variables(v, at, problems));
        break;
      case 'state':
        if (v !== 'ENABLED')
          problems.add(at, 'must be ENABLED (a disabled compute environment never runs a job)');
        break;
      case 'type':
        if (v !== 'MANAGED')
          problems.add(at, 'must be MANAGED (the plugin lets AWS Batch manage the instances)');
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

function importMultiNode(
  value: unknown,
  path: string,
  problems: Problems,
): BatchResources['multiNodeParallel'] {
  if (!isDict(value)) {
    problems.add(path, 'must be { enabled, number_nodes, main_node_index }');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!['enabled', 'number_nodes', 'main_node_index'].includes(key))
      problems.add(
        `${path}.${key}`,
        'not supported (multi_node_parallel takes enabled, number_nodes, main_node_index)',
      );
  }
  const enabled = flag(value.enabled ?? false);
  if (enabled === undefined) {
    problems.add(`${path}.enabled`, 'must be true or false');
    return undefined;
  }
  if (!enabled) return undefined;
  const nodes = value.number_nodes ?? SCAR_DEFAULT_NODES;
  const mainNode = value.main_node_index ?? 0;
  if (typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 1 || nodes > 1000) {
    problems.add(`${path}.number_nodes`, 'must be an integer from 1 to 1000');
    return undefined;
  }
  if (typeof mainNode !== 'number' || !Number.isInteger(mainNode) || mainNode < 0 || mainNode >= nodes) {
    problems.add(`${path}.main_node_index`, `must be a node index from 0 to ${nodes - 1}`);
    return undefined;
  }
  return { nodes, mainNode };
}

function importComputeResources(
  value: unknown,
  path: string,
  batch: BatchResources,
  problems: Problems,
  notices: string[],
): void {
  if (!isDict(value)) {
    problems.add(path, 'must be an object');
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    const target = COMPUTE_KEYS[key];
    if (target === 'subnets' || target === 'securityGroupIds' || target === 'instanceTypes') {
      const list = stringList(v, at, problems);
      // SCAR's example writes two subnets on one line, separated by a space.
      if (list) batch[target] = list.flatMap((item) => item.split(/\s+/).filter(Boolean));
    } else if (target) {
      const min = target === 'maxVcpus' ? 1 : 0;
      if (typeof v === 'number' && Number.isInteger(v) && v >= min)
        batch[target as 'maxVcpus' | 'minVcpus' | 'desiredVcpus'] = v;
      else problems.add(at, `must be an integer >= ${min}`);
    } else if (key === 'instance_role') {
      const arn = iamArn(v, at, ['instance-profile', 'role'], problems);
      if (arn) batch.instanceRole = arn;
    } else if (key === 'launch_template_name') {
      if (v === SCAR_LAUNCH_TEMPLATE) {
        notices.push(
          `${at}: ignored (SCAR's ${SCAR_LAUNCH_TEMPLATE} template brings SCAR's supervisor to the instances; here the supervisor is in the image)`,
        );
      } else if (typeof v === 'string' && /^[A-Za-z0-9().\-/_]{3,128}$/.test(v)) {
        batch.launchTemplateName = v;
      } else problems.add(at, 'must be the name of an existing EC2 launch template');
    } else if (key === 'type' || key === 'comp_type') {
      // `comp_type` is what older scar.cfg files call it.
      if (v === 'EC2') batch.spot = false;
      else if (v === 'SPOT') batch.spot = true;
      else if (v === 'FARGATE' || v === 'FARGATE_SPOT')
        problems.add(
          at,
          `${v}: not supported: the compute environment runs on EC2 (GPUs, multi-node jobs); write EC2 or SPOT`,
        );
      else problems.add(at, 'must be EC2 or SPOT');
    } else problems.add(at, 'not supported');
  }
}
