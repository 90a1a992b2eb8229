// AWS Batch for `batch` and `lambda-batch`: a managed compute environment (EC2 or Spot, the ECS GPU AMI when
// a GPU is asked for), a job queue and a job definition (single or multi-node) running the same image with the
// supervisor in Batch mode. The user's own service role, instance profile or role and launch template replace ours.
import {
  batchComputeEnvironment,
  batchJobDefinition,
  batchJobQueue,
  getAtt,
  iamInstanceProfile,
  iamRole,
  mergeStatements,
  ref,
  type CfnResource,
  type CfnValue,
} from '@serverless-continuum/core/cfn';
import type { ResolvedContainerFunction } from '../config';
import { runtimeEnvironment } from './environment';
import { storageStatements } from './iam';
import { resourceIds } from './names';
import { batchSecrets, secretStatements } from './secrets';

export function batchTargets(fn: string): { jobQueue: CfnValue; jobDefinition: CfnValue } {
  const ids = resourceIds(fn);
  // Ref of both is the ARN (the job definition's with its revision).
  return { jobQueue: ref(ids.jobQueue), jobDefinition: ref(ids.jobDefinition) };
}

export function batchResources(
  fn: ResolvedContainerFunction,
  imageUri: CfnValue,
): Record<string, CfnResource> {
  const batch = fn.batch;
  if (!batch) return {};
  const ids = resourceIds(fn.name);
  const environment = runtimeEnvironment(fn, { mode: 'batch' });
  const secrets = batchSecrets(fn);
  // Batch (the ECS agent) reads the secrets with this role when the job starts; the script's role never can.
  const execution = secrets.length
    ? {
        [ids.executionRole]: iamRole({
          servicePrincipals: ['ecs-tasks.amazonaws.com'],
          managedPolicyArns: [
            {
              'Fn::Sub':
                'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
            },
          ],
          statements: secretStatements(fn, 'ssm:GetParameters'),
          policyName: `${fn.name}-secrets`,
        }),
      }
    : {};
  return {
    ...execution,
    ...instanceResources(fn.name, batch.instanceRole),
    [ids.jobRole]: iamRole({
      servicePrincipals: ['ecs-tasks.amazonaws.com'],
      statements: mergeStatements(storageStatements(fn)),
      policyName: `${fn.name}-storage`,
    }),
    [ids.computeEnvironment]: batchComputeEnvironment({
      instanceRoleArn: instanceProfileArn(fn.name, batch.instanceRole),
      ...(batch.serviceRole ? { serviceRoleArn: iamArn(batch.serviceRole) } : {}),
      launchTemplateName: batch.launchTemplateName,
      subnets: batch.subnets,
      securityGroupIds: batch.securityGroupIds,
      instanceTypes: batch.instanceTypes,
      minvCpus: batch.minVcpus,
      maxvCpus: batch.maxVcpus,
      desiredvCpus: batch.desiredVcpus,
      spot: batch.spot,
      gpu: batch.gpu > 0,
    }),
    [ids.jobQueue]: batchJobQueue({ computeEnvironmentArns: [ref(ids.computeEnvironment)] }),
    [ids.jobDefinition]: batchJobDefinition({
      image: imageUri,
      vcpus: batch.vcpus,
      memory: batch.memory,
      gpu: batch.gpu,
      environment,
      jobRoleArn: getAtt(ids.jobRole, 'Arn'),
      multiNode: batch.multiNodeParallel,
      ...(secrets.length ? { secrets, executionRoleArn: getAtt(ids.executionRole, 'Arn') } : {}),
    }),
  };
}

/** An ARN the user gave; one holding the stack's account (`${AWS::AccountId}`) becomes a `Fn::Sub`. */
function iamArn(arn: string): CfnValue {
  return arn.includes('${') ? { 'Fn::Sub': arn } : arn;
}

/**
 * The instances' identity: the generated role and its instance profile; an instance profile made for the
 * user's role; or nothing, when the user gives an instance profile.
 */
function instanceResources(fn: string, instanceRole: string | undefined): Record<string, CfnResource> {
  const ids = resourceIds(fn);
  if (instanceRole?.includes(':instance-profile/')) return {};
  if (instanceRole) {
    // An instance profile lists its roles by name: the last segment of the role's ARN (after its path).
    return {
      [ids.instanceProfile]: iamInstanceProfile([instanceRole.slice(instanceRole.lastIndexOf('/') + 1)]),
    };
  }
  return {
    [ids.instanceRole]: iamRole({
      servicePrincipals: ['ec2.amazonaws.com'],
      managedPolicyArns: [
        {
          'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
        },
      ],
    }),
    [ids.instanceProfile]: iamInstanceProfile([ref(ids.instanceRole)]),
  };
}

function instanceProfileArn(fn: string, instanceRole: string | undefined): CfnValue {
  if (instanceRole?.includes(':instance-profile/')) return iamArn(instanceRole);
  return getAtt(resourceIds(fn).instanceProfile, 'Arn');
}
