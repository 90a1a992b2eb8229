// SCAR FDL's `batch` block and `lambda.architectures`: every key SCAR reads, mapped into the function model,
// and what cannot work refused with the path and the fix.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ConfigError } from '../src/errors';
import { importScarFdl, importScarFdlFile, type FunctionDefinition } from '../src/functions';

const FDL = 'custom.containerLambda.fdl';
const SCAR = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference', 'scar');

function fdlWith(batch: unknown, lambda: Record<string, unknown> = {}): unknown {
  return {
    functions: {
      aws: [
        {
          lambda: { name: 'mpi', execution_mode: 'batch', container: { image: 'grycap/mpi' }, ...lambda },
          batch,
        },
      ],
    },
  };
}

function imported(
  batch: unknown,
  lambda?: Record<string, unknown>,
): { fn: FunctionDefinition; notices: string[] } {
  const { functions, notices } = importScarFdl(fdlWith(batch, lambda), {
    file: 'scar.yaml',
    configPath: FDL,
  });
  assert.equal(functions.length, 1);
  return { fn: functions[0]!, notices };
}

function problems(batch: unknown, lambda?: Record<string, unknown>): string[] {
  try {
    importScarFdl(fdlWith(batch, lambda), { file: 'scar.yaml', configPath: FDL });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message.split('\n  - ').slice(1);
  }
  assert.fail('expected the import to fail');
}

describe('SCAR FDL batch keys', () => {
  test('every key of batch and compute_resources maps to the function model', () => {
    const { fn, notices } = imported({
      vcpus: 2,
      memory: 4096,
      enable_gpu: 'True',
      service_role: 'arn:aws:iam::123456789012:role/service-role/AWSBatchServiceRole',
      environment: { Variables: { OMP_NUM_THREADS: 4, MODE: 'batch' } },
      state: 'ENABLED',
      type: 'MANAGED',
      compute_resources: {
        desired_v_cpus: 2,
        min_v_cpus: 1,
        max_v_cpus: 64,
        instance_types: ['c5.2xlarge', 'c5.4xlarge'],
        instance_role: 'arn:aws:iam::123456789012:instance-profile/ecsInstanceRole',
        launch_template_name: 'lab-instances',
        type: 'SPOT',
        subnets: ['subnet-12345 subnet-67891'],
        security_group_ids: ['sg-12345678'],
      },
      boto_profile: 'default',
    });
    assert.deepEqual(fn.batch, {
      vcpus: 2,
      memory: 4096,
      gpu: 1,
      serviceRole: 'arn:aws:iam::123456789012:role/service-role/AWSBatchServiceRole',
      environment: { OMP_NUM_THREADS: '4', MODE: 'batch' },
      desiredVcpus: 2,
      minVcpus: 1,
      maxVcpus: 64,
      instanceTypes: ['c5.2xlarge', 'c5.4xlarge'],
      instanceRole: 'arn:aws:iam::123456789012:instance-profile/ecsInstanceRole',
      launchTemplateName: 'lab-instances',
      spot: true,
      subnets: ['subnet-12345', 'subnet-67891'],
      securityGroupIds: ['sg-12345678'],
    });
    assert.deepEqual(notices, ['functions.aws[0].batch.boto_profile: ignored']);
  });

  test("SCAR's {account_id} in a role ARN becomes the stack's account; an instance role may be a role", () => {
    const { fn } = imported({
      service_role: 'arn:aws:iam::{account_id}:role/service-role/AWSBatchServiceRole',
      compute_resources: { instance_role: 'arn:aws:iam::{account_id}:role/lab-instances', comp_type: 'EC2' },
    });
    assert.deepEqual(fn.batch, {
      serviceRole: 'arn:aws:iam::${AWS::AccountId}:role/service-role/AWSBatchServiceRole',
      instanceRole: 'arn:aws:iam::${AWS::AccountId}:role/lab-instances',
      spot: false,
    });
  });

  test("SCAR's own launch template (faas-supervisor) is ignored, saying why", () => {
    const { fn, notices } = imported({ compute_resources: { launch_template_name: 'faas-supervisor' } });
    assert.deepEqual(fn.batch, {});
    assert.deepEqual(notices, [
      "functions.aws[0].batch.compute_resources.launch_template_name: ignored (SCAR's faas-supervisor template brings SCAR's supervisor to the instances; here the supervisor is in the image)",
    ]);
  });

  test('multi_node_parallel becomes a multi-node job; SCAR’s defaults fill what is left out; disabled is no job', () => {
    assert.deepEqual(
      imported({ multi_node_parallel: { enabled: true, number_nodes: 3, main_node_index: 2 } }).fn.batch,
      { multiNodeParallel: { nodes: 3, mainNode: 2 } },
    );
    assert.deepEqual(imported({ multi_node_parallel: { enabled: 'True' } }).fn.batch, {
      multiNodeParallel: { nodes: 10, mainNode: 0 },
    });
    assert.deepEqual(
      imported({ multi_node_parallel: { enabled: false, number_nodes: 10, main_node_index: 0 } }).fn.batch,
      {},
    );
  });

  test('refuses what cannot work, naming the path and the fix', () => {
    assert.deepEqual(
      problems({
        service_role: 'arn:...',
        state: 'DISABLED',
        multi_node_parallel: { enabled: true, number_nodes: 2, main_node_index: 2, placement: 'x' },
        environment: { KEY1: 'val1' },
        compute_resources: { type: 'FARGATE', instance_role: 'ecsInstanceRole', launch_template_name: 'a b' },
      }),
      [
        'functions.aws[0].batch.service_role: must be the ARN of an existing IAM role (arn:aws:iam::<account>:role/<name>)',
        'functions.aws[0].batch.state: must be ENABLED (a disabled compute environment never runs a job)',
        'functions.aws[0].batch.multi_node_parallel.placement: not supported (multi_node_parallel takes enabled, number_nodes, main_node_index)',
        'functions.aws[0].batch.multi_node_parallel.main_node_index: must be a node index from 0 to 1',
        'functions.aws[0].batch.environment: must be { Variables: { NAME: value } }',
        'functions.aws[0].batch.compute_resources.type: FARGATE: not supported: the compute environment runs on EC2 (GPUs, multi-node jobs); write EC2 or SPOT',
        'functions.aws[0].batch.compute_resources.instance_role: must be the ARN of an existing IAM instance-profile or role (arn:aws:iam::<account>:instance-profile/<name> or arn:aws:iam::<account>:role/<name>)',
        'functions.aws[0].batch.compute_resources.launch_template_name: must be the name of an existing EC2 launch template',
      ],
    );
  });
});

