// SCAR FDL's batch block and lambda.architectures through `sls package` (serverless@3 and osls): every key of
// scar-batch.yaml lands in the template where AWS Batch and Lambda read it, and the template is spec-valid.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-fdl-batch');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function props(template: CfnTemplate, id: string): Json {
  const found = template.Resources[id];
  assert.ok(found, `no ${id} in the template`);
  return found.Properties;
}

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`SCAR batch keys and architectures packaged by ${framework}`, () => {
    let template: CfnTemplate;
    let output: string;
    before(async () => {
      const result = await packageService(FIXTURE, framework);
      template = result.template;
      output = result.stdout + result.stderr;
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('compute_resources, service_role and instance_role make the compute environment', () => {
      assert.deepEqual(props(template, 'ScarDashbatchDashkeysBatchComputeEnvironment'), {
        Type: 'MANAGED',
        State: 'ENABLED',
        ServiceRole: {
          'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/service-role/AWSBatchServiceRole',
        },
        ComputeResources: {
          Type: 'SPOT',
          AllocationStrategy: 'SPOT_CAPACITY_OPTIMIZED',
          MinvCpus: 0,
          MaxvCpus: 16,
          DesiredvCpus: 0,
          InstanceTypes: ['g4dn.xlarge'],
          InstanceRole: 'arn:aws:iam::123456789012:instance-profile/lab-gpu-instances',
          Subnets: ['subnet-0123abcd'],
          SecurityGroupIds: ['sg-0123abcd'],
          Ec2Configuration: [{ ImageType: 'ECS_AL2_NVIDIA' }],
          LaunchTemplate: { LaunchTemplateName: 'lab-gpu' },
        },
      });
      assert.equal(template.Resources.ScarDashbatchDashkeysBatchInstanceRole, undefined);
      assert.equal(template.Resources.ScarDashbatchDashkeysBatchInstanceProfile, undefined);
    });

    test('vcpus, memory, enable_gpu and batch.environment make the job definition', () => {
      const container = props(template, 'ScarDashbatchDashkeysBatchJobDefinition').ContainerProperties;
      assert.deepEqual(container.ResourceRequirements, [
        { Type: 'VCPU', Value: '2' },
        { Type: 'MEMORY', Value: '4096' },
        { Type: 'GPU', Value: '1' },
      ]);
      const environment = Object.fromEntries(container.Environment.map((e: Json) => [e.Name, e.Value]));
      assert.equal(environment.OMP_NUM_THREADS, '4');
      assert.equal(environment.MODE, 'fdl');
      assert.equal(environment.CONTINUUM_USER_ENV, 'MODE,OMP_NUM_THREADS');
      // The Batch job's variables are the job's: the function itself never sees them.
      const lambda = props(template, 'ScarDashbatchDashkeysLambdaFunction').Environment.Variables;
      assert.equal(lambda.OMP_NUM_THREADS, undefined);
    });

    test('architectures [arm64]: an arm64 Lambda and Graviton instances for its Batch jobs', () => {
      assert.deepEqual(props(template, 'ScarDasharmLambdaFunction').Architectures, ['arm64']);
      // A function without the key keeps Lambda's default (x86_64), written by no one.
      assert.equal(props(template, 'ScarDashbatchDashkeysLambdaFunction').Architectures, undefined);
      const compute = props(template, 'ScarDasharmBatchComputeEnvironment').ComputeResources;
      assert.deepEqual(compute.InstanceTypes, ['m6g', 'c6g', 'r6g']);
      assert.equal(compute.MaxvCpus, 8);
      // instance_role given as a role: an instance profile of its own holds it.
      assert.deepEqual(props(template, 'ScarDasharmBatchInstanceProfile'), { Roles: ['arm-instances'] });
      assert.deepEqual(compute.InstanceRole, { 'Fn::GetAtt': ['ScarDasharmBatchInstanceProfile', 'Arn'] });
    });

    test('no role of the template can pass a role, and the ignored keys are said out loud', () => {
      assert.doesNotMatch(JSON.stringify(template.Resources), /iam:PassRole/);
      assert.match(output, /functions\.aws\[0\]\.batch\.boto_profile: ignored/);
      assert.match(output, /functions\.aws\[0\]\.batch\.region: ignored/);
    });
  });
}
