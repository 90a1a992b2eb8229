// The Lambda handlers of the tascaas service: they adapt API Gateway (HTTP API, payload 2.0), S3 and schedule
// events to the service (../service) and hold no logic of their own. The service's adapters are built once per
// container from the environment the compile step sets; the factories take them injected, for tests.
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import { errorJson, logJson, recordsOf, uploadOf } from '@serverless-continuum/core/lambda';
import { completeUploadedResult, handleApi, runMonitor, submitUploadedConfig } from '../service';
import { servicesFromEnvironment } from '../service/aws';
import type { ApiRequest, ApiResponse, Services } from '../service/types';

// @middy/core 6 is ESM-only: handlers are always bundled (esbuild) or run under tsx, both of which load it here.
const middy = (require('@middy/core') as { default: typeof middyCore }).default;

/** The services, or how to get them: a factory is called on the first invocation and its answer kept. */
export type ServicesSource = Promise<Services> | (() => Promise<Services>);

function once(source: ServicesSource): () => Promise<Services> {
  let services: Promise<Services> | undefined;
  return () => {
    services ??= typeof source === 'function' ? source() : source;
    // A failed start (a missing variable, a secret not readable yet) is retried by the next invocation.
    services.catch(() => {
      services = undefined;
    });
    return services;
  };
}

/** The slice of an HTTP API payload 2.0 event the adapter reads. */
export interface HttpApiEvent {
  rawPath?: string;
  rawQueryString?: string;
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string }; domainName?: string };
}

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/**
 * The query as the client wrote it: read from `rawQueryString` (percent- and `+`-decoded by URLSearchParams),
 * since API Gateway joins repeated keys with commas in `queryStringParameters`; the first of a repeated key wins.
 */
function queryOf(event: HttpApiEvent): Record<string, string> {
  const query: Record<string, string> = {};
  if (typeof event.rawQueryString === 'string') {
    for (const [key, value] of new URLSearchParams(event.rawQueryString))
      if (!(key in query)) query[key] = value;
    return query;
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value === undefined) continue;
    try {
      query[key] = decodeURIComponent(value);
    } catch {
      query[key] = value;
    }
  }
  return query;
}

/** An HTTP API event as the service's request. */
export function apiRequestOf(event: HttpApiEvent): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const body =
    typeof event.body === 'string'
      ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
      : undefined;
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path: event.rawPath ?? '/',
    query: queryOf(event),
    headers,
    ...(body !== undefined ? { body } : {}),
    baseUrl: `https://${event.requestContext?.domainName ?? headers.host ?? 'localhost'}`,
  };
}

export function apiResultOf(response: ApiResponse): HttpApiResult {
  return {
    statusCode: response.status,
    headers: response.headers,
    body: response.body,
    isBase64Encoded: false,
  };
}

const plainText = { 'content-type': 'text/plain; charset=utf-8' };

/** The service's HTTP API: every route of the function it is deployed as. `answer` is the service's (tests pass theirs). */
export function createApiHandler(source: ServicesSource, answer: typeof handleApi = handleApi) {
  const services = once(source);
  return middy(async (event: HttpApiEvent): Promise<HttpApiResult> => {
    try {
      return apiResultOf(await answer(await services(), apiRequestOf(event)));
    } catch (error) {
      // The service answers its own errors; what reaches here is a fault: logged, and a bare 500 to the client.
      logJson('api request failed', { path: event.rawPath, error: errorJson(error) });
      return { statusCode: 500, headers: plainText, body: 'Internal Server Error', isBase64Encoded: false };
    }
  });
}

/**
 * Each object of an S3 event, decoded, given to `handle`. A malformed record is logged and skipped; a failure of
 * one record does not stop the others, and the invocation then fails so that Lambda retries the event (the
 * service makes a repeated object change nothing).
 */
async function eachUpload(
  event: unknown,
  what: string,
  handle: (bucket: string, key: string) => Promise<unknown>,
): Promise<void> {
  const records = recordsOf(event);
  if ('skip' in records) {
    logJson(`${what}: skipped`, { reason: records.skip });
    return;
  }
  const failed: string[] = [];
  for (const record of records) {
    const upload = uploadOf(record);
    if ('skip' in upload) {
      logJson(`${what}: skipped`, { bucket: upload.bucket, key: upload.key, reason: upload.skip });
      continue;
    }
    try {
      await handle(upload.bucket, upload.key);
    } catch (error) {
      failed.push(`s3://${upload.bucket}/${upload.key}`);
      logJson(`${what}: failed`, { bucket: upload.bucket, key: upload.key, error: errorJson(error) });
    }
  }
  if (failed.length) throw new Error(`${what} failed for ${failed.join(', ')}`);
}

/** An uploaded `*.config` under a block's input starts the job it describes. */
export function createS3SubmitHandler(
  source: ServicesSource,
  submitConfig: (services: Services, bucket: string, key: string) => Promise<unknown> = submitUploadedConfig,
) {
  const services = once(source);
  return middy(async (event: unknown): Promise<void> => {
    const s = await services();
    await eachUpload(event, 'submit', (bucket, key) => submitConfig(s, bucket, key));
  });
}

/** An uploaded `.result` completes its partition once the partition's finish was received. */
export function createS3ResultsHandler(
  source: ServicesSource,
  complete: (services: Services, bucket: string, key: string) => Promise<unknown> = completeUploadedResult,
) {
  const services = once(source);
  return middy(async (event: unknown): Promise<void> => {
    const s = await services();
    await eachUpload(event, 'results', (bucket, key) => complete(s, bucket, key));
  });
}

/** The scheduled pass: dead letters, the capacity hint, deadlines. */
export function createMonitorHandler(
  source: ServicesSource,
  pass: (services: Services) => Promise<unknown> = runMonitor,
) {
  const services = once(source);
  return middy(async (): Promise<void> => {
    await pass(await services());
  });
}

function isS3Event(event: unknown): boolean {
  return typeof event === 'object' && event !== null && ('Records' in event || 'Event' in event);
}

/** One function fed by the HTTP API and by S3 notifications: each event to its adapter. */
export function byEvent(
  api: ReturnType<typeof createApiHandler>,
  s3: ReturnType<typeof createS3SubmitHandler>,
): (event: unknown, context: unknown) => Promise<unknown> {
  return (event, context) =>
    isS3Event(event) ? s3(event, context as never) : api(event as HttpApiEvent, context as never);
}

const fromEnvironment = () => servicesFromEnvironment();
const shared = once(fromEnvironment);

/** `tascaasSubmit`: POST /jobs and the blocks' `*.config` uploads. */
export const submit = byEvent(createApiHandler(shared), createS3SubmitHandler(shared));
/** `tascaasDispatch`: the node API and the upload requests. */
export const dispatch = createApiHandler(shared);
/** `tascaasBalance`: RUPER-LB's /lb and the blocks' `.result` uploads. */
export const balance = byEvent(createApiHandler(shared), createS3ResultsHandler(shared));
/** `tascaasMonitor`: every minute. */
export const monitor = createMonitorHandler(shared);
/** `tascaasStatus`: GET /jobs/{id}. */
export const status = createApiHandler(shared);
