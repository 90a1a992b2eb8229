// What every Lambda handler of the suite needs: clients created once, asynchronous Invoke, on-failure
// destination records, S3 event parsing, JSON logs and the JSON shape of an error.
export { createLambdaClient, createS3Client } from './clients';
export type { HandlerS3Options } from './clients';
export { invokeAsync } from './invoke';
export { invocationError, isFailedInvocationRecord } from './failures';
export type { FailedInvocationRecord } from './failures';
export { decodeS3Key, recordsOf, uploadOf } from './s3-events';
export type { SkippedRecord, Upload } from './s3-events';
export { logJson } from './log';
export { errorJson } from '../errors';
export type { ErrorJson } from '../errors';
