// `sls mapreduce logs`: how log lines read, how the roles' events merge, and the FilterLogEvents requests the
// command sends (pages, a run's filter, --tail from the last time seen) to a loopback CloudWatch Logs; the real
// CLI runs against it once for a whole job and once for one role that fails.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  describeMessage,
  formatEvent,
  logGroupName,
  mergeEvents,
  parseSince,
  readLogs,
  runFilterPattern,
  type LogEvent,
  type LogSource,
} from '../plugins/mapreduce/src/commands/logs';
import { startLogsWire, type CannedGroup, type LogsWire } from './harness/logs-wire';
import { runSls } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const RUN = 'texts_book.txt-0123456789abcdef';

/** A line as Lambda's Node.js runtime writes `console.log` in its default text format. */
function lambdaLine(at: number, text: string, level = 'INFO'): string {
  return `${new Date(at).toISOString()}\t6f1c2a3b-0000-4000-8000-000000000001\t${level}\t${text}\n`;
}

function event(role: LogEvent['role'], timestamp: number, message: string, eventId = `${role}-${timestamp}`) {
  return { role, timestamp, message, eventId };
}

describe('log lines', () => {
  test('a handler line reads as its message followed by its fields', () => {
    const line = lambdaLine(
      T0,
      JSON.stringify({ message: 'run started', runId: RUN, key: 'texts/book.txt', splits: 2 }),
    );
    assert.equal(describeMessage(line), `run started runId=${RUN} key=texts/book.txt splits=2`);
  });

  test('nested fields and strings with spaces stay JSON; a line without a message is compacted', () => {
    const line = lambdaLine(
      T0,
      JSON.stringify({ message: 'run failed', runId: RUN, error: 'map threw: bad', records: { in: 2 } }),
    );
    assert.equal(describeMessage(line), `run failed runId=${RUN} error="map threw: bad" records={"in":2}`);
    assert.equal(describeMessage(lambdaLine(T0, '{ "a": 1 }')), '{"a":1}');
  });

  test("Lambda's own lines are text, and levels other than INFO stay in front", () => {
    assert.equal(
      describeMessage('START RequestId: 6f1c Version: $LATEST\n'),
      'START RequestId: 6f1c Version: $LATEST',
    );
    assert.equal(
      describeMessage(
        lambdaLine(T0, 'Invoke Error \tTypeError: x is undefined\n    at map (index.js:1:2)', 'ERROR'),
      ),
      'ERROR Invoke Error \tTypeError: x is undefined\n    at map (index.js:1:2)',
    );
  });

  test("Lambda's JSON log format is unwrapped to the handler's line", () => {
    const wrapped = JSON.stringify({
      timestamp: new Date(T0).toISOString(),
      level: 'WARN',
      requestId: '6f1c',
      message: JSON.stringify({ message: 'split skipped: the run is not mapping', runId: RUN, split: 3 }),
    });
    assert.equal(describeMessage(wrapped), `WARN split skipped: the run is not mapping runId=${RUN} split=3`);
  });

  test('an event prints as time, role and message; continuation lines are indented under the message', () => {
    assert.equal(
      formatEvent(event('mapper', T0, lambdaLine(T0, JSON.stringify({ message: 'split done', split: 1 })))),
      '2024-05-01T10:00:00.000Z  mapper       split done split=1',
    );
    assert.equal(
      formatEvent(event('reducer', T0 + 1, 'first\nsecond')),
      `2024-05-01T10:00:00.001Z  reducer      first\n${' '.repeat(39)}second`,
    );
  });

  test('the roles merge by time; equal times keep the role order', () => {
    const merged = mergeEvents([
      [event('coordinator', T0, 'a'), event('coordinator', T0 + 30, 'd')],
      [event('mapper', T0 + 10, 'b'), event('mapper', T0 + 30, 'e')],
      [event('reducer', T0 + 20, 'c')],
    ]);
    assert.deepEqual(
      merged.map((e) => e.message),
      ['a', 'b', 'c', 'd', 'e'],
    );
  });

  test('--since takes a duration back from now or an ISO date', () => {
    assert.equal(parseSince('1h', T0), T0 - 3_600_000);
    assert.equal(parseSince('30m', T0), T0 - 1_800_000);
    assert.equal(parseSince('2d', T0), T0 - 2 * 86_400_000);
    assert.equal(parseSince('2024-04-30T08:00:00Z', T0), Date.parse('2024-04-30T08:00:00Z'));
    assert.throws(
      () => parseSince('yesterday', T0),
      /--since: must be a duration or an ISO date, got "yesterday"/,
    );
    assert.throws(() => parseSince('5', T0), /--since/);
  });

  test('--run becomes an exact phrase; what is not a run id is refused before it reaches a filter', () => {
    assert.equal(runFilterPattern(RUN), `"${RUN}"`);
    assert.throws(() => runFilterPattern('a" OR "b'), /--run: "a\\" OR \\"b" is not a run id/);
  });

  test('log groups are named after the deployed functions', () => {
    assert.equal(
      logGroupName({ service: 'mr-fixture', stage: 'dev' }, 'wordcount', 'mapper'),
      '/aws/lambda/mr-fixture-dev-wordcount-mr-mapper',
    );
  });
});

