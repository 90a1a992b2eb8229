import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchJobName, submitJobRequest } from '../../src/runtime/batch';

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
