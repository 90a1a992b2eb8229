// The API's routes, the same locally and on AWS: TaScaaS's node API, RUPER-LB's /lb, the upload requests and the
// job API. Errors are a status and a plain-text body; nothing here logs a token or a signed link.
import { isContinuumError } from '@serverless-continuum/core/errors';
import { definitionOf, LINK_SECONDS, storeOf } from './deliveries';
import { attemptKey, verifyPartitionId } from './ids';
import { JobSpecError, submitJob } from './jobs';
import { lbRequest, type LbCall } from './lb';
import { disconnect, jobs, register, release, update, wholeParameter, type NodeResponse } from './nodes';
import { jobStatus } from './status';
import type { ApiRequest, ApiResponse, Services } from './types';

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { 'content-type': 'application/json' };

export const text = (status: number, body: string): ApiResponse => ({ status, headers: TEXT, body });
export const json = (status: number, value: unknown): ApiResponse => ({
  status,
  headers: JSON_TYPE,
  body: JSON.stringify(value),
});

const fromNode = (response: NodeResponse): ApiResponse =>
  response.json !== undefined
    ? json(response.status, response.json)
    : text(response.status, response.text ?? '');

/** The job API's check: `authorization: Bearer <secret>`. */
export function authorized(
  services: Services,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  const header = headers.authorization ?? '';
  return header === `Bearer ${services.secret}`;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export async function handleApi(services: Services, request: ApiRequest): Promise<ApiResponse> {
  try {
    return await route(services, request);
  } catch (error) {
    if (error instanceof JobSpecError) return text(400, error.message);
    // The path may carry a token: name only the route's first part.
    const where = request.path.split('/').slice(0, 2).join('/');
    services.log?.(
      `${request.method} ${where}/...: ${isContinuumError(error) ? `${error.code}: ${error.message}` : String(error)}`,
    );
    return text(500, 'internal error');
  }
}

async function route(services: Services, request: ApiRequest): Promise<ApiResponse> {
  const segments = request.path.split('/').slice(1).map(decode);
  if (segments.some((s) => s === undefined)) return text(400, 'malformed path');
  const [first, second, third, fourth] = segments as string[];
  const { method, query } = request;

  if (first === 'node' && method === 'GET') {
    if (second === 'register' && segments.length === 2) return fromNode(await register(services, query));
    if (second && segments.length === 3) {
      if (third === 'update') return fromNode(await update(services, second, query));
      if (third === 'jobs') return fromNode(await jobs(services, second, query));
      if (third === 'release') return fromNode(await release(services, second, query));
      if (third === 'disconnect') return fromNode(await disconnect(services, second));
    }
  }
  if (first === 'lb' && method === 'GET' && second && segments.length === 3) {
    if (third === 'start' || third === 'report' || third === 'finish') {
      const answer = await lbRequest(services, third as LbCall, second, query);
      return text(answer.status, answer.body);
    }
  }
  if (
    first === 'results' &&
    second === 'upload' &&
    method === 'GET' &&
    third &&
    fourth &&
    segments.length === 4
  ) {
    return uploadRequest(services, third, fourth, query);
  }
  if (first === 'jobs') {
    if (!authorized(services, request.headers)) return text(401, 'Unauthorized');
    if (method === 'POST' && segments.length === 1) {
      let body: unknown;
      try {
        body = JSON.parse(request.body?.toString('utf8') ?? '');
      } catch {
        return text(400, 'job: the body must be JSON like {"iterations": 1000000, "time": 600}');
      }
      const { id } = await submitJob(services, body);
      return json(201, { id });
    }
    if (method === 'GET' && second && segments.length === 2) {
      const status = await jobStatus(services, second);
      return status ? json(200, status) : text(404, `no job ${second}`);
    }
  }
  return text(404, `no route ${method} ${segments.length ? `/${first ?? ''}` : '/'}...`);
}

/** `/results/upload/{ID}/{worker}?wID=`: a link the program PUTs its result (or checkpoint) to. */
async function uploadRequest(
  services: Services,
  id: string,
  worker: string,
  query: Record<string, string>,
): Promise<ApiResponse> {
  const store = storeOf(services);
  const node = query.wID ? await store.node(query.wID) : undefined;
  if (!node || node.disconnected) return text(401, 'Unknown worker ID');
  const partition = wholeParameter(worker, 0);
  const parts = partition === undefined ? undefined : verifyPartitionId(services.secret, id, partition);
  if (partition === undefined || !parts) return text(401, 'Unauthorized');
  const [job, delivery] = await Promise.all([store.job(parts.jobId), store.delivery(parts.jobId, partition)]);
  if (!job || !delivery || delivery.attempt !== parts.attempt) return text(401, 'Unauthorized');
  const kind = query.kind === 'checkpoint' ? 'checkpoint' : 'result';
  const definition = definitionOf(services, job);
  const url = await services.links.put(
    {
      bucket: definition.results.bucket,
      key: attemptKey(definition.results, job.id, partition, parts.attempt, kind),
    },
    LINK_SECONDS,
  );
  return text(200, url);
}
