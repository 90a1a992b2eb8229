// `sls container logs -f <fn> [--request-id <id>]` (SCAR's `log`): a request's Lambda log (CloudWatch Logs) and,
// when the supervisor handed it to AWS Batch, the job's log (DescribeJobs, then the job's log stream).
import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { awsClientConfig, sdkClientSettings } from '@serverless-continuum/core/serverless';
import type { ResolvedContainerFunction } from '../config';
import { commandFunction, type CommandContext } from './command-context';
import {
  formatLine,
  handedJobs,
  platformLine,
  requestFilterPattern,
  requestLog,
  requestsOf,
  type LogLine,
  type RequestLog,
} from './request-log';

/** Where Batch jobs log unless their job definition names another awslogs group. */
export const BATCH_LOG_GROUP = '/aws/batch/job';
/** Without --request-id: the requests of this many most recently written streams, the last few of them. */
const LATEST_STREAMS = 3;
const LATEST_REQUESTS = 5;

export function lambdaLogGroup(fn: ResolvedContainerFunction): string {
  return `/aws/lambda/${fn.lambdaName}`;
}

interface Clients {
  logs: CloudWatchLogsClient;
  batch: BatchClient;
}

const isMissing = (error: unknown) => (error as Error).name === 'ResourceNotFoundException';

function awsFailure(what: string, error: unknown): ContinuumError {
  return new ContinuumError('CONTINUUM_AWS', `${what} failed: ${(error as Error).message}`, { cause: error });
}

function asLines(
  events: Array<{ timestamp?: number; message?: string; logStreamName?: string }> | undefined,
  stream?: string,
): LogLine[] {
  return (events ?? []).map((e) => ({
    timestamp: e.timestamp ?? 0,
    message: e.message ?? '',
    ...((e.logStreamName ?? stream) ? { logStreamName: (e.logStreamName ?? stream)! } : {}),
  }));
}

/** FilterLogEvents, every page, or until `enough` says the events so far suffice. */
async function filterAll(
  client: CloudWatchLogsClient,
  input: {
    logGroupName: string;
    filterPattern?: string;
    logStreamNames?: string[];
    startTime?: number;
    endTime?: number;
  },
  enough: (lines: LogLine[]) => boolean = () => false,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({ ...input, ...(nextToken ? { nextToken } : {}) }),
    );
    lines.push(...asLines(page.events));
    nextToken = page.nextToken;
  } while (nextToken && !enough(lines));
  return lines;
}

/** One request: its START and REPORT lines found by a filter, then every line of its stream between them. */
async function readRequest(
  client: CloudWatchLogsClient,
  logGroupName: string,
  requestId: string,
): Promise<RequestLog | undefined> {
  const mark = (line: LogLine, kind: string) => {
    const platform = platformLine(line.message);
    return platform?.kind === kind && platform.requestId === requestId;
  };
  const marks = await filterAll(
    client,
    { logGroupName, filterPattern: requestFilterPattern(requestId) },
    (lines) => lines.some((l) => mark(l, 'REPORT')),
  );
  const of = (kind: string) => marks.find((l) => mark(l, kind));
  const start = of('START');
  if (!start?.logStreamName) return undefined;
  const report = of('REPORT');
  const lines = await filterAll(client, {
    logGroupName,
    logStreamNames: [start.logStreamName],
    startTime: start.timestamp,
    ...(report ? { endTime: report.timestamp } : {}),
  });
  return requestLog(lines, requestId);
}

/** The last requests of the most recently written streams, oldest first. */
async function readLatest(client: CloudWatchLogsClient, logGroupName: string): Promise<RequestLog[]> {
  const streams = await client.send(
    new DescribeLogStreamsCommand({
      logGroupName,
      orderBy: 'LastEventTime',
      descending: true,
      limit: LATEST_STREAMS,
    }),
  );
  const lines: LogLine[] = [];
  for (const stream of streams.logStreams ?? []) {
    if (!stream.logStreamName) continue;
    // From the tail: one page holds a stream's latest events (up to 1 MB), in time order.
    const page = await client.send(
      new GetLogEventsCommand({ logGroupName, logStreamName: stream.logStreamName, startFromHead: false }),
    );
    lines.push(...asLines(page.events, stream.logStreamName));
  }
  return requestsOf(lines).slice(-LATEST_REQUESTS);
}

