// What `sls container logs` makes of CloudWatch Logs events (pure): a log stream cut into its requests, from
// Lambda's START line to its REPORT line, the Batch jobs a request handed work to, and how lines print.
import { ConfigError } from '@serverless-continuum/core/errors';
import { handoffOfLogLine } from '../runtime/contract';

export interface LogLine {
  timestamp: number;
  message: string;
  logStreamName?: string;
}

export interface RequestLog {
  requestId: string;
  logStreamName?: string;
  /** START to REPORT, both included; a request still running has no REPORT yet. */
  lines: LogLine[];
  /** Whether its REPORT line is there. */
  complete: boolean;
}

// Lambda's platform lines in its text format: `START RequestId: <id> Version: $LATEST`, `REPORT RequestId: <id>\t...`.
const PLATFORM_LINE = /^(START|END|REPORT) RequestId: ([^\s]+)/;

/** `START` / `END` / `REPORT` and the request id of one of Lambda's platform lines. */
export function platformLine(message: string): { kind: string; requestId: string } | undefined {
  const match = PLATFORM_LINE.exec(message);
  return match ? { kind: match[1]!, requestId: match[2]! } : undefined;
}

/**
 * The requests of some log events, in the order they started. A stream is one execution environment, which
 * runs one request at a time: a request's lines are the stream's lines from its START to its REPORT. Lines
 * outside any (INIT_START, the supervisor starting up) belong to no request.
 */
export function requestsOf(events: readonly LogLine[]): RequestLog[] {
  const streams = new Map<string, LogLine[]>();
  for (const event of events) {
    const name = event.logStreamName ?? '';
    let lines = streams.get(name);
    if (!lines) streams.set(name, (lines = []));
    lines.push(event);
  }
  const requests: RequestLog[] = [];
  for (const [name, lines] of streams) {
    // Stable: lines of one millisecond keep CloudWatch's order.
    const ordered = [...lines].sort((a, b) => a.timestamp - b.timestamp);
    let open: RequestLog | undefined;
    for (const line of ordered) {
      const platform = platformLine(line.message);
      if (platform?.kind === 'START') {
        open = {
          requestId: platform.requestId,
          ...(name ? { logStreamName: name } : {}),
          lines: [],
          complete: false,
        };
        requests.push(open);
      }
      if (!open) continue;
      open.lines.push(line);
      if (platform?.kind === 'REPORT' && platform.requestId === open.requestId) {
        open.complete = true;
        open = undefined;
      }
    }
  }
  return requests.sort((a, b) => (a.lines[0]?.timestamp ?? 0) - (b.lines[0]?.timestamp ?? 0));
}

/** One request's lines, from START to REPORT; undefined when its START is not among the events. */
export function requestLog(events: readonly LogLine[], requestId: string): RequestLog | undefined {
  return requestsOf(events).find((r) => r.requestId === requestId);
}

/** The Batch jobs a request handed work to, in order, once each (the supervisor's hand-off lines). */
export function handedJobs(request: RequestLog): Array<{ jobId: string; jobName?: string }> {
  const jobs = new Map<string, { jobId: string; jobName?: string }>();
  for (const line of request.lines) {
    const job = handoffOfLogLine(line.message);
    if (job && !jobs.has(job.jobId)) jobs.set(job.jobId, job);
  }
  return [...jobs.values()];
}

/** A request id as a CloudWatch Logs phrase; anything but a request id is refused before it reaches a filter. */
export function requestFilterPattern(requestId: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(requestId)) {
    throw new ConfigError(
      '--request-id',
      `${JSON.stringify(requestId)} is not a request id`,
      'request ids are letters, digits and "-", as in START RequestId: <id>',
    );
  }
  return `"RequestId: ${requestId}"`;
}

/** `<ISO time>  <message>`; continuation lines are indented under the message. */
export function formatLine(line: LogLine): string {
  const head = `${new Date(line.timestamp).toISOString()}  `;
  return (
    head +
    line.message
      .replace(/\r?\n$/, '')
      .split('\n')
      .join(`\n${' '.repeat(head.length)}`)
  );
}
