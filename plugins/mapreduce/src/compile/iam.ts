// Least-privilege statements for one job's role: only its buckets/prefixes, its own functions, its run table, its log groups.
import {
  arn,
  mergeStatements,
  s3DeleteStatements,
  s3ReadStatements,
  s3WriteStatements,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import { ROLES, overlaps, type ResolvedJob } from '../config';
import { functionName, tableLogicalId, type ServiceContext } from './names';

/**
 * One role serves the job's three functions: the coordinator and mappers both start other functions of
 * the job and record progress in the run table. Function ARNs are written from their known names
 * (not `Fn::GetAtt`), because the functions depend on this role and a reference back would be a cycle.
 */
export function jobStatements(ctx: ServiceContext, job: ResolvedJob): PolicyStatement[] {
  const { input, output, temp } = job.runtime;
  const names = ROLES.map((role) => functionName(ctx, job.name, role));
  const statements: PolicyStatement[] = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: names.map((name) => arn.logGroup(name, ':*')),
    },
    ...s3ReadStatements(input.bucket, input.prefix),
    // The default temp prefix lies inside the output prefix, whose read/write below already cover it.
    ...(overlaps(temp, output) && temp.prefix.startsWith(output.prefix)
      ? []
      : [...s3ReadStatements(temp.bucket, temp.prefix), ...s3WriteStatements(temp.bucket, temp.prefix)]),
    ...s3DeleteStatements(temp.bucket, temp.prefix),
    // The output is read back too: a run checks for its own `_SUCCESS.json` before publishing twice.
    ...s3ReadStatements(output.bucket, output.prefix),
    ...s3WriteStatements(output.bucket, output.prefix),
    {
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      // The coordinator too: it is the mappers' and reducers' on-failure destination, which Lambda invokes
      // with their (this) role.
      Resource: [
        arn.lambdaByName(functionName(ctx, job.name, 'coordinator')),
        arn.lambdaByName(functionName(ctx, job.name, 'mapper')),
        arn.lambdaByName(functionName(ctx, job.name, 'reducer')),
      ],
    },
    {
      Effect: 'Allow',
      Action: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
      ],
      Resource: [arn.table(tableLogicalId(job.name))],
    },
  ];
  return mergeStatements(statements);
}
