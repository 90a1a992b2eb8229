// `sls mapreduce logs`: a job's CloudWatch Logs (coordinator, mappers, reducers) merged by time, optionally one
// run's only, once or followed with --tail.
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import { awsClientConfig, sdkClientSettings } from '@serverless-continuum/core/serverless';
import { ROLES, type Role } from '../config';
import { functionName, type ServiceContext } from '../compile/names';
import { selectJob, stringOption, type CommandContext } from './context';

export interface LogSource {
  role: Role;
  logGroup: string;
}

export interface LogEvent {
  role: Role;
  timestamp: number;
  eventId: string;
  message: string;
}

/** Lambda writes a function's logs to `/aws/lambda/<deployed name>`; the group exists once it has run. */
export function logGroupName(service: ServiceContext, job: string, role: Role): string {
  return `/aws/lambda/${functionName(service, job, role)}`;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: a duration back from `now` (`30m`, `1h`, `2d`) or an ISO date; epoch milliseconds. */
export function parseSince(value: string, now: number): number {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  // Only dates that start like ISO ones: Date.parse alone accepts `1` or `March 7`.
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(date)) {
    throw new ConfigError(
      '--since',
      `must be a duration or an ISO date, got ${JSON.stringify(value)}`,
      'e.g. 30m, 1h, 2d or 2024-05-01T10:00:00Z',
    );
  }
  return date;
}

/**
 * The filter that keeps one run's events: the run id as an exact phrase. The handlers log it as the `runId`
 * field, but a JSON pattern (`{ $.runId = ... }`) only matches events that are JSON as a whole, and Lambda's
 * default text format puts a time, request id and level before each line; the phrase matches in both formats.
 */
export function runFilterPattern(runId: string): string {
  // Run ids are `<sanitized key>-<hash>`: nothing in them needs quoting inside the phrase.
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) {
    throw new ConfigError(
      '--run',
      `${JSON.stringify(runId)} is not a run id`,
      'run ids have only letters, digits, ".", "_" and "-"; `sls mapreduce status` lists them',
    );
  }
  return `"${runId}"`;
}