describe('reading log groups (loopback CloudWatch Logs)', () => {
  const groups: Record<string, CannedGroup> = {};
  let wire: LogsWire;
  let client: CloudWatchLogsClient;

  before(async () => {
    wire = await startLogsWire(groups);
    client = new CloudWatchLogsClient({
      region: 'us-east-1',
      endpoint: wire.endpoint,
      credentials: { accessKeyId: 'AKIDLOGSWIRE', secretAccessKey: 'logs-wire' },
      maxAttempts: 1,
    });
  });
  after(async () => {
    client.destroy();
    await wire.close();
  });

  const source = (role: LogSource['role'], group: string): LogSource => ({ role, logGroup: group });

  test('reads every page of every role and merges them once', async () => {
    groups['/t/coordinator'] = {
      pageSize: 2,
      events: [
        { eventId: 'c1', timestamp: T0, message: 'c1' },
        { eventId: 'c2', timestamp: T0 + 20, message: 'c2' },
        { eventId: 'c3', timestamp: T0 + 40, message: 'c3' },
      ],
    };
    groups['/t/mapper'] = { events: [{ eventId: 'm1', timestamp: T0 + 30, message: 'm1' }] };
    const from = wire.requests.length;
    const rounds: LogEvent[][] = [];
    const missing: string[] = [];
    await readLogs({
      client,
      sources: [
        source('coordinator', '/t/coordinator'),
        source('mapper', '/t/mapper'),
        source('reducer', '/t/none'),
      ],
      startTime: T0 - 1000,
      filterPattern: `"${RUN}"`,
      onEvents: (events) => rounds.push(events),
      onMissing: (s) => missing.push(s.role),
    });
    assert.deepEqual(
      rounds.map((r) => r.map((e) => `${e.role}:${e.message}`)),
      [['coordinator:c1', 'coordinator:c2', 'mapper:m1', 'coordinator:c3']],
    );
    assert.deepEqual(missing, ['reducer']);
    const sent = wire.requests.slice(from);
    for (const request of sent) {
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/');
      assert.equal(request.target, 'Logs_20140328.FilterLogEvents');
      assert.equal(request.contentType, 'application/x-amz-json-1.1');
    }
    const coordinator = sent.filter((r) => r.body.logGroupName === '/t/coordinator').map((r) => r.body);
    assert.deepEqual(coordinator, [
      { logGroupName: '/t/coordinator', startTime: T0 - 1000, filterPattern: `"${RUN}"` },
      {
        logGroupName: '/t/coordinator',
        startTime: T0 - 1000,
        filterPattern: `"${RUN}"`,
        nextToken: 'page-2',
      },
    ]);
    assert.equal(sent.length, 4);
  });

  test('--tail polls again from the last time seen and prints each event once', async () => {
    groups['/t/tail'] = {
      events: [
        { eventId: 'a', timestamp: T0, message: 'a' },
        { eventId: 'b', timestamp: T0 + 50, message: 'b' },
      ],
    };
    const from = wire.requests.length;
    const stop = new AbortController();
    const rounds: string[][] = [];
    await readLogs({
      client,
      sources: [source('mapper', '/t/tail')],
      startTime: T0 - 1000,
      tail: true,
      pollMs: 1,
      signal: stop.signal,
      onEvents: (events) => {
        rounds.push(events.map((e) => e.eventId));
        if (rounds.length === 1) {
          // Arrives meanwhile: one more at the very time last seen, one later.
          groups['/t/tail']?.events.push(
            { eventId: 'c', timestamp: T0 + 50, message: 'c' },
            { eventId: 'd', timestamp: T0 + 90, message: 'd' },
          );
        } else stop.abort();
      },
      onMissing: () => assert.fail('the group exists'),
    });
    assert.deepEqual(rounds, [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    const starts = wire.requests.slice(from).map((r) => r.body.startTime);
    assert.deepEqual(starts.slice(0, 2), [T0 - 1000, T0 + 50]);
    assert.ok(starts.slice(2).every((s) => s === T0 + 90));
  });

  test('another error names the role and the log group', async () => {
    groups['/t/denied'] = {
      events: [],
      error: {
        status: 400,
        type: 'AccessDeniedException',
        message: 'not authorized to perform logs:FilterLogEvents',
      },
    };
    await assert.rejects(
      readLogs({
        client,
        sources: [source('reducer', '/t/denied')],
        startTime: T0,
        onEvents: () => undefined,
        onMissing: () => undefined,
      }),
      {
        name: 'ContinuumError',
        code: 'CONTINUUM_AWS',
        message:
          'reading the reducer logs from /t/denied failed: not authorized to perform logs:FilterLogEvents',
      },
    );
  });
});

describe('sls mapreduce logs (real CLI, loopback CloudWatch Logs)', () => {
  const groups: Record<string, CannedGroup> = {};
  let wire: LogsWire;
  let env: Record<string, string>;

  before(async () => {
    wire = await startLogsWire(groups);
    env = { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: wire.endpoint };
  });
  after(() => wire.close());

  test("prints one run's lines of all roles in time order; a role without a log group has no logs yet", async () => {
    const line = (at: number, message: string, fields: Record<string, unknown> = {}) =>
      lambdaLine(at, JSON.stringify({ message, runId: RUN, ...fields }));
    groups['/aws/lambda/mr-fixture-dev-wordcount-mr-coordinator'] = {
      pageSize: 2,
      events: [
        { eventId: 'c1', timestamp: T0, message: line(T0, 'run started', { splits: 2 }) },
        { eventId: 'c2', timestamp: T0 + 900, message: line(T0 + 900, 'map phase done', { splits: 2 }) },
        { eventId: 'c3', timestamp: T0 + 2000, message: line(T0 + 2000, 'run succeeded', { totalMs: 2000 }) },
      ],
    };
    groups['/aws/lambda/mr-fixture-dev-wordcount-mr-mapper'] = {
      events: [
        { eventId: 'm1', timestamp: T0 + 400, message: 'REPORT RequestId: 6f1c\tDuration: 310.12 ms\n' },
      ],
    };
    const since = '2024-05-01T09:00:00Z';
    const run = await runSls(
      'osls',
      ['mapreduce', 'logs', '--job', 'wordcount', '--run', RUN, '--since', since],
      {
        cwd: FIXTURE,
        env,
      },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(
      run.stdout.trim(),
      [
        `2024-05-01T10:00:00.000Z  coordinator  run started runId=${RUN} splits=2`,
        '2024-05-01T10:00:00.400Z  mapper       REPORT RequestId: 6f1c\tDuration: 310.12 ms',
        `2024-05-01T10:00:00.900Z  coordinator  map phase done runId=${RUN} splits=2`,
        `2024-05-01T10:00:02.000Z  coordinator  run succeeded runId=${RUN} totalMs=2000`,
      ].join('\n'),
    );
    assert.match(
      run.stderr,
      /No logs yet for the reducer: \/aws\/lambda\/mr-fixture-dev-wordcount-mr-reducer does not exist/,
    );
    const bodies = wire.requests.map((r) => r.body);
    const common = { startTime: Date.parse(since), filterPattern: `"${RUN}"` };
    for (const role of ['coordinator', 'mapper', 'reducer']) {
      assert.deepEqual(
        bodies.find((b) => b.logGroupName === `/aws/lambda/mr-fixture-dev-wordcount-mr-${role}`),
        { logGroupName: `/aws/lambda/mr-fixture-dev-wordcount-mr-${role}`, ...common },
      );
    }
    assert.deepEqual(
      bodies.filter((b) => b.nextToken),
      [
        {
          logGroupName: '/aws/lambda/mr-fixture-dev-wordcount-mr-coordinator',
          ...common,
          nextToken: 'page-2',
        },
      ],
    );
    assert.ok(wire.requests.every((r) => r.target === 'Logs_20140328.FilterLogEvents'));
  });

  test('--role and --stage pick one log group; its failure names the role and the group', async () => {
    groups['/aws/lambda/mr-fixture-prod-wordcount-mr-mapper'] = {
      events: [],
      error: {
        status: 400,
        type: 'AccessDeniedException',
        message: 'not authorized to perform logs:FilterLogEvents',
      },
    };
    const from = wire.requests.length;
    const started = Date.now();
    const run = await runSls(
      'osls',
      ['mapreduce', 'logs', '--job', 'wordcount', '--role', 'mapper', '--stage', 'prod'],
      {
        cwd: FIXTURE,
        env,
      },
    );
    assert.notEqual(run.code, 0);
    assert.match(
      run.stdout + run.stderr,
      /reading the mapper logs from \/aws\/lambda\/mr-fixture-prod-wordcount-mr-mapper failed: not authorized to perform logs:FilterLogEvents/,
    );
    const sent = wire.requests.slice(from).map((r) => r.body);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.logGroupName, '/aws/lambda/mr-fixture-prod-wordcount-mr-mapper');
    assert.equal(sent[0]?.filterPattern, undefined);
    // Default --since 1h: an hour before the command started, give or take its run time.
    const startTime = sent[0]?.startTime as number;
    assert.ok(startTime >= started - 3_600_000 && startTime <= Date.now() - 3_600_000, String(startTime));
  });
});
