// Loopback endpoints that receive what the AWS SDK sends to Batch (SubmitJob) and Lambda (Invoke), check the
// request line and signature header, record the JSON bodies and answer like AWS does.
import http from 'node:http';
import { listenLoopback, readBody } from '../../../../../test/harness/loopback';

export interface WireRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WireEndpoint {
  endpoint: string;
  requests: WireRequest[];
  violations: string[];
  close(): Promise<void>;
}

export async function startEndpoint(
  service: string,
  expect: { method: string; path: RegExp },
  answer: (request: WireRequest) => { status: number; body: string; headers?: Record<string, string> },
): Promise<WireEndpoint> {
  const requests: WireRequest[] = [];
  const violations: string[] = [];
  const server = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      const request: WireRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw.toString('utf8'),
      };
      requests.push(request);
      if (request.method !== expect.method || !expect.path.test(request.path)) {
        violations.push(`${request.method} ${request.path}: not the expected ${service} call`);
      }
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !auth.includes(`/${service}/aws4_request`)) {
        violations.push(`${request.path}: not signed with SigV4 for ${service}`);
      }
      const { status, body, headers } = answer(request);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body);
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, violations, close };
}

/** Batch's REST-JSON SubmitJob: `POST /v1/submitjob`, answered with a job id derived from the job name. */
export function startBatchEndpoint(): Promise<WireEndpoint> {
  return startEndpoint('batch', { method: 'POST', path: /^\/v1\/submitjob$/ }, (request) => {
    const { jobName } = JSON.parse(request.body) as { jobName: string };
    return {
      status: 200,
      body: JSON.stringify({
        jobArn: `arn:aws:batch:us-east-1:123456789012:job/job-${jobName.length}`,
        jobName,
        jobId: `job-${jobName.length}`,
      }),
    };
  });
}

/**
 * Lambda's Invoke: `POST /2015-03-31/functions/<name>/invocations`, 202 for `X-Amz-Invocation-Type: Event`;
 * with `refuse` set it answers 413 RequestTooLargeException, as Lambda does for an oversized Event payload.
 */
export async function startLambdaEndpoint(): Promise<WireEndpoint & { refuse: boolean }> {
  const state = { refuse: false };
  const endpoint = await startEndpoint(
    'lambda',
    { method: 'POST', path: /^\/2015-03-31\/functions\/[^/]+\/invocations/ },
    () =>
      state.refuse
        ? {
            status: 413,
            body: JSON.stringify({ Type: 'User', message: 'Request must be smaller than 1048576 bytes' }),
            headers: { 'x-amzn-errortype': 'RequestTooLargeException' },
          }
        : { status: 202, body: '' },
  );
  return Object.defineProperty(endpoint, 'refuse', {
    get: () => state.refuse,
    set: (value: boolean) => (state.refuse = value),
  }) as WireEndpoint & { refuse: boolean };
}