/** Every event of one stream from its start: GetLogEvents pages until the forward token stops changing. */
async function readStream(
  client: CloudWatchLogsClient,
  logGroupName: string,
  logStreamName: string,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await client.send(
      new GetLogEventsCommand({
        logGroupName,
        logStreamName,
        startFromHead: true,
        ...(token ? { nextToken: token } : {}),
      }),
    );
    lines.push(...asLines(page.events, logStreamName));
    if (!page.nextForwardToken || page.nextForwardToken === token) return lines;
    token = page.nextForwardToken;
  }
}

/** What `logs` prints of one Batch job: a heading with its status, then its log (or why there is none yet). */
async function batchJobLines(clients: Clients, job: { jobId: string; jobName?: string }): Promise<string[]> {
  const title = `AWS Batch job ${job.jobName ? `${job.jobName} (${job.jobId})` : job.jobId}`;
  let described;
  try {
    described = (await clients.batch.send(new DescribeJobsCommand({ jobs: [job.jobId] }))).jobs?.[0];
  } catch (error) {
    throw awsFailure(`AWS Batch DescribeJobs of ${job.jobId}`, error);
  }
  if (!described) {
    return [`== ${title}: no longer known to AWS Batch (it keeps jobs for about a week)`];
  }
  const status = `${described.status ?? 'unknown'}${described.statusReason ? ` (${described.statusReason})` : ''}`;
  const container = described.container;
  const stream = container?.logStreamName;
  const mainNode = described.nodeProperties?.mainNode;
  // A multi-node job logs through its nodes; the main node's job (`<id>#<index>`) runs the script.
  if (!stream && mainNode !== undefined && !job.jobId.includes('#')) {
    const main = await batchJobLines(clients, { jobId: `${job.jobId}#${mainNode}` });
    return [`== ${title}: ${status}, multi-node: its main node ${mainNode}`, ...main];
  }
  if (!stream) return [`== ${title}: ${status}; no log yet (a job logs once its container starts)`];
  const group = container.logConfiguration?.options?.['awslogs-group'] ?? BATCH_LOG_GROUP;
  let lines: LogLine[];
  try {
    lines = await readStream(clients.logs, group, stream);
  } catch (error) {
    if (isMissing(error)) return [`== ${title}: ${status}; its log ${group} ${stream} is gone`];
    throw awsFailure(`reading ${group} ${stream}`, error);
  }
  return [`== ${title}: ${status}, ${group} ${stream}`, ...lines.map(formatLine)];
}

async function requestLines(clients: Clients, request: RequestLog): Promise<string[]> {
  const out = [
    `== request ${request.requestId}${request.logStreamName ? ` (${request.logStreamName})` : ''}${request.complete ? '' : ', still running'}`,
    ...request.lines.map(formatLine),
  ];
  for (const job of handedJobs(request)) out.push(...(await batchJobLines(clients, job)));
  return out;
}

export async function logsCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const requestId = typeof ctx.options['request-id'] === 'string' ? ctx.options['request-id'] : undefined;
  // Checked before any call: a bad id is the user's to fix, not AWS's to refuse.
  if (requestId !== undefined) requestFilterPattern(requestId);
  const settings = sdkClientSettings(await awsClientConfig(ctx.serverless, ctx.options));
  const clients: Clients = { logs: new CloudWatchLogsClient(settings), batch: new BatchClient(settings) };
  const group = lambdaLogGroup(fn);
  try {
    let requests: RequestLog[];
    try {
      requests = requestId
        ? [await readRequest(clients.logs, group, requestId)].filter((r) => r !== undefined)
        : await readLatest(clients.logs, group);
    } catch (error) {
      if (!isMissing(error)) throw awsFailure(`reading ${group}`, error);
      ctx.utils.log.notice(
        `No logs of ${fn.name} yet: ${group} does not exist (it has not run, or runs in another stage or region)`,
      );
      return;
    }
    if (!requests.length) {
      if (requestId) {
        throw new ContinuumError('CONTINUUM_NOT_FOUND', `${group} has no request ${requestId}`);
      }
      ctx.utils.log.notice(`No requests of ${fn.name} in ${group} yet`);
      return;
    }
    for (const request of requests) ctx.utils.writeText(await requestLines(clients, request));
  } finally {
    clients.logs.destroy();
    clients.batch.destroy();
  }
}
