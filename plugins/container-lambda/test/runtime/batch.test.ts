import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchJobName, submitJobRequest } from '../../src/runtime/batch';
import { handoffLogLine, handoffOfLogLine } from '../../src/runtime/contract';

describe('Batch handoff', () => {
  test('job names follow Batch rules: letters, digits, - and _, at most 128, starting alphanumeric', () => {
    assert.equal(batchJobName('grayify', '8476a536-e9f4-11e8'), 'grayify-8476a536-e9f4-11e8');
    assert.equal(batchJobName('my.fn', 'a/b c'), 'my-fn-a-b-c');
    assert.equal(batchJobName('_x', 'r'), 'job_x-r');
    const long = batchJobName('f'.repeat(100), 'r'.repeat(100));
    assert.equal(long.length, 128);
    assert.match(long, /^[A-Za-z0-9][A-Za-z0-9_-]*$/);
  });

  test('the job carries the event, the request id and batch mode in its container overrides', () => {
    const event = { Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'in/x.jpg' } } }] };
    assert.deepEqual(
      submitJobRequest({ functionName: 'fn', requestId: 'req-1', jobQueue: 'q', jobDefinition: 'd', event }),
      {
        jobName: 'fn-req-1',
        jobQueue: 'q',
        jobDefinition: 'd',
        containerOverrides: {
          environment: [
            { name: 'CONTINUUM_MODE', value: 'batch' },
            { name: 'CONTINUUM_EVENT', value: JSON.stringify(event) },
            { name: 'CONTINUUM_REQUEST_ID', value: 'req-1' },
          ],
        },
      },
    );
  });
});

describe('the hand-off log line', () => {
  const handoff = {
    delegatedTo: 'batch',
    jobId: '4c0f9a2e-1b7d-4d4e-9f3a-0123456789ab',
    jobName: 'fn-req-1',
    reason: 'input-size',
  } as const;

  test('is one JSON line, message first, carrying the job id', () => {
    assert.equal(
      handoffLogLine(handoff),
      '{"message":"handed to AWS Batch","reason":"input-size","jobName":"fn-req-1","jobId":"4c0f9a2e-1b7d-4d4e-9f3a-0123456789ab"}',
    );
  });

  test('reads back as the job, bare or behind a timestamp and request id; other lines are none', () => {
    const job = { jobId: handoff.jobId, jobName: 'fn-req-1' };
    assert.deepEqual(handoffOfLogLine(`${handoffLogLine(handoff)}\n`), job);
    assert.deepEqual(
      handoffOfLogLine(`2024-05-01T10:00:00.000Z\treq-1\tINFO\t${handoffLogLine(handoff)}`),
      job,
    );
    assert.equal(handoffOfLogLine('handed to AWS Batch (deadline): job x (y)'), undefined);
    assert.equal(handoffOfLogLine('{"message":"handed to AWS Batch","jobId":""}'), undefined);
    assert.equal(handoffOfLogLine('{"message":"handed to AWS Batch", broken'), undefined);
  });
});
