// CloudWatch Logs' FilterLogEvents at the wire (JSON 1.1: `POST /` with `X-Amz-Target`), answered from canned
// log groups: events at or after `startTime`, `pageSize` a page with a `nextToken`, and
// ResourceNotFoundException for a group that is not there. Filter patterns are recorded, not evaluated.
import { createServer, type ServerResponse } from 'node:http';
import { listenLoopback, readBody } from './loopback';

export interface CannedEvent {
  eventId: string;
  timestamp: number;
  message: string;
  logStreamName?: string;
}

export interface CannedGroup {
  events: CannedEvent[];
  /** Events per page (default: all in one page). */
  pageSize?: number;
  /** Answer every request for this group with this error instead. */
  error?: { status: number; type: string; message: string };
}

export interface LogsWireRequest {
  method: string;
  path: string;
  target: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export interface LogsWire {
  /** For `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`. */
  endpoint: string;
  /** Every request, in arrival order. */
  requests: LogsWireRequest[];
  close(): Promise<void>;
}

const FILTER_LOG_EVENTS = 'Logs_20140328.FilterLogEvents';

function answer(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res
    .writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    })
    .end(JSON.stringify(body));
}

/** `groups` maps a log group name to its events; it is read on each call, so tests may add events. */
export async function startLogsWire(groups: Record<string, CannedGroup>): Promise<LogsWire> {
  const requests: LogsWireRequest[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const text = raw.toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      const target = req.headers['x-amz-target'] as string | undefined;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        target,
        contentType: req.headers['content-type'],
        body,
      });
      if (req.method !== 'POST' || target !== FILTER_LOG_EVENTS) {
        answer(res, 400, { __type: 'UnknownOperationException', message: `not played: ${target}` });
        return;
      }
      const name = body.logGroupName as string;
      const group = groups[name];
      if (!group) {
        const type = 'ResourceNotFoundException';
        answer(res, 400, { __type: type, message: 'The specified log group does not exist.' }, type);
        return;
      }
      if (group.error) {
        answer(
          res,
          group.error.status,
          { __type: group.error.type, message: group.error.message },
          group.error.type,
        );
        return;
      }
      const startTime = typeof body.startTime === 'number' ? body.startTime : 0;
      const matching = group.events.filter((e) => e.timestamp >= startTime);
      // The token is the offset into the matching events; a real token is opaque, the CLI only echoes it.
      const offset = typeof body.nextToken === 'string' ? Number(body.nextToken.replace(/^page-/, '')) : 0;
      const size = group.pageSize ?? (matching.length || 1);
      const page = matching.slice(offset, offset + size);
      const next = offset + size < matching.length ? `page-${offset + size}` : undefined;
      answer(res, 200, {
        events: page.map((e) => ({
          logStreamName: e.logStreamName ?? '2024/05/01/[$LATEST]0123456789abcdef',
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.timestamp + 100,
          eventId: e.eventId,
        })),
        searchedLogStreams: [],
        ...(next ? { nextToken: next } : {}),
      });
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, close };
}
