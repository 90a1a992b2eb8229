// core/lambda: the pieces every handler of the suite shares, against Lambda's Invoke API at the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLambdaClient,
  createS3Client,
  decodeS3Key,
  errorJson,
  invocationError,
  invokeAsync,
  isFailedInvocationRecord,
  logJson,
  type FailedInvocationRecord,
} from '@serverless-continuum/core/lambda';
import { startLambdaWire, type LambdaWire } from '../../../test/harness/lambda-wire';

describe('S3 client for a handler', () => {
  test('addresses an S3-compatible endpoint path-style, without checksum trailers, in us-east-1 by default', async () => {
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const client = createS3Client({ endpoint: 'http://127.0.0.1:9000' });
      assert.equal(client.config.forcePathStyle, true);
      assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
      assert.equal(await client.config.responseChecksumValidation(), 'WHEN_REQUIRED');
      assert.equal(await client.config.region(), 'us-east-1');
    } finally {
      if (region !== undefined) process.env.AWS_REGION = region;
    }
  });

  test('keeps the region Lambda sets, and plain AWS S3 without an endpoint', async () => {
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-3';
    try {
      assert.equal(await createS3Client({ endpoint: 'http://127.0.0.1:9000' }).config.region(), 'eu-west-3');
      const aws = createS3Client();
      assert.equal(aws.config.forcePathStyle, false);
      assert.equal(await aws.config.region(), 'eu-west-3');
    } finally {
      if (region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = region;
    }
  });
});

describe('asynchronous Invoke and on-failure records', () => {
  let wire: LambdaWire;
  const received: { worker: unknown[]; destination: unknown[] } = { worker: [], destination: [] };
  const saved = { ...process.env };

  before(async () => {
    wire = await startLambdaWire(
      {
        worker: async (event: never) => {
          received.worker.push(event);
          if ((event as { fail?: boolean }).fail) throw new TypeError('split 3 is not a number');
          return 'done';
        },
        destination: async (event: never) => {
          received.destination.push(event);
        },
      },
      { worker: { maximumRetryAttempts: 0, onFailure: 'destination' } },
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_LAMBDA: wire.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
  });
  after(async () => {
    await wire.close();
    for (const name of ['AWS_ENDPOINT_URL_LAMBDA', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
  });

  test('queues the event as an Event invocation, with the payload as JSON', async () => {
    await invokeAsync(createLambdaClient({ region: 'us-east-1' }), 'worker', { split: 1, key: 'in/é.txt' });
    await wire.quiescent();
    assert.deepEqual(wire.invocations[0], {
      fn: 'worker',
      type: 'Event',
      payload: { split: 1, key: 'in/é.txt' },
    });
  });

  test('refuses an empty function name before sending anything', async () => {
    const before = wire.invocations.length;
    await assert.rejects(invokeAsync(createLambdaClient({ region: 'us-east-1' }), '', {}), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message: 'no function to invoke: its name is not configured',
    });
    assert.equal(wire.invocations.length, before);
  });

  test("recognises Lambda's failure record and tells its error", async () => {
    await invokeAsync(createLambdaClient({ region: 'us-east-1' }), 'worker', { split: 3, fail: true });
    await wire.quiescent();
    const [record] = received.destination as FailedInvocationRecord[];
    assert.ok(isFailedInvocationRecord(record));
    assert.deepEqual(record.requestPayload, { split: 3, fail: true });
    const error = invocationError('mapper', record);
    assert.equal(error.name, 'TypeError');
    assert.equal(
      error.message,
      `the mapper invocation ${record.requestContext.requestId} failed (RetriesExhausted): split 3 is not a number`,
    );
    // The events that started it are no failure records.
    for (const event of received.worker) assert.equal(isFailedInvocationRecord(event), false);
    assert.equal(isFailedInvocationRecord({ Records: [] }), false);
    assert.equal(isFailedInvocationRecord(null), false);
  });

  test('tells an event that expired unrun apart from one that failed', () => {
    const record: FailedInvocationRecord = {
      requestContext: { requestId: 'r-1', condition: 'EventAgeExceeded' },
      requestPayload: {},
      responsePayload: null,
    };
    const error = invocationError('reducer', record);
    assert.equal(error.name, 'Error');
    assert.equal(
      error.message,
      'the reducer invocation r-1 was not run before its maximum event age (no error message)',
    );
  });
});

describe('S3 keys, logs and errors', () => {
  test('decodes form-encoded keys, and gives undefined for a malformed escape instead of throwing', () => {
    assert.equal(decodeS3Key('in/my+file%C3%A9+%2B1.txt'), 'in/my fileé +1.txt');
    assert.equal(decodeS3Key('in/100%25.txt'), 'in/100%.txt');
    assert.equal(decodeS3Key('in/100%.txt'), undefined);
    assert.equal(decodeS3Key('in/%E0%A4%A.txt'), undefined);
  });

  test('logs one JSON line with the message first', (t) => {
    const lines: string[] = [];
    t.mock.method(console, 'log', (line: string) => lines.push(line));
    logJson('run started', { runId: 'r1', splits: 3 });
    logJson('plain');
    assert.deepEqual(lines, ['{"message":"run started","runId":"r1","splits":3}', '{"message":"plain"}']);
  });

  test('turns anything thrown into the JSON a failure report holds', () => {
    const error = new RangeError('split 9 is past the end');
    assert.deepEqual(errorJson(error), {
      message: 'split 9 is past the end',
      name: 'RangeError',
      stack: error.stack,
    });
    const fromString = errorJson('disk full');
    assert.equal(fromString.message, 'disk full');
    assert.equal(fromString.name, 'Error');
    assert.deepEqual(JSON.parse(JSON.stringify(errorJson(error))), errorJson(error));
  });
});
