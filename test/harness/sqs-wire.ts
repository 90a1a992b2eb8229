// Amazon SQS at the wire (no local SQS server speaks its current JSON protocol): a loopback server that checks
// each request the AWS SDK v3 sends (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`,
// a SigV4 signature for `sqs`, the required fields, a known QueueUrl) and answers as SQS documents it, errors
// included (`__type` in the body, `x-amzn-query-error` in the headers). Each queue is kept by core's local queue,
// which has SQS's rules: visibility, receive counts, redrive to a dead-letter queue.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import {
  checkBodies,
  createLocalQueue,
  type LocalQueue,
  type LocalQueueOptions,
} from '@serverless-continuum/core/queue';
import { listenLoopback, readBody } from './loopback';

export interface WireRequest {
  action: string;
  input: Record<string, unknown>;
}

export interface SqsWire {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  endpoint: string;
  /** A queue at `<endpoint>/000000000000/<name>`, kept by a local queue with these options. */
  createQueue(name: string, options?: LocalQueueOptions): { url: string; backing: LocalQueue };
  /** Every well-formed request, in arrival order. */
  requests: WireRequest[];
  /** Every request the server refused as malformed (a test expects none). */
  refused: string[];
  close(): Promise<void>;
}

class SqsFault extends Error {
  constructor(
    readonly type: string,
    readonly queryError: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const missing = (field: string): SqsFault =>
  new SqsFault(
    'MissingParameter',
    'MissingParameter',
    400,
    `The request must contain the parameter ${field}.`,
  );
const invalid = (message: string): SqsFault =>
  new SqsFault('InvalidParameterValue', 'InvalidParameterValue', 400, message);

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

function required<T>(input: Record<string, unknown>, field: string, type: 'string' | 'number' | 'object'): T {
  const value = input[field];
  if (value === undefined) throw missing(field);
  if (typeof value !== type) throw invalid(`Value for parameter ${field} is invalid.`);
  return value as T;
}

function optionalWhole(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(
      `Value ${String(value)} for parameter ${field} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value as number;
}

/** Errors of the local queue as SQS names them for a receipt handle. */
function receiptFault(error: unknown): SqsFault {
  const code = (error as { code?: string }).code;
  if (code === 'CONTINUUM_MESSAGE_LOST') {
    return new SqsFault('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 400, '');
  }
  return new SqsFault(
    'ReceiptHandleIsInvalid',
    'ReceiptHandleIsInvalid',
    404,
    'The input receipt handle is invalid.',
  );
}

export async function startSqsWire(): Promise<SqsWire> {
  const queues = new Map<string, LocalQueue>();
  const requests: WireRequest[] = [];
  const refused: string[] = [];
  let endpoint = '';

  const queueOf = (input: Record<string, unknown>): LocalQueue => {
    const url = required<string>(input, 'QueueUrl', 'string');
    const queue = queues.get(url);
    if (!queue) {
      throw new SqsFault(
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        400,
        'The specified queue does not exist.',
      );
    }
    return queue;
  };

  const actions: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    async SendMessageBatch(input) {
      const queue = queueOf(input);
      const entries = required<Array<Record<string, unknown>>>(input, 'Entries', 'object');
      if (!Array.isArray(entries) || entries.length === 0) {
        throw new SqsFault(
          'EmptyBatchRequest',
          'AWS.SimpleQueueService.EmptyBatchRequest',
          400,
          'There should be at least one SendMessageBatchRequestEntry in the request.',
        );
      }
      if (entries.length > 10) {
        throw new SqsFault(
          'TooManyEntriesInBatchRequest',
          'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
          400,
          `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
        );
      }
      const ids = entries.map((entry) => required<string>(entry, 'Id', 'string'));
      if (ids.some((id) => !/^[A-Za-z0-9_-]{1,80}$/.test(id))) {
        throw new SqsFault(
          'InvalidBatchEntryId',
          'AWS.SimpleQueueService.InvalidBatchEntryId',
          400,
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (new Set(ids).size !== ids.length) {
        throw new SqsFault(
          'BatchEntryIdsNotDistinct',
          'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
          400,
          'Two or more batch entries in the request have the same Id.',
        );
      }
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        const body = required<string>(entry, 'MessageBody', 'string');
        try {
          checkBodies([body]);
        } catch {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: 'Invalid characters found.',
          });
          continue;
        }
        const [MessageId] = await queue.send([body]);
        Successful.push({ Id: entry.Id, MessageId, MD5OfMessageBody: md5(body) });
      }
      return { Successful, Failed };
    },
    async ReceiveMessage(input) {
      const queue = queueOf(input);
      const max = optionalWhole(input, 'MaxNumberOfMessages', 1, 10);
      const visibilityTimeout = optionalWhole(input, 'VisibilityTimeout', 0, 43200);
      const waitSeconds = optionalWhole(input, 'WaitTimeSeconds', 0, 20);
      // SQS returns a system attribute only when asked for it (or for `All`), by either list.
      const asked = [input.MessageSystemAttributeNames, input.AttributeNames].flatMap((names) =>
        Array.isArray(names) ? names : [],
      );
      const withCount = asked.includes('ApproximateReceiveCount') || asked.includes('All');
      const messages = await queue.receive({
        ...(max === undefined ? {} : { max }),
        ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
        ...(waitSeconds === undefined ? {} : { waitSeconds }),
      });
      return {
        Messages: messages.map((m) => ({
          MessageId: m.id,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5(m.body),
          Body: m.body,
          ...(withCount ? { Attributes: { ApproximateReceiveCount: String(m.receiveCount) } } : {}),
        })),
      };
    },
    async ChangeMessageVisibility(input) {
      const queue = queueOf(input);
      const handle = required<string>(input, 'ReceiptHandle', 'string');
      const seconds = optionalWhole(input, 'VisibilityTimeout', 0, 43200);
      if (seconds === undefined) throw missing('VisibilityTimeout');
      await queue.extendVisibility(handle, seconds).catch((error: unknown) => {
        throw receiptFault(error);
      });
      return {};
    },
    async DeleteMessage(input) {
      const queue = queueOf(input);
      await queue.delete(required<string>(input, 'ReceiptHandle', 'string')).catch((error: unknown) => {
        throw receiptFault(error);
      });
      return {};
    },
  };

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const refuse = (why: string): void => {
        refused.push(why);
        answer(
          res,
          400,
          { __type: 'com.amazonaws.sqs#InvalidAction', message: why },
          { 'x-amzn-query-error': 'InvalidAction;Sender' },
        );
      };
      const body = (await readBody(req)).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      if (req.method !== 'POST' || req.url !== '/')
        return refuse(`${req.method} ${req.url}: SQS's JSON protocol is POST /`);
      if (req.headers['content-type'] !== 'application/x-amz-json-1.0')
        return refuse(`content-type ${req.headers['content-type']}`);
      if (
        !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/sqs\/aws4_request/.test(
          String(req.headers.authorization),
        )
      ) {
        return refuse('not signed with SigV4 for the sqs service');
      }
      const handler = actions[action];
      if (!handler) return refuse(`X-Amz-Target ${target}`);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return refuse(`${action}: the body is not JSON`);
      }
      try {
        const output = await handler(input);
        requests.push({ action, input });
        answer(res, 200, output);
      } catch (error) {
        if (!(error instanceof SqsFault)) throw error;
        if (error.type === 'MissingParameter' || error.type === 'InvalidParameterValue')
          refused.push(`${action}: ${error.message}`);
        else requests.push({ action, input });
        answer(
          res,
          error.status,
          { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
          { 'x-amzn-query-error': `${error.queryError};Sender` },
        );
      }
    })().catch((error: unknown) => {
      refused.push(String(error));
      if (!res.headersSent)
        answer(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
    });
  });
  const loopback = await listenLoopback(server);
  endpoint = loopback.endpoint;
  return {
    endpoint,
    requests,
    refused,
    createQueue(name, options = {}) {
      const url = `${endpoint}/000000000000/${name}`;
      const backing = createLocalQueue(options);
      queues.set(url, backing);
      return { url, backing };
    },
    close: () => loopback.close(),
  };
}
