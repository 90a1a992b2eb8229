// Pure compile step: one resolved job -> its CloudFormation resources (run table, IAM role).
import { dynamoTable, iamRole, type CfnResource } from '@serverless-continuum/core/cfn';
import type { ResolvedJob } from '../config';
import { RUN_TABLE_TTL_ATTRIBUTE } from '../runtime/contract';
import { jobStatements } from './iam';
import { roleLogicalId, tableLogicalId, tableName, type ServiceContext } from './names';

export function compileResources(
  ctx: ServiceContext & { vpc?: boolean },
  job: ResolvedJob,
): Record<string, CfnResource> {
  return {
    [tableLogicalId(job.name)]: dynamoTable({
      tableName: tableName(ctx, job.name),
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      ttlAttribute: RUN_TABLE_TTL_ATTRIBUTE,
    }),
    [roleLogicalId(job.name)]: iamRole({
      servicePrincipals: ['lambda.amazonaws.com'],
      policyName: `${job.name}-mapreduce`,
      statements: jobStatements(ctx, job),
      // Functions in a VPC need the ENI permissions the framework would give its own role.
      ...(ctx.vpc
        ? {
            managedPolicyArns: [
              {
                'Fn::Sub':
                  'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
              },
            ],
          }
        : {}),
    }),
  };
}
