// AWS Batch for a container function: the user's roles and launch template, the job's own variables,
// multi-node parallel jobs and arm64 compute environments, as template fragments and as the errors a user reads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdlFunctionConfig, resolveContainerFunction, type ContainerFunctionConfig } from '../src/config';
import { compileService } from '../src/compile';

const dir = mkdtempSync(join(tmpdir(), 'container-batch-'));
writeFileSync(join(dir, 'run.sh'), 'mpirun ./app\n');
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/mpi@sha256:${'a'.repeat(64)}`;
const net = { subnets: ['subnet-1'], securityGroupIds: ['sg-1'] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function resolve(batch: ContainerFunctionConfig['batch'], extra: Partial<ContainerFunctionConfig> = {}) {
  return resolveContainerFunction(
    'mpi',
    {
      container: { image: IMAGE, script: 'run.sh' },
      execution: 'batch',
      batch: { ...net, ...batch },
      ...extra,
    },
    { serviceDir: dir, lambdaName: 'svc-dev-mpi' },
  );
}

function compile(batch: ContainerFunctionConfig['batch'], extra: Partial<ContainerFunctionConfig> = {}) {
  const fn = resolve(batch, extra);
  return compileService([fn], { imageUris: { mpi: IMAGE }, managedRoles: new Set(['mpi']) });
}

function props(resources: Record<string, { Properties?: unknown }>, id: string): Json {
  const found = resources[id];
  assert.ok(found, `no ${id} among ${Object.keys(resources).join(', ')}`);
  return found.Properties;
}

const environmentOf = (container: Json): Record<string, unknown> =>
  Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));

describe('Batch with the user’s own AWS resources', () => {
  test('a service role, an instance profile and a launch template replace the generated ones', () => {
    const { resources } = compile({
      serviceRole: 'arn:aws:iam::123456789012:role/service-role/AWSBatchServiceRole',
      instanceRole: 'arn:aws:iam::123456789012:instance-profile/ecsInstanceRole',
      launchTemplateName: 'lab-instances',
      minVcpus: 1,
      desiredVcpus: 2,
      maxVcpus: 32,
      instanceTypes: ['c5.2xlarge'],
    });
    assert.deepEqual(props(resources, 'MpiBatchComputeEnvironment'), {
      Type: 'MANAGED',
      State: 'ENABLED',
      ServiceRole: 'arn:aws:iam::123456789012:role/service-role/AWSBatchServiceRole',
      ComputeResources: {
        Type: 'EC2',
        AllocationStrategy: 'BEST_FIT_PROGRESSIVE',
        MinvCpus: 1,
        MaxvCpus: 32,
        DesiredvCpus: 2,
        InstanceTypes: ['c5.2xlarge'],
        InstanceRole: 'arn:aws:iam::123456789012:instance-profile/ecsInstanceRole',
        Subnets: ['subnet-1'],
        SecurityGroupIds: ['sg-1'],
        Ec2Configuration: [{ ImageType: 'ECS_AL2' }],
        LaunchTemplate: { LaunchTemplateName: 'lab-instances' },
      },
    });
    assert.equal(resources.MpiBatchInstanceRole, undefined, 'no generated instance role');
    assert.equal(resources.MpiBatchInstanceProfile, undefined, 'no generated instance profile');
  });

  test('an instance role given as a role gets an instance profile of its own; the account can be the stack’s', () => {
    const { resources } = compile({
      instanceRole: 'arn:aws:iam::${AWS::AccountId}:role/lab/instances',
      serviceRole: 'arn:aws:iam::${AWS::AccountId}:role/batch-service',
    });
    assert.deepEqual(resources.MpiBatchInstanceProfile, {
      Type: 'AWS::IAM::InstanceProfile',
      Properties: { Roles: ['instances'] },
    });
    assert.equal(resources.MpiBatchInstanceRole, undefined);
    const compute = props(resources, 'MpiBatchComputeEnvironment');
    assert.deepEqual(compute.ServiceRole, { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/batch-service' });
    assert.deepEqual(compute.ComputeResources.InstanceRole, {
      'Fn::GetAtt': ['MpiBatchInstanceProfile', 'Arn'],
    });
  });

  test('no role of the template may pass a role: CloudFormation passes the given ones with the deployer’s rights', () => {
    const { resources } = compile({
      serviceRole: 'arn:aws:iam::123456789012:role/batch-service',
      instanceRole: 'arn:aws:iam::123456789012:role/instances',
    });
    assert.doesNotMatch(JSON.stringify(resources), /iam:PassRole/);
    const submit = props(resources, 'MpiContainerRole').Policies[0].PolicyDocument.Statement.find((s: Json) =>
      s.Action.includes('batch:SubmitJob'),
    );
    assert.deepEqual(submit.Resource, [{ Ref: 'MpiBatchJobQueue' }, { Ref: 'MpiBatchJobDefinition' }]);
  });
});

describe('the Batch job’s own variables', () => {
  test('reach the job definition and the script there, never the Lambda function', () => {
    const { resources, environment } = compile(
      { environment: { OMP_NUM_THREADS: '4' } },
      { container: { image: IMAGE, script: 'run.sh', environment: { MODE: 'x' } } },
    );
    const job = environmentOf(props(resources, 'MpiBatchJobDefinition').ContainerProperties);
    assert.equal(job.OMP_NUM_THREADS, '4');
    assert.equal(job.CONTINUUM_USER_ENV, 'MODE,OMP_NUM_THREADS');
    assert.equal(environment.mpi!.OMP_NUM_THREADS, undefined);
    assert.equal(environment.mpi!.CONTINUUM_USER_ENV, 'MODE');
  });

  test('cannot take a reserved name, nor shadow a secret', () => {
    assert.throws(() => resolve({ environment: { AWS_BATCH_JOB_ID: 'x' } }), {
      message: /^functions\.mpi\.batch\.environment\.AWS_BATCH_JOB_ID: reserved name/,
    });
    assert.throws(
      () =>
        resolve(
          { environment: { DB_PASSWORD: 'plain' } },
          { container: { image: IMAGE, script: 'run.sh', secrets: { DB_PASSWORD: '/lab/db' } } },
        ),
      {
        message:
          /^functions\.mpi\.batch\.environment\.DB_PASSWORD: would replace the secret of the same name in container\.secrets/,
      },
    );
  });
});

describe('multi-node parallel jobs', () => {
  test('the job definition is multinode: every node runs the same container, the main one first', () => {
    const { resources, environment } = compile({ vcpus: 4, memory: 8192, multiNodeParallel: { nodes: 3 } });
    const job = props(resources, 'MpiBatchJobDefinition');
    assert.equal(job.ContainerProperties, undefined);
    assert.equal(job.Type, 'multinode');
    assert.deepEqual(job.PlatformCapabilities, ['EC2']);
    assert.equal(job.NodeProperties.NumNodes, 3);
    assert.equal(job.NodeProperties.MainNode, 0);
    const [range, ...others] = job.NodeProperties.NodeRangeProperties;
    assert.deepEqual(others, []);
    assert.equal(range.TargetNodes, '0:');
    assert.equal(range.Container.Image, IMAGE);
    assert.deepEqual(range.Container.ResourceRequirements, [
      { Type: 'VCPU', Value: '4' },
      { Type: 'MEMORY', Value: '8192' },
    ]);
    assert.deepEqual(range.Container.JobRoleArn, { 'Fn::GetAtt': ['MpiBatchJobRole', 'Arn'] });
    assert.equal(environmentOf(range.Container).CONTINUUM_MODE, 'batch');
    // The compute environment is EC2 on demand: AWS Batch runs multi-node jobs neither on Fargate nor on Spot.
    assert.equal(props(resources, 'MpiBatchComputeEnvironment').ComputeResources.Type, 'EC2');
    // The function hands each event to all nodes (SubmitJob's nodeOverrides).
    assert.equal(environment.mpi!.CONTINUUM_BATCH_NODES, '3');
  });

  test('the main node may be another one; the compute environment holds all nodes by default', () => {
    const { resources } = compile({ multiNodeParallel: { nodes: 4, mainNode: 2 }, vcpus: 8 });
    assert.equal(props(resources, 'MpiBatchJobDefinition').NodeProperties.MainNode, 2);
    assert.equal(props(resources, 'MpiBatchComputeEnvironment').ComputeResources.MaxvCpus, 32);
  });

  test('refuses what AWS Batch cannot run, naming the setting', () => {
    assert.throws(() => resolve({ multiNodeParallel: { nodes: 2, mainNode: 2 } }), {
      message:
        /^functions\.mpi\.batch\.multiNodeParallel\.mainNode: must be less than nodes \(2\) \(nodes are numbered from 0\)/,
    });
    assert.throws(() => resolve({ multiNodeParallel: { nodes: 2 }, spot: true }), {
      message: /^functions\.mpi\.batch\.spot: AWS Batch runs no multi-node parallel job on Spot instances/,
    });
    assert.throws(
      () =>
        resolve({
          multiNodeParallel: { nodes: 2 },
          securityGroupIds: ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5', 'sg-6'],
        }),
      {
        message: /^functions\.mpi\.batch\.securityGroupIds: a multi-node compute environment takes at most 5/,
      },
    );
    assert.throws(() => resolve({ multiNodeParallel: { nodes: 4 }, vcpus: 8, maxVcpus: 16 }), {
      message:
        /^functions\.mpi\.batch\.maxVcpus: 16 is less than 4 nodes of 8 vCPUs \(the multi-node job could never start/,
    });
    assert.throws(() => resolve({ multiNodeParallel: { nodes: 2 } }, { execution: 'lambda' }), {
      message: /^functions\.mpi\.batch\.multiNodeParallel: needs execution: batch or lambda-batch/,
    });
  });
});

describe('arm64', () => {
  test('the compute environment takes Graviton instances; the function’s Architectures follow from the framework', () => {
    const { resources } = compile({}, { architecture: 'arm64' });
    const compute = props(resources, 'MpiBatchComputeEnvironment').ComputeResources;
    assert.deepEqual(compute.InstanceTypes, ['m6g', 'c6g', 'r6g']);
    assert.deepEqual(compute.Ec2Configuration, [{ ImageType: 'ECS_AL2' }]);
    assert.equal(resolve({}, { architecture: 'arm64' }).architecture, 'arm64');
  });

  test('an FDL function with architectures [arm64] is written with the framework’s architecture setting', () => {
    assert.equal(
      fdlFunctionConfig({ name: 'mpi', container: { image: 'grycap/mpi' }, architecture: 'arm64' })
        .architecture,
      'arm64',
    );
  });

  test('instance types must match the architecture, and a GPU needs x86_64', () => {
    assert.throws(() => resolve({ instanceTypes: ['c6g.xlarge', 'c5.xlarge'] }, { architecture: 'arm64' }), {
      message:
        /^functions\.mpi\.batch\.instanceTypes: c5\.xlarge is not an arm64 \(Graviton\) instance type, and the function is arm64/,
    });
    assert.throws(() => resolve({ instanceTypes: ['m7g', 'optimal'] }), {
      message:
        /^functions\.mpi\.batch\.instanceTypes: m7g is not an x86_64 instance type, and the function is x86_64/,
    });
    assert.throws(() => resolve({ gpu: 1 }, { architecture: 'arm64' }), {
      message:
        /^functions\.mpi\.batch\.gpu: not available for arm64 functions \(AWS Batch's GPU image \(ECS_AL2_NVIDIA\) runs on x86_64 instances only/,
    });
    assert.deepEqual(
      resolve({ instanceTypes: ['c7gn.large', 'a1', 'x2gd'] }, { architecture: 'arm64' }).batch
        ?.instanceTypes,
      ['c7gn.large', 'a1', 'x2gd'],
    );
  });
});