describe('SCAR FDL architectures', () => {
  test('lambda.architectures [arm64] makes an arm64 function; [x86_64] an x86_64 one', () => {
    assert.equal(imported(undefined, { architectures: ['arm64'] }).fn.architecture, 'arm64');
    assert.equal(imported(undefined, { architectures: ['x86_64'] }).fn.architecture, 'x86_64');
    assert.deepEqual(problems(undefined, { architectures: ['arm64', 'x86_64'] }), [
      'functions.aws[0].lambda.architectures: must be [x86_64] or [arm64]',
    ]);
  });
});

describe("SCAR's MPI example (mpi__batch.yaml)", () => {
  test('imports as a three-node Batch job once the service gives its image prebuilt', () => {
    const { functions, notices } = importScarFdlFile(join(SCAR, 'mpi__batch.yaml'), {
      configPath: FDL,
      prebuilt: new Set(['scar-mpi']),
    });
    const fn = functions[0]!;
    assert.equal(fn.execution, 'batch');
    assert.deepEqual(fn.batch, { multiNodeParallel: { nodes: 3, mainNode: 0 } });
    assert.deepEqual(fn.container.environment, { EXEC_TYPE: 'batch', PYTHONIOENCODING: 'utf8' });
    assert.equal(fn.container.script, undefined);
    assert.ok(
      notices.includes(
        'functions.aws[0].lambda.init_script: /tmp/run_batch.sh is not here; the prebuilt image of scar-mpi carries its script',
      ),
      notices.join('\n'),
    );
  });
});
