// The Lambda Runtime API client is core's (the mapreduce streaming image speaks it too).
export {
  RuntimeApiClient,
  type Invocation,
  type RuntimeErrorBody,
} from '@serverless-continuum/core/lambda/runtime-api';
