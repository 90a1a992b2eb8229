// Least-privilege policy statements for one function: read its inputs, write its outputs, read its secrets,
// submit to its own Batch queue, write its own logs. Every resource is an ARN built from a configured name.
import {
  arn,
  efsAccessPointStatements,
  mergeStatements,
  s3DeleteStatements,
  s3ReadStatements,
  s3WriteStatements,
  type CfnValue,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import { inS3, type ResolvedContainerFunction } from '../config';
import { secretStatements } from './secrets';

// Delete on the outputs lets the supervisor take back what one run already wrote when a later upload fails
// (outputs are all-or-nothing); it is scoped to the same prefixes as the writes.
export function storageStatements(fn: ResolvedContainerFunction): PolicyStatement[] {
  return [
    ...fn.inputs.flatMap((b) => s3ReadStatements(b.bucket, b.prefix)),
    // A MinIO output is reached with its own keys, not the role.
    ...fn.outputs
      .filter(inS3)
      .flatMap((b) => [...s3WriteStatements(b.bucket, b.prefix), ...s3DeleteStatements(b.bucket, b.prefix)]),
  ];
}

/** The log statements the framework gives its own role, for this function's log group only. */
export function logStatements(lambdaName: string): PolicyStatement[] {
  return [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource'],
      Resource: [arn.logGroup(lambdaName, ':*')],
    },
    { Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: [arn.logGroup(lambdaName, ':*:*')] },
  ];
}

export function functionStatements(
  fn: ResolvedContainerFunction,
  batch?: { jobQueue: CfnValue; jobDefinition: CfnValue },
): PolicyStatement[] {
  return mergeStatements([
    ...logStatements(fn.lambdaName),
    ...storageStatements(fn),
    // A function with execution: batch hands every event on: only its Batch job reads the secrets.
    ...(fn.execution === 'batch' ? [] : secretStatements(fn, 'ssm:GetParameter')),
    ...(fn.fileSystem ? efsAccessPointStatements(fn.fileSystem.arn) : []),
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
