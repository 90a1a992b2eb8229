// The `sqs` queue adapter at the wire: the exact JSON-protocol requests the AWS SDK v3 sends for each call
// (the loopback server in test/harness/sqs-wire.ts refuses malformed ones), and how SQS's errors reach the caller.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsQueue, manualClock } from '@serverless-continuum/core/queue';
import { startSqsWire, type SqsWire } from '../../../test/harness/sqs-wire';

describe('sqs queue at the wire', () => {
  let wire: SqsWire;
  let client: SQSClient;
  before(async () => {
    wire = await startSqsWire();
    client = new SQSClient({
      endpoint: wire.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'not-a-secret' },
    });
  });
  after(async () => {
    client.destroy();
    await wire.close();
  });

  test('sends 25 messages as three SendMessageBatch calls of 10, 10 and 5 entries to the queue URL', async () => {
    const { url } = wire.createQueue('batches');
    const queue = createSqsQueue({ queueUrl: url, client });
    const start = wire.requests.length;
    await queue.send(Array.from({ length: 25 }, (_, i) => `body ${i}`));
    const calls = wire.requests.slice(start);
    assert.deepEqual(
      calls.map((c) => [c.action, c.input.QueueUrl, (c.input.Entries as unknown[]).length]),
      [
        ['SendMessageBatch', url, 10],
        ['SendMessageBatch', url, 10],
        ['SendMessageBatch', url, 5],
      ],
    );
    assert.deepEqual(
      calls[2]?.input.Entries,
      [0, 1, 2, 3, 4].map((i) => ({ Id: String(i), MessageBody: `body ${20 + i}` })),
    );
    assert.deepEqual(wire.refused, []);
  });

  test('starts a new batch before the bodies of one call pass 256 KiB', async () => {
    const { url } = wire.createQueue('big');
    const queue = createSqsQueue({ queueUrl: url, client });
    const start = wire.requests.length;
    await queue.send(Array.from({ length: 5 }, () => 'x'.repeat(100 * 1024)));
    const sizes = wire.requests.slice(start).map((c) => (c.input.Entries as unknown[]).length);
    assert.deepEqual(sizes, [2, 2, 1]);
  });

  test('receives with MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds and asks for ApproximateReceiveCount', async () => {
    const { url } = wire.createQueue('receive');
    const queue = createSqsQueue({ queueUrl: url, client });
    await queue.send(['one']);
    const start = wire.requests.length;
    const [message] = await queue.receive({ max: 3, visibilityTimeout: 45 });
    await queue.extendVisibility(message!.receiptHandle, 120);
    await queue.delete(message!.receiptHandle);
    assert.deepEqual(wire.requests.slice(start), [
      {
        action: 'ReceiveMessage',
        input: {
          QueueUrl: url,
          MaxNumberOfMessages: 3,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 45,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        },
      },
      {
        action: 'ChangeMessageVisibility',
        input: { QueueUrl: url, ReceiptHandle: message!.receiptHandle, VisibilityTimeout: 120 },
      },
      { action: 'DeleteMessage', input: { QueueUrl: url, ReceiptHandle: message!.receiptHandle } },
    ]);
    assert.deepEqual(wire.refused, []);
  });

  test("leaves VisibilityTimeout out when the receive names none, so the queue's own applies", async () => {
    const { url } = wire.createQueue('default-visibility', { visibilityTimeout: 90, clock: manualClock() });
    const queue = createSqsQueue({ queueUrl: url, client });
    const start = wire.requests.length;
    await queue.receive();
    assert.equal('VisibilityTimeout' in (wire.requests[start]?.input ?? {}), false);
  });

  test('names the queue and SQS error when the queue does not exist', async () => {
    const queue = createSqsQueue({ queueUrl: `${wire.endpoint}/000000000000/missing`, client });
    await assert.rejects(queue.receive(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONTINUUM_QUEUE');
      assert.match(
        error.message,
        /SQS ReceiveMessage on http:\/\/127\.0\.0\.1:\d+\/000000000000\/missing failed: QueueDoesNotExist/,
      );
      return true;
    });
  });

  test('a receipt handle SQS never gave out is CONTINUUM_QUEUE (ReceiptHandleIsInvalid), not a lost message', async () => {
    const { url } = wire.createQueue('invalid-receipt');
    const queue = createSqsQueue({ queueUrl: url, client });
    await assert.rejects(queue.extendVisibility('made-up', 10), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONTINUUM_QUEUE');
      assert.match(error.message, /ReceiptHandleIsInvalid/);
      return true;
    });
  });
});
