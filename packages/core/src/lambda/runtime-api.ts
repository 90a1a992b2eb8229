// A client for the Lambda Runtime API (version 2018-06-01) over Node's http module: next, response, error, init error.
// Its own subpath (`core/lambda/runtime-api`): the container images' entry points load it without the SDK clients.
import http from 'node:http';

export interface Invocation {
  requestId: string;
  /** Epoch ms at which Lambda ends the invocation. */
  deadlineMs?: number;
  invokedFunctionArn?: string;
  traceId?: string;
  event: unknown;
}

export interface RuntimeErrorBody {
  errorMessage: string;
  errorType: string;
  stackTrace: string[];
}

const VERSION = '2018-06-01';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class RuntimeApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly host: string;
  private readonly port: number;

  /** `address` is AWS_LAMBDA_RUNTIME_API: `host:port`. */
  constructor(address: string) {
    const url = new URL(`http://${address}`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  /** Waits (as long as it takes) for the next event. */
  async next(): Promise<Invocation> {
    const reply = await this.request('GET', `/${VERSION}/runtime/invocation/next`);
    if (reply.status !== 200) throw new Error(`runtime API: next invocation answered ${reply.status}`);
    const header = (name: string): string | undefined => {
      const value = reply.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const requestId = header('lambda-runtime-aws-request-id');
    if (!requestId) throw new Error('runtime API: next invocation has no Lambda-Runtime-Aws-Request-Id');
    const text = reply.body.toString('utf8');
    const invocation: Invocation = { requestId, event: text ? JSON.parse(text) : {} };
    const deadline = Number(header('lambda-runtime-deadline-ms'));
    if (Number.isFinite(deadline) && deadline > 0) invocation.deadlineMs = deadline;
    const arn = header('lambda-runtime-invoked-function-arn');
    if (arn) invocation.invokedFunctionArn = arn;
    const trace = header('lambda-runtime-trace-id');
    if (trace) invocation.traceId = trace;
    return invocation;
  }

  async respond(requestId: string, result: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(result ?? null));
    const reply = await this.request(
      'POST',
      `/${VERSION}/runtime/invocation/${encodeURIComponent(requestId)}/response`,
      body,
      {
        'Content-Type': 'application/json',
      },
    );
    if (reply.status !== 202) {
      throw new Error(
        `runtime API: response for ${requestId} answered ${reply.status}: ${reply.body.toString('utf8')}`,
      );
    }
  }

  async invocationError(requestId: string, error: RuntimeErrorBody): Promise<void> {
    await this.postError(`/${VERSION}/runtime/invocation/${encodeURIComponent(requestId)}/error`, error);
  }

  async initError(error: RuntimeErrorBody): Promise<void> {
    await this.postError(`/${VERSION}/runtime/init/error`, error);
  }

  close(): void {
    this.agent.destroy();
  }

  private async postError(path: string, error: RuntimeErrorBody): Promise<void> {
    const reply = await this.request('POST', path, Buffer.from(JSON.stringify(error)), {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Function-Error-Type': error.errorType,
    });
    if (reply.status !== 202) throw new Error(`runtime API: ${path} answered ${reply.status}`);
  }

  private request(
    method: string,
    path: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
