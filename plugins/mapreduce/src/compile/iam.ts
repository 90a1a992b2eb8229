// Least-privilege statements for each of a job's three roles: exactly the objects, functions, table actions and
// log group that role's handler uses (runtime/coordinator.ts, mapper.ts, reducer.ts; the README's "How a run
// works" tells the protocol).
import {
  arn,
  mergeStatements,
  s3ObjectStatement,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import type { ResolvedJob, Role } from '../config';
import { functionName, tableLogicalId, type ServiceContext } from './names';

/**
 * Key patterns of what a run writes, as `runtime/report.ts` `keys` names them (`*` is the run id; run ids hold
 * no `/`): intermediates `<temp>/<run>/map/<split>/part-NNNNN`, parts `<output>/<run>/part-NNNNN`, markers
 * `<output>/<run>/_SUCCESS.json` and `_FAILED.json`.
 */
export function runKeyPatterns(job: ResolvedJob) {
  const { output, temp } = job.runtime;
  return {
    intermediates: `${temp.prefix}*/map/*`,
    parts: `${output.prefix}*/part-*`,
    success: `${output.prefix}*/_SUCCESS.json`,
    failed: `${output.prefix}*/_FAILED.json`,
  };
}

/** The DynamoDB actions each role's calls of `DynamoRunStore` use (runtime/dynamo-run-store.ts). */
export const TABLE_ACTIONS: Record<Role, string[]> = {
  // createRun; getRun; markLaunchedAll, recordFailure, transition.
  coordinator: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  // The mapper and its straggler watcher add the split and part stats and the list of them (Query).
  mapper: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  reducer: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
};

/**
 * The functions each role invokes. Fan-out: the coordinator starts mappers (and the reducers of an empty input),
 * a mapper the next split, backups, the watcher and the reducers, a reducer retries its own partition. The
 * coordinator also retries failed tasks and replaces a dead watcher. On-failure destinations: Lambda delivers
 * a function's failure record with that function's role, so the mapper and reducer roles may invoke the
 * coordinator (their destination), and the coordinator's may invoke the mapper (its destination). IAM has no
 * condition that tells a destination delivery from a direct call.
 */
export const INVOKES: Record<Role, Role[]> = {
  coordinator: ['mapper', 'reducer'],
  mapper: ['mapper', 'reducer', 'coordinator'],
  reducer: ['reducer', 'coordinator'],
};

/**
 * S3 access per role. No role lists: the clean-up deletes the intermediates the map phase's totals name. A HEAD
 * or GET of a missing object then answers 403 rather than 404, which these handlers treat as absent.
 */
function storageStatements(job: ResolvedJob, role: Role): PolicyStatement[] {
  const { input, output, temp } = job.runtime;
  const keys = runKeyPatterns(job);
  const inputObjects = s3ObjectStatement('read', input.bucket, [`${input.prefix}*`]);
  // Every role can fail a run (`_FAILED.json`): the coordinator on a task's last failure record, the mapper on the
  // coordinator's, a mapper or reducer on its own last attempt.
  const failed = s3ObjectStatement('write', output.bucket, [keys.failed]);
  // Who fails a run its own publisher had moved on looks for `_SUCCESS.json` first (HeadObject), never to
  // write `_FAILED.json` next to it.
  const success = s3ObjectStatement('read', output.bucket, [keys.success]);
  switch (role) {
    case 'coordinator':
      // The size of an upload whose event has none (HeadObject).
      return [inputObjects, success, failed];
    case 'mapper':
      return [
        // Ranged GETs of the input, pinned to the upload's version or ETag.
        inputObjects,
        s3ObjectStatement('write', temp.bucket, [keys.intermediates]),
        // A late duplicate of a split removes the intermediates it rewrote after the run published.
        s3ObjectStatement('delete', temp.bucket, [keys.intermediates]),
        failed,
      ];
    case 'reducer':
      return [
        s3ObjectStatement('read', temp.bucket, [keys.intermediates]),
        // Before publishing, it checks that every part exists (HeadObject).
        s3ObjectStatement('read', output.bucket, [keys.parts, keys.success]),
        s3ObjectStatement('write', output.bucket, [keys.parts, keys.success]),
        failed,
        // After `_SUCCESS.json`, the clean-up deletes the intermediates (DeleteObjects checks DeleteObject).
        s3ObjectStatement('delete', temp.bucket, [keys.intermediates]),
      ];
  }
}

/**
 * One role's statements. Function ARNs are written from their known names (not `Fn::GetAtt`): each function
 * depends on its role, and the roles name each other's functions, so references would be a cycle.
 */
export function roleStatements(ctx: ServiceContext, job: ResolvedJob, role: Role): PolicyStatement[] {
  // The framework creates the log group; the role only writes its own function's streams.
  const logs: PolicyStatement = {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [arn.logGroup(functionName(ctx, job.name, role), ':*')],
  };
  return mergeStatements([
    logs,
    ...storageStatements(job, role),
    {
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: INVOKES[role].map((target) => arn.lambdaByName(functionName(ctx, job.name, target))),
    },
    { Effect: 'Allow', Action: TABLE_ACTIONS[role], Resource: [arn.table(tableLogicalId(job.name))] },
  ]);
}
