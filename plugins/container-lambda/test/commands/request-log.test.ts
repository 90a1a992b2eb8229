// How `sls container logs` reads a log: a stream cut into requests from START to REPORT, the Batch jobs a
// request handed to, the request id as a filter, and how a line prints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatLine,
  handedJobs,
  platformLine,
  requestFilterPattern,
  requestLog,
  requestsOf,
  type LogLine,
} from '../../src/commands/request-log';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const line = (ms: number, message: string, logStreamName = 'A'): LogLine => ({
  timestamp: T0 + ms,
  message: `${message}\n`,
  logStreamName,
});
const texts = (lines: LogLine[] | undefined) => (lines ?? []).map((l) => l.message.trim());

describe('a request in the log', () => {
  test("Lambda's platform lines name their kind and request id", () => {
    assert.deepEqual(platformLine('START RequestId: 8f5e-01 Version: $LATEST\n'), {
      kind: 'START',
      requestId: '8f5e-01',
    });
    assert.deepEqual(platformLine('REPORT RequestId: 8f5e-01\tDuration: 2.00 ms'), {
      kind: 'REPORT',
      requestId: '8f5e-01',
    });
    assert.equal(platformLine('INIT_START Runtime Version: provided:al2023.v1'), undefined);
    assert.equal(platformLine('the script said START RequestId: x'), undefined);
  });

  test("is its stream's lines from START to REPORT; other streams' lines at the same times are not", () => {
    const events = [
      line(0, 'INIT_START Runtime Version: provided:al2023.v1'),
      line(1, 'supervisor ready'),
      line(10, 'START RequestId: r1 Version: $LATEST'),
      line(11, 'START RequestId: r2 Version: $LATEST', 'B'),
      line(12, 'from r2', 'B'),
      line(12, 'from r1'),
      line(13, 'Task timed out after 3.00 seconds'),
      line(14, 'END RequestId: r1'),
      line(14, 'REPORT RequestId: r1\tDuration: 3000.00 ms'),
      line(14, 'START RequestId: r3 Version: $LATEST'),
      line(20, 'REPORT RequestId: r2\tDuration: 9.00 ms', 'B'),
    ];
    const r1 = requestLog(events, 'r1');
    assert.deepEqual(texts(r1?.lines), [
      'START RequestId: r1 Version: $LATEST',
      'from r1',
      'Task timed out after 3.00 seconds',
      'END RequestId: r1',
      'REPORT RequestId: r1\tDuration: 3000.00 ms',
    ]);
    assert.equal(r1?.complete, true);
    assert.equal(r1?.logStreamName, 'A');
    assert.deepEqual(texts(requestLog(events, 'r2')?.lines), [
      'START RequestId: r2 Version: $LATEST',
      'from r2',
      'REPORT RequestId: r2\tDuration: 9.00 ms',
    ]);
    const r3 = requestLog(events, 'r3');
    assert.equal(r3?.complete, false, 'a request without its REPORT is still running');
    assert.equal(requestLog(events, 'r9'), undefined);
  });

  test('the requests of several streams come in the order they started; lines outside any are left out', () => {
    const events = [
      line(30, 'START RequestId: late Version: $LATEST', 'B'),
      line(0, 'INIT_START Runtime Version: provided:al2023.v1'),
      line(5, 'START RequestId: early Version: $LATEST'),
      line(6, 'REPORT RequestId: early\tDuration: 1.00 ms'),
      line(7, 'a line after REPORT, before any START'),
    ];
    const requests = requestsOf(events);
    assert.deepEqual(
      requests.map((r) => r.requestId),
      ['early', 'late'],
    );
    assert.deepEqual(texts(requests.flatMap((r) => r.lines)), [
      'START RequestId: early Version: $LATEST',
      'REPORT RequestId: early\tDuration: 1.00 ms',
      'START RequestId: late Version: $LATEST',
    ]);
  });

  test("the Batch jobs it handed to are read from the supervisor's hand-off lines, once each", () => {
    const handoff = (jobId: string) =>
      JSON.stringify({ message: 'handed to AWS Batch', reason: 'deadline', jobName: 'render-r1', jobId });
    const request = requestLog(
      [
        line(0, 'START RequestId: r1 Version: $LATEST'),
        line(1, handoff('job-1')),
        line(2, handoff('job-1')),
        line(3, '{"message":"something else","jobId":"job-2"}'),
        line(4, 'REPORT RequestId: r1\tDuration: 4.00 ms'),
      ],
      'r1',
    );
    assert.deepEqual(handedJobs(request!), [{ jobId: 'job-1', jobName: 'render-r1' }]);
  });
});

describe('a request id as a filter', () => {
  test('is an exact phrase with the RequestId label', () => {
    assert.equal(
      requestFilterPattern('6f1c2a3b-0000-4000-8000-000000000001'),
      '"RequestId: 6f1c2a3b-0000-4000-8000-000000000001"',
    );
  });

  test('anything else is refused before it reaches a filter', () => {
    assert.throws(() => requestFilterPattern('a" OR "b'), /--request-id: "a\\" OR \\"b" is not a request id/);
  });
});

describe('a printed line', () => {
  test('is its time and message; continuation lines are indented under the message', () => {
    assert.equal(formatLine(line(0, 'one')), '2024-05-01T10:00:00.000Z  one');
    assert.equal(
      formatLine(line(1, 'Error: boom\n    at script')),
      `2024-05-01T10:00:00.001Z  Error: boom\n${' '.repeat(26)}    at script`,
    );
  });
});
