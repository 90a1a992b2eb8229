// CloudWatch Logs at the wire (JSON 1.1: `POST /` with `X-Amz-Target`), answered from canned log groups:
// FilterLogEvents (events from `startTime` to `endTime`, of `logStreamNames` when given, `pageSize` a page with a
// `nextToken`), DescribeLogStreams (latest written first) and GetLogEvents (a stream from its head, or its last
// page), and ResourceNotFoundException for a group that is not there. Filter patterns are recorded, not evaluated.
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
  /** The SigV4 Authorization header the SDK sent. */
  authorization: string | undefined;
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
const DESCRIBE_LOG_STREAMS = 'Logs_20140328.DescribeLogStreams';
const GET_LOG_EVENTS = 'Logs_20140328.GetLogEvents';
const OPERATIONS = [FILTER_LOG_EVENTS, DESCRIBE_LOG_STREAMS, GET_LOG_EVENTS];
const DEFAULT_STREAM = '2024/05/01/[$LATEST]0123456789abcdef';

const streamOf = (e: CannedEvent) => e.logStreamName ?? DEFAULT_STREAM;

function wireEvent(e: CannedEvent) {
  return {
    logStreamName: streamOf(e),
    timestamp: e.timestamp,
    message: e.message,
    ingestionTime: e.timestamp + 100,
    eventId: e.eventId,
  };
}

/** The streams of a group, the one written last first, as `orderBy: LastEventTime, descending` lists them. */
function streamsOf(group: CannedGroup): Array<{ name: string; first: number; last: number }> {
  const streams = new Map<string, { name: string; first: number; last: number }>();
  for (const e of group.events) {
    const name = streamOf(e);
    const known = streams.get(name) ?? { name, first: e.timestamp, last: e.timestamp };
    known.first = Math.min(known.first, e.timestamp);
    known.last = Math.max(known.last, e.timestamp);
    streams.set(name, known);
  }
  return [...streams.values()].sort((a, b) => b.last - a.last);
}

/** GetLogEvents: tokens are `f/<offset>` (forward) and `b/<offset>`; at the end the same forward token comes back. */
function logEventsPage(group: CannedGroup, body: Record<string, unknown>): Record<string, unknown> {
  const events = group.events
    .filter((e) => streamOf(e) === body.logStreamName)
    .sort((a, b) => a.timestamp - b.timestamp);
  const size = group.pageSize ?? (events.length || 1);
  const token = typeof body.nextToken === 'string' ? body.nextToken : undefined;
  const fromHead = token !== undefined || body.startFromHead === true;
  const start = token ? Number(token.slice(2)) : fromHead ? 0 : Math.max(0, events.length - size);
  const page = events.slice(start, start + size);
  return {
    events: page.map((e) => ({
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.timestamp + 100,
    })),
    nextForwardToken: `f/${start + page.length}`,
    nextBackwardToken: `b/${start}`,
  };
}

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
        authorization: req.headers.authorization,
        target,
        contentType: req.headers['content-type'],
        body,
      });
      if (req.method !== 'POST' || !OPERATIONS.includes(target ?? '')) {
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
      if (target === DESCRIBE_LOG_STREAMS) {
        const limit = typeof body.limit === 'number' ? body.limit : 50;
        answer(res, 200, {
          logStreams: streamsOf(group)
            .slice(0, limit)
            .map((stream) => ({
              logStreamName: stream.name,
              firstEventTimestamp: stream.first,
              lastEventTimestamp: stream.last,
            })),
        });
        return;
      }
      if (target === GET_LOG_EVENTS) {
        answer(res, 200, logEventsPage(group, body));
        return;
      }
      const startTime = typeof body.startTime === 'number' ? body.startTime : 0;
      const endTime = typeof body.endTime === 'number' ? body.endTime : Infinity;
      const streams = Array.isArray(body.logStreamNames) ? (body.logStreamNames as string[]) : undefined;
      const matching = group.events.filter(
        (e) =>
          e.timestamp >= startTime && e.timestamp <= endTime && (!streams || streams.includes(streamOf(e))),
      );
      // The token is the offset into the matching events; a real token is opaque, the CLI only echoes it.
      const offset = typeof body.nextToken === 'string' ? Number(body.nextToken.replace(/^page-/, '')) : 0;
      const size = group.pageSize ?? (matching.length || 1);
      const page = matching.slice(offset, offset + size);
      const next = offset + size < matching.length ? `page-${offset + size}` : undefined;
      answer(res, 200, {
        events: page.map(wireEvent),
        searchedLogStreams: [],
        ...(next ? { nextToken: next } : {}),
      });
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, close };
}
