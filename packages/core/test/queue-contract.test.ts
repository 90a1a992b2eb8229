// One behavioural specification of the Queue interface, run against both adapters: `sqs` through the AWS SDK
// against a loopback server that speaks SQS's JSON protocol (test/harness/sqs-wire.ts), and `local` in memory.
// Both run on a manual clock, so visibility timeouts and long polls pass without sleeping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  createLocalQueue,
  createSqsQueue,
  manualClock,
  type ManualClock,
  type Queue,
  type ReceivedMessage,
} from '@serverless-continuum/core/queue';
import { startSqsWire, type SqsWire } from '../../../test/harness/sqs-wire';

interface QueuePair {
  queue: Queue;
  /** Where a message goes after `maxReceives` receives. */
  deadLetters: Queue;
  clock: ManualClock;
  /** Receivers now waiting in a long poll, as the queue itself counts them. */
  longPollers(): number;
}

interface Adapter {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh queue (default visibility timeout 30 s) with its dead-letter queue. */
  fresh(maxReceives: number): Promise<QueuePair>;
}

const SECOND = 1000;

async function rejectsWithCode(promise: Promise<unknown>, code: string, fragment: string): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(fragment), `"${error.message}" should mention ${fragment}`);
    return true;
  });
}

/** Waits (in real time, briefly) until `count` receivers are in a long poll, so moving the clock reaches them. */
async function untilPolling(pair: QueuePair, count = 1): Promise<void> {
  for (let i = 0; pair.longPollers() < count; i++) {
    if (i > 500) throw new Error('no receiver started a long poll');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function drain(queue: Queue): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (;;) {
    const got = await queue.receive({ max: 10 });
    if (!got.length) return all;
    all.push(...got);
  }
}

function queueContract(adapter: Adapter): void {
  describe(`${adapter.name} queue`, () => {
    before(() => adapter.setUp());
    after(() => adapter.tearDown());

    test('gives back every message sent, each once, with the ids send returned', async () => {
      const { queue } = await adapter.fresh(3);
      const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ partition: i }));
      const ids = await queue.send(bodies);
      assert.equal(new Set(ids).size, 25);
      const received = await drain(queue);
      assert.deepEqual(received.map((m) => m.body).sort(), [...bodies].sort());
      for (const message of received) {
        assert.equal(message.id, ids[bodies.indexOf(message.body)]);
        assert.equal(message.receiveCount, 1);
      }
    });

    test('hides a received message for its visibility timeout, then gives it back with its receive count up', async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['work']);
      const [first] = await queue.receive({ visibilityTimeout: 30 });
      assert.equal(first?.receiveCount, 1);
      assert.deepEqual(await queue.receive(), []);
      await clock.advance(29 * SECOND);
      assert.deepEqual(await queue.receive(), []);
      await clock.advance(1 * SECOND);
      const [again] = await queue.receive();
      assert.equal(again?.id, first?.id);
      assert.equal(again?.body, 'work');
      assert.equal(again?.receiveCount, 2);
      assert.notEqual(again?.receiptHandle, first?.receiptHandle);
    });

    test("uses the queue's default visibility timeout (30 s) when the receive names none", async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['work']);
      await queue.receive();
      await clock.advance(29 * SECOND);
      assert.deepEqual(await queue.receive(), []);
      await clock.advance(1 * SECOND);
      assert.equal((await queue.receive())[0]?.receiveCount, 2);
    });

    test('never gives back a deleted message', async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['done soon']);
      const [message] = await queue.receive({ visibilityTimeout: 10 });
      await queue.delete(message!.receiptHandle);
      await clock.advance(60 * SECOND);
      assert.deepEqual(await queue.receive(), []);
      await queue.delete(message!.receiptHandle); // deleting twice is not an error
    });

    test('a heartbeat keeps the message hidden past its first timeout, counted from the heartbeat', async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['long job']);
      const [message] = await queue.receive({ visibilityTimeout: 10 });
      await clock.advance(8 * SECOND);
      await queue.extendVisibility(message!.receiptHandle, 10);
      await clock.advance(9 * SECOND); // 17 s after the receive, 9 s after the heartbeat
      assert.deepEqual(await queue.receive(), []);
      await clock.advance(1 * SECOND);
      assert.equal((await queue.receive())[0]?.receiveCount, 2);
    });

    test('a heartbeat of 0 s hands the message back at once', async () => {
      const { queue } = await adapter.fresh(5);
      await queue.send(['give up']);
      const [message] = await queue.receive({ visibilityTimeout: 60 });
      await queue.extendVisibility(message!.receiptHandle, 0);
      assert.equal((await queue.receive())[0]?.receiveCount, 2);
    });

    test('a heartbeat after the timeout ran out, or after a delete, rejects with CONTINUUM_MESSAGE_LOST', async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['slow']);
      const [late] = await queue.receive({ visibilityTimeout: 10 });
      await clock.advance(11 * SECOND);
      await rejectsWithCode(
        queue.extendVisibility(late!.receiptHandle, 10),
        'CONTINUUM_MESSAGE_LOST',
        'no longer',
      );
      const [taken] = await queue.receive({ visibilityTimeout: 10 }); // someone else has it now
      await rejectsWithCode(
        queue.extendVisibility(late!.receiptHandle, 10),
        'CONTINUUM_MESSAGE_LOST',
        'no longer',
      );
      await queue.delete(taken!.receiptHandle);
      await rejectsWithCode(
        queue.extendVisibility(taken!.receiptHandle, 10),
        'CONTINUUM_MESSAGE_LOST',
        'no longer',
      );
    });

    test('a stale receipt deletes nothing: the message stays with whoever received it last', async () => {
      const { queue, clock } = await adapter.fresh(5);
      await queue.send(['contested']);
      const [slow] = await queue.receive({ visibilityTimeout: 10 });
      await clock.advance(10 * SECOND);
      const [fast] = await queue.receive({ visibilityTimeout: 10 });
      await queue.delete(slow!.receiptHandle);
      await queue.extendVisibility(fast!.receiptHandle, 10); // still held
      await clock.advance(10 * SECOND);
      assert.equal((await queue.receive())[0]?.receiveCount, 3);
    });

    test('refuses a receipt handle the queue never gave out', async () => {
      const { queue } = await adapter.fresh(5);
      await rejectsWithCode(queue.extendVisibility('made-up', 10), 'CONTINUUM_QUEUE', 'receipt');
      await rejectsWithCode(queue.delete('made-up'), 'CONTINUUM_QUEUE', 'receipt');
    });

    test('moves a message to the dead-letter queue once it was received maxReceives times', async () => {
      const { queue, deadLetters, clock } = await adapter.fresh(2);
      const [id] = await queue.send(['poison']);
      assert.equal((await queue.receive({ visibilityTimeout: 5 }))[0]?.receiveCount, 1);
      await clock.advance(5 * SECOND);
      assert.equal((await queue.receive({ visibilityTimeout: 5 }))[0]?.receiveCount, 2);
      await clock.advance(5 * SECOND);
      assert.deepEqual(await queue.receive(), []);
      const [dead] = await deadLetters.receive();
      assert.equal(dead?.id, id);
      assert.equal(dead?.body, 'poison');
      await clock.advance(60 * SECOND);
      assert.deepEqual(await queue.receive(), []);
    });

    test('receives at most max messages per call, and refuses more than SQS allows (10)', async () => {
      const { queue } = await adapter.fresh(5);
      await queue.send(Array.from({ length: 15 }, (_, i) => `m${i}`));
      assert.equal((await queue.receive({ max: 4 })).length, 4);
      assert.equal((await queue.receive({ max: 10 })).length, 10);
      assert.equal((await queue.receive({ max: 10 })).length, 1);
      await rejectsWithCode(
        queue.receive({ max: 11 }),
        'CONTINUUM_QUEUE',
        'max must be a whole number from 1 to 10',
      );
      await rejectsWithCode(queue.receive({ waitSeconds: 21 }), 'CONTINUUM_QUEUE', 'waitSeconds');
    });

    test('hands each message to one receiver only when several receive at once', async () => {
      const { queue } = await adapter.fresh(5);
      await queue.send(Array.from({ length: 20 }, (_, i) => `p${i}`));
      const batches = await Promise.all([1, 2, 3, 4].map(() => queue.receive({ max: 10 })));
      const ids = batches.flat().map((m) => m.id);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20);
    });

    test('a long poll answers as soon as a message is sent', async () => {
      const pair = await adapter.fresh(5);
      const polling = pair.queue.receive({ waitSeconds: 20 });
      await untilPolling(pair);
      await pair.queue.send(['late']);
      assert.deepEqual(
        (await polling).map((m) => m.body),
        ['late'],
      );
    });

    test('a long poll answers when a hidden message becomes visible again', async () => {
      const pair = await adapter.fresh(5);
      await pair.queue.send(['retry me']);
      await pair.queue.receive({ visibilityTimeout: 10 });
      const polling = pair.queue.receive({ waitSeconds: 20 });
      await untilPolling(pair);
      await pair.clock.advance(10 * SECOND);
      assert.equal((await polling)[0]?.receiveCount, 2);
    });

    test('a long poll with nothing to receive answers empty after its wait', async () => {
      const pair = await adapter.fresh(5);
      let answered = false;
      const polling = pair.queue.receive({ waitSeconds: 5 }).finally(() => (answered = true));
      await untilPolling(pair);
      await pair.clock.advance(4 * SECOND);
      assert.equal(answered, false);
      await pair.clock.advance(1 * SECOND);
      assert.deepEqual(await polling, []);
    });

    test('refuses a body SQS cannot carry, naming the character, and sends none of the batch', async () => {
      const { queue } = await adapter.fresh(5);
      await rejectsWithCode(queue.send(['fine', 'nul\u0000inside']), 'CONTINUUM_QUEUE', 'U+0000');
      await rejectsWithCode(queue.send(['']), 'CONTINUUM_QUEUE', 'non-empty');
      assert.deepEqual(await queue.receive(), []);
      await queue.send(['emoji 🧪 and accents é ok']);
      assert.equal((await queue.receive())[0]?.body, 'emoji 🧪 and accents é ok');
    });
  });
}

queueContract({
  name: 'local',
  async setUp() {},
  async tearDown() {},
  async fresh(maxReceives) {
    const clock = manualClock();
    const deadLetters = createLocalQueue({ clock });
    const queue = createLocalQueue({ clock, redrive: { deadLetterQueue: deadLetters, maxReceives } });
    return { queue, deadLetters, clock, longPollers: () => queue.longPollers };
  },
});

let wire: SqsWire;
let client: SQSClient;
let queues = 0;
queueContract({
  name: 'sqs',
  async setUp() {
    wire = await startSqsWire();
    client = new SQSClient({
      endpoint: wire.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'not-a-secret' },
    });
  },
  async tearDown() {
    client.destroy();
    await wire.close();
  },
  async fresh(maxReceives) {
    const clock = manualClock();
    const name = `work-${++queues}`;
    const dead = wire.createQueue(`${name}-dlq`, { clock });
    const main = wire.createQueue(name, { clock, redrive: { deadLetterQueue: dead.backing, maxReceives } });
    return {
      queue: createSqsQueue({ queueUrl: main.url, client }),
      deadLetters: createSqsQueue({ queueUrl: dead.url, client }),
      clock,
      longPollers: () => main.backing.longPollers,
    };
  },
});
