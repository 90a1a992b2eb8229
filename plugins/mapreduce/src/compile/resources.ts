// Pure compile step: one resolved job -> its CloudFormation resources (run table, one IAM role per function).
import { dynamoTable, iamRole, VPC_ACCESS_POLICY, type CfnResource } from '@serverless-continuum/core/cfn';
import { ROLES, type ResolvedJob, type Role } from '../config';
import { RUN_TABLE_TTL_ATTRIBUTE } from '../runtime/contract';
import { roleStatements } from './iam';
import { roleLogicalId, tableLogicalId, tableName, type ServiceContext } from './names';

export interface ResourcesContext extends ServiceContext {
  /** The job's functions the framework attached to a VPC (`provider.vpc`): their roles need ENI permissions. */
  vpcRoles?: ReadonlySet<Role>;
  /** `provider.iam.role.permissionsBoundary` (or the older `provider.rolePermissionsBoundary`). */
  permissionsBoundary?: unknown;
}

export function compileResources(ctx: ResourcesContext, job: ResolvedJob): Record<string, CfnResource> {
  const resources: Record<string, CfnResource> = {
    [tableLogicalId(job.name)]: dynamoTable({
      tableName: tableName(ctx, job.name),
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      ttlAttribute: RUN_TABLE_TTL_ATTRIBUTE,
    }),
  };
  for (const role of ROLES) {
    const resource = iamRole({
      servicePrincipals: ['lambda.amazonaws.com'],
      policyName: `${job.name}-mapreduce-${role}`,
      statements: roleStatements(ctx, job, role),
      ...(ctx.vpcRoles?.has(role) ? { managedPolicyArns: [VPC_ACCESS_POLICY] } : {}),
    });
    // Accounts that require a boundary on every role get the service's boundary on these too.
    if (ctx.permissionsBoundary !== undefined) {
      resource.Properties = { ...resource.Properties, PermissionsBoundary: ctx.permissionsBoundary };
    }
    resources[roleLogicalId(job.name, role)] = resource;
  }
  return resources;
}