function selectRoles(value: string | undefined): readonly Role[] {
  if (value === undefined) return ROLES;
  if (!ROLES.includes(value as Role)) {
    throw new ConfigError('--role', `must be one of ${ROLES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return [value as Role];
}

/** Events of several log groups in one time order; equal times keep the order of the lists (roles). */
export function mergeEvents(lists: LogEvent[][]): LogEvent[] {
  // Array.prototype.sort is stable, so within a group CloudWatch's own order is kept too.
  return lists.flat().sort((a, b) => a.timestamp - b.timestamp);
}

// Lambda's text format: `<time>\t<request id>\t<LEVEL>\t<what the function printed>`.
const LAMBDA_TEXT_LINE = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z\t[^\t]*\t([A-Z]+)\t([\s\S]*)$/;

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** A JSON line as its `message` followed by its other fields (`key=value`); a line without one, compacted. */
function describeObject(object: Record<string, unknown>): string {
  const { message, ...fields } = object;
  if (typeof message !== 'string') return JSON.stringify(object);
  return [message, ...Object.entries(fields).map(([key, value]) => `${key}=${fieldValue(value)}`)].join(' ');
}

/**
 * What a log event says, without Lambda's framing: the handlers' JSON lines as message and fields, other
 * lines (START, REPORT, stack traces) as text. Levels other than INFO are kept in front.
 */
export function describeMessage(raw: string): string {
  let text = raw.replace(/\r?\n$/, '');
  let level: string | undefined;
  const framed = LAMBDA_TEXT_LINE.exec(text);
  if (framed) {
    level = framed[1];
    text = framed[2] ?? '';
  }
  let object = parseObject(text.trim());
  // Lambda's JSON format wraps each line: {"timestamp", "level", "requestId", "message": "<the line>"}.
  if (object && typeof object.requestId === 'string' && typeof object.level === 'string') {
    level = object.level;
    const inner = object.message;
    object = typeof inner === 'string' ? parseObject(inner.trim()) : asObject(inner);
    if (!object) text = typeof inner === 'string' ? inner : (JSON.stringify(inner) ?? '');
  }
  const body = object ? describeObject(object) : text.trim();
  return level && level !== 'INFO' ? `${level} ${body}` : body;
}

const ROLE_WIDTH = Math.max(...ROLES.map((r) => r.length));

/** `<ISO time>  <role>  <message>`; continuation lines (stack traces) are indented under the message. */
export function formatEvent(event: LogEvent): string {
  const head = `${new Date(event.timestamp).toISOString()}  ${event.role.padEnd(ROLE_WIDTH)}  `;
  return (
    head +
    describeMessage(event.message)
      .split('\n')
      .join(`\n${' '.repeat(head.length)}`)
  );
}

/** Every event of one log group from `startTime`, all pages; undefined when the group does not exist yet. */
async function filterEvents(
  client: CloudWatchLogsClient,
  source: LogSource,
  startTime: number,
  filterPattern: string | undefined,
  signal: AbortSignal | undefined,
): Promise<LogEvent[] | undefined> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: source.logGroup,
          startTime,
          ...(filterPattern ? { filterPattern } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      for (const e of page.events ?? []) {
        events.push({
          role: source.role,
          timestamp: e.timestamp ?? 0,
          eventId: e.eventId ?? `${e.logStreamName}:${e.timestamp}:${e.message}`,
          message: e.message ?? '',
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (signal?.aborted) throw error;
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw new ContinuumError(
      'CONTINUUM_AWS',
      `reading the ${source.role} logs from ${source.logGroup} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return events;
}

export interface ReadLogsOptions {
  client: CloudWatchLogsClient;
  sources: LogSource[];
  /** Epoch milliseconds. */
  startTime: number;
  filterPattern?: string;
  /** Keep polling until `signal` aborts. */
  tail?: boolean;
  /** Each round's new events, merged in time order; not called for a round without any. */
  onEvents(events: LogEvent[]): void;
  /** A source whose log group does not exist (yet); called once per source. */
  onMissing(source: LogSource): void;
  signal?: AbortSignal;
  /** Pause between polls with `tail`. */
  pollMs?: number;
}

/**
 * Reads the sources once, or with `tail` again every `pollMs` from the last time seen in each group.
 * CloudWatch's startTime is inclusive, so events at that time come back: they are dropped by event id.
 */
export async function readLogs(options: ReadLogsOptions): Promise<void> {
  const { client, filterPattern, signal } = options;
  const starts = new Map(options.sources.map((s) => [s.logGroup, options.startTime]));
  const seen = new Map(options.sources.map((s) => [s.logGroup, new Map<string, number>()]));
  const missing = new Set<string>();

  const poll = async (source: LogSource): Promise<LogEvent[]> => {
    const start = starts.get(source.logGroup) ?? options.startTime;
    const events = await filterEvents(client, source, start, filterPattern, signal);
    if (!events) {
      if (!missing.has(source.logGroup)) options.onMissing(source);
      missing.add(source.logGroup);
      return [];
    }
    const known = seen.get(source.logGroup) ?? new Map<string, number>();
    const fresh = events.filter((e) => !known.has(e.eventId));
    // A loop, not Math.max(...): an hour of a busy mapper is more events than a call takes arguments.
    const last = events.reduce((max, e) => Math.max(max, e.timestamp), start);
    for (const e of fresh) known.set(e.eventId, e.timestamp);
    // Only ids at or after the next start can come back.
    for (const [id, timestamp] of known) if (timestamp < last) known.delete(id);
    starts.set(source.logGroup, last);
    return fresh;
  };

  for (;;) {
    let rounds: LogEvent[][];
    try {
      rounds = await Promise.all(options.sources.map(poll));
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    const events = mergeEvents(rounds);
    if (events.length) options.onEvents(events);
    if (!options.tail || signal?.aborted) return;
    try {
      await sleep(options.pollMs ?? 2000, undefined, signal ? { signal } : undefined);
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }
}

export async function logsCommand(ctx: CommandContext): Promise<void> {
  const job = selectJob(ctx);
  const roles = selectRoles(stringOption(ctx.options, 'role'));
  const startTime = parseSince(stringOption(ctx.options, 'since') ?? '1h', Date.now());
  const runId = stringOption(ctx.options, 'run');
  const filterPattern = runId === undefined ? undefined : runFilterPattern(runId);
  const tail = ctx.options.tail === true;
  const sources = roles.map((role) => ({ role, logGroup: logGroupName(ctx.service, job.name, role) }));

  const client = new CloudWatchLogsClient(
    sdkClientSettings(await awsClientConfig(ctx.serverless, ctx.options)),
  );
  const what = `${runId ? `run ${runId} of ` : ''}job ${job.name}`;
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  if (tail) {
    process.once('SIGINT', onInterrupt);
    ctx.utils.log.notice(`Following the logs of ${what} (Ctrl-C stops)`);
  }
  let shown = 0;
  try {
    await readLogs({
      client,
      sources,
      startTime,
      ...(filterPattern ? { filterPattern } : {}),
      tail,
      signal: stop.signal,
      onEvents: (events) => {
        shown += events.length;
        ctx.utils.writeText(events.map(formatEvent));
      },
      onMissing: (source) =>
        ctx.utils.log.notice(
          `No logs yet for the ${source.role}: ${source.logGroup} does not exist (the function has not run yet, or is deployed to another stage or region)`,
        ),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    client.destroy();
  }
  if (!tail && shown === 0) {
    ctx.utils.log.notice(`No log events of ${what} since ${new Date(startTime).toISOString()}`);
  }
}
