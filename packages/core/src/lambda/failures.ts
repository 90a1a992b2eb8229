// Lambda's on-failure destination records: what Lambda sends to a function's `OnFailure` destination when an
// asynchronous invocation failed with no retry left, or waited past its maximum event age. See "Configuring
// destinations for asynchronous invocation" in the Lambda developer guide.

/** One record; `P` is the failed invocation's event, as the sender wrote it. */
export interface FailedInvocationRecord<P = unknown> {
  version?: string;
  timestamp?: string;
  requestContext: {
    requestId: string;
    functionArn?: string;
    /** `RetriesExhausted` or `EventAgeExceeded` (the event waited too long, e.g. throttled). */
    condition: string;
    approximateInvokeCount?: number;
  };
  requestPayload: P;
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string };
  /** The function's error: `{ errorType, errorMessage }` (a timeout's errorMessage says "Task timed out after ..."). */
  responsePayload?: { errorType?: string; errorMessage?: string } | null;
}

/** True for an on-failure destination record rather than any other event (S3, a task payload). */
export function isFailedInvocationRecord(event: unknown): event is FailedInvocationRecord {
  const e = event as Partial<FailedInvocationRecord> | null;
  return (
    typeof e?.requestContext?.requestId === 'string' &&
    typeof e.requestPayload === 'object' &&
    e.requestPayload !== null
  );
}

/**
 * The error a record tells of, for logs and failure reports: `what` names the invocation's role (`mapper`),
 * the message says whether it failed or never ran, and the name is the function's error type when it has one.
 */
export function invocationError(what: string, record: FailedInvocationRecord): Error {
  const { requestContext: request, responsePayload: response } = record;
  const invocation = `${what} invocation ${request.requestId}`;
  const cause = response?.errorMessage ?? response?.errorType ?? 'no error message';
  const error = new Error(
    request.condition === 'EventAgeExceeded'
      ? `the ${invocation} was not run before its maximum event age (${cause})`
      : `the ${invocation} failed (${request.condition}): ${cause}`,
  );
  if (response?.errorType) error.name = response.errorType;
  return error;
}
