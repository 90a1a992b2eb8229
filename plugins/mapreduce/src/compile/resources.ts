// Pure compile step: one resolved job -> its CloudFormation resources (run table, IAM role).
import { dynamoTable, iamRole, type CfnResource } from '@serverless-continuum/core/cfn';
import type { ResolvedJob } from '../config';
import { RUN_TABLE_TTL_ATTRIBUTE } from '../runtime/contract';
import { jobStatements } from './iam';
import { roleLogicalId, tableLogicalId, tableName, type ServiceContext } from './names';

export interface ResourcesContext extends ServiceContext {
  /** `provider.vpc` is set: the functions need ENI permissions. */
  vpc?: boolean;
  /** `provider.iam.role.permissionsBoundary` (or the older `provider.rolePermissionsBoundary`). */
  permissionsBoundary?: unknown;
}

export function compileResources(ctx: ResourcesContext, job: ResolvedJob): Record<string, CfnResource> {
  const role = iamRole({
    servicePrincipals: ['lambda.amazonaws.com'],
    policyName: `${job.name}-mapreduce`,
    statements: jobStatements(ctx, job),
    // Functions in a VPC need the ENI permissions the framework would give its own role.
    ...(ctx.vpc
      ? {
          managedPolicyArns: [
            {
              'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
            },
          ],
        }
      : {}),
  });
  // Accounts that require a boundary on every role get the service's boundary on this one too.
  if (ctx.permissionsBoundary !== undefined) {
    role.Properties = { ...role.Properties, PermissionsBoundary: ctx.permissionsBoundary };
  }
  return {
    [tableLogicalId(job.name)]: dynamoTable({
      tableName: tableName(ctx, job.name),
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      ttlAttribute: RUN_TABLE_TTL_ATTRIBUTE,
    }),
    [roleLogicalId(job.name)]: role,
  };
}
