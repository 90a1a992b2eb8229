// AWS Batch's DescribeJobs at the wire (REST-JSON: `POST /v1/describejobs` with `{ jobs: [ids] }`), answered from
// canned jobs: the ones asked for that exist, as Batch leaves out ids it does not know.
import { createServer } from 'node:http';
import { listenLoopback, readBody } from './loopback';

export interface BatchWireRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export interface BatchWire {
  /** For `AWS_ENDPOINT_URL_BATCH`. */
  endpoint: string;
  requests: BatchWireRequest[];
  close(): Promise<void>;
}

/** `jobs` maps a job id to its DescribeJobs entry (`jobId` is added); it is read on each call. */
export async function startBatchWire(jobs: Record<string, Record<string, unknown>>): Promise<BatchWire> {
  const requests: BatchWireRequest[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const text = raw.toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      if (req.method !== 'POST' || req.url !== '/v1/describejobs') {
        res
          .writeHead(404, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'UnknownOperationException',
          })
          .end(JSON.stringify({ message: `not played: ${req.method} ${req.url}` }));
        return;
      }
      const asked = Array.isArray(body.jobs) ? (body.jobs as string[]) : [];
      const found = asked.flatMap((id) => (jobs[id] ? [{ jobId: id, ...jobs[id] }] : []));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jobs: found }));
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, close };
}
