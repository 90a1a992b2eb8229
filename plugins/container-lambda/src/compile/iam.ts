// Least-privilege policy statements for one function: read its inputs, write its outputs, submit to its own
// Batch queue, write its own logs. Every resource is an ARN built from a configured name.
import {
  mergeStatements,
  s3ReadStatements,
  s3WriteStatements,
  type CfnValue,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import type { ResolvedContainerFunction } from '../config';

export function storageStatements(fn: ResolvedContainerFunction): PolicyStatement[] {
  return [
    ...fn.inputs.flatMap((b) => s3ReadStatements(b.bucket, b.prefix)),
    ...fn.outputs.flatMap((b) => s3WriteStatements(b.bucket, b.prefix)),
  ];
}

/** The log statements the framework gives its own role, for this function's log group only. */
export function logStatements(lambdaName: string): PolicyStatement[] {
  const group = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${lambdaName}`;
  return [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource'],
      Resource: [{ 'Fn::Sub': `${group}:*` }],
    },
    { Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: [{ 'Fn::Sub': `${group}:*:*` }] },
  ];
}

export function functionStatements(
  fn: ResolvedContainerFunction,
  batch?: { jobQueue: CfnValue; jobDefinition: CfnValue },
): PolicyStatement[] {
  return mergeStatements([
    ...logStatements(fn.lambdaName),
    ...storageStatements(fn),
    ...(batch
      ? [
          {
            Effect: 'Allow' as const,
            Action: ['batch:SubmitJob'],
            Resource: [batch.jobQueue, batch.jobDefinition],
          },
        ]
      : []),
  ]);
}
