// Loopback proxies in front of s3rver and dynalite that count every request by operation, the way AWS would bill
// it: DynamoDB's consumed capacity (asked of dynalite on every request), write units per partition key and
// writes per item; S3 requests and the keys of each DeleteObjects. Either may answer a share of requests with
// a throttle instead (DynamoDB's ProvisionedThroughputExceededException, S3's SlowDown), which is not billed.
import { createServer, request } from 'node:http';
import { listenLoopback, readBody, type Loopback } from './loopback';

export interface CountingProxy extends Loopback {
  /** Requests forwarded, by operation (`GetItem`, `PutObject`, `DeleteObjects`...). */
  requests: Map<string, number>;
  /** Requests answered with a throttle instead. */
  throttled: number;
  /** DynamoDB only: the capacity units consumed, a failed condition billed as one write unit. */
  units: { read: number; write: number };
  /** DynamoDB only: write units by partition key, and write requests by item (`<pk> <sk>`). */
  writeUnitsByPartition: Map<string, number>;
  writesByItem: Map<string, number>;
  /** S3 only: keys named by DeleteObjects requests. */
  deletedKeys: number;
  reset(): void;
}

export interface CountingProxyOptions {
  /** Answer this share of requests (0..1) with a throttle, evenly spaced. */
  throttle?: number;
  /** S3 only: answer these requests with this fault (the clean-up's DeleteObjects, say). */
  fail?: (operation: string) => { status: number; code: string } | undefined;
}

const add = (map: Map<string, number>, key: string, n = 1): void => {
  map.set(key, (map.get(key) ?? 0) + n);
};

/** True for `share` of the calls, evenly spaced (every 50th for 2%): throttles that every run gets alike. */
function evenly(share: number): () => boolean {
  let calls = 0;
  return () => {
    calls++;
    return Math.floor(calls * share) > Math.floor((calls - 1) * share);
  };
}

/** The S3 operation of a request, as its method and query name it. */
export function s3Operation(method: string, url: string): string {
  const query = new URL(url, 'http://s3').searchParams;
  const path = new URL(url, 'http://s3').pathname.split('/').filter(Boolean);
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT' && query.has('partNumber')) return 'UploadPart';
  if (method === 'PUT') return path.length > 1 ? 'PutObject' : 'CreateBucket';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  if (method === 'GET' && path.length < 2) return 'ListObjects';
  return 'GetObject';
}

interface DynamoKey {
  pk?: { S?: string };
  sk?: { S?: string };
}

export async function startCountingProxy(
  service: 's3' | 'dynamodb',
  target: string,
  options: CountingProxyOptions = {},
): Promise<CountingProxy> {
  const to = new URL(target);
  const throttleNow = evenly(options.throttle ?? 0);
  const state = {
    requests: new Map<string, number>(),
    throttled: 0,
    units: { read: 0, write: 0 },
    writeUnitsByPartition: new Map<string, number>(),
    writesByItem: new Map<string, number>(),
    deletedKeys: 0,
  };

  const forward = (
    method: string,
    url: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = request(
        { hostname: to.hostname, port: to.port, method, path: url, headers },
        (answer) => {
          void readBody(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      if (service === 's3') {
        const operation = s3Operation(method, url);
        const fault = options.fail?.(operation);
        if (fault || throttleNow()) {
          if (!fault) state.throttled++;
          const code = fault?.code ?? 'SlowDown';
          res
            .writeHead(fault?.status ?? 503, { 'content-type': 'application/xml' })
            .end(
              `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
            );
          return;
        }
        add(state.requests, operation);
        if (operation === 'DeleteObjects')
          state.deletedKeys += body.toString('utf8').split('<Key>').length - 1;
        const answer = await forward(method, url, req.headers, body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '?';
      if (operation !== 'CreateTable' && throttleNow()) {
        state.throttled++;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
          }),
        );
        return;
      }
      add(state.requests, operation);
      const payload = JSON.parse(body.toString('utf8') || '{}') as {
        Key?: DynamoKey;
        Item?: DynamoKey;
      };
      // dynalite checks no signature: the request may ask for its consumed capacity.
      const asked = Buffer.from(JSON.stringify({ ...payload, ReturnConsumedCapacity: 'TOTAL' }));
      const headers = { ...req.headers, 'content-length': String(asked.length) };
      const answer = await forward(method, url, headers, asked);
      const text = answer.body.toString('utf8');
      const result = JSON.parse(text || '{}') as {
        __type?: string;
        ConsumedCapacity?: { CapacityUnits?: number };
      };
      const write = operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem';
      let consumed = result.ConsumedCapacity?.CapacityUnits ?? 0;
      // DynamoDB bills a write whose condition fails (dynalite reports nothing for it): one unit for these items.
      if (answer.status !== 200 && result.__type?.endsWith('ConditionalCheckFailedException')) consumed = 1;
      if (write) {
        state.units.write += consumed;
        const key = payload.Key ?? payload.Item ?? {};
        add(state.writeUnitsByPartition, key.pk?.S ?? '?', consumed);
        add(state.writesByItem, `${key.pk?.S ?? '?'} ${key.sk?.S ?? '?'}`);
      } else state.units.read += consumed;
      res.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch((error: unknown) => res.destroy(error as Error));
  });
  const loopback = await listenLoopback(server);
  return Object.assign(state, loopback, {
    reset() {
      state.requests.clear();
      state.throttled = 0;
      state.units.read = 0;
      state.units.write = 0;
      state.writeUnitsByPartition.clear();
      state.writesByItem.clear();
      state.deletedKeys = 0;
    },
  });
}
