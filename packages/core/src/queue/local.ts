// The `local` Queue adapter: in memory, with SQS's rules (visibility timeout, receive count, redrive to a
// dead-letter queue after `maxReceives`, long polls), on an injectable clock so tests move time instead of sleeping.
import { randomUUID } from 'node:crypto';
import { ContinuumError } from '../errors';
import { systemClock, type Clock } from './clock';
import {
  checkBodies,
  checkReceive,
  checkVisibility,
  type Queue,
  type ReceivedMessage,
  type ReceiveOptions,
} from './types';

export interface LocalQueueOptions {
  /** Seconds a received message stays hidden when the receive names no timeout; SQS's default is 30. */
  visibilityTimeout?: number;
  /** SQS's redrive policy: a message received `maxReceives` times goes to `deadLetterQueue` on its next receive. */
  redrive?: { deadLetterQueue: LocalQueue; maxReceives: number };
  clock?: Clock;
}

export interface LocalQueue extends Queue {
  /** Receivers now waiting in a long poll (tests wait for them before they move a manual clock). */
  readonly longPollers: number;
  /** Messages in the queue, hidden or not. */
  readonly size: number;
}

interface StoredMessage {
  id: string;
  body: string;
  receiveCount: number;
  /** Clock time (ms) from which the message can be received. */
  visibleAt: number;
}

export function createLocalQueue(options: LocalQueueOptions = {}): LocalQueue {
  const visibilityTimeout = options.visibilityTimeout ?? 30;
  checkVisibility('visibilityTimeout', visibilityTimeout);
  if (
    options.redrive &&
    !(Number.isInteger(options.redrive.maxReceives) && options.redrive.maxReceives >= 1)
  ) {
    throw new ContinuumError('CONTINUUM_QUEUE', `redrive.maxReceives must be a whole number of at least 1`);
  }
  return new MemoryQueue(visibilityTimeout, options.redrive, options.clock ?? systemClock);
}

/** The handle names the queue, the message and which receive it was: only the latest receive holds the message. */
function receiptOf(queueId: string, message: StoredMessage): string {
  return `${queueId}.${message.id}.${message.receiveCount}`;
}

class MemoryQueue implements LocalQueue {
  readonly kind = 'local';
  private readonly id = randomUUID();
  /** Insertion order is send order, so the oldest visible message is received first. */
  private readonly messages = new Map<string, StoredMessage>();
  /** Long polls in progress; aborting one makes it look again. */
  private readonly waiting = new Set<AbortController>();

  constructor(
    private readonly visibilityTimeout: number,
    private readonly redrive: LocalQueueOptions['redrive'],
    private readonly clock: Clock,
  ) {}

  get longPollers(): number {
    return this.waiting.size;
  }

  get size(): number {
    return this.messages.size;
  }

  async send(bodies: readonly string[]): Promise<string[]> {
    checkBodies(bodies);
    return bodies.map((body) => this.accept(randomUUID(), body));
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const { max, waitSeconds, visibilityTimeout = this.visibilityTimeout } = checkReceive(options);
    const deadline = this.clock.now() + waitSeconds * 1000;
    for (;;) {
      const taken = this.take(max, visibilityTimeout);
      const now = this.clock.now();
      if (taken.length || now >= deadline) return taken;
      // Wait until the deadline, a hidden message's timeout, or a send, whichever comes first.
      const wake = new AbortController();
      this.waiting.add(wake);
      await this.clock.sleep(Math.min(deadline, this.nextVisible()) - now, wake.signal);
      this.waiting.delete(wake);
      wake.abort();
    }
  }

  async extendVisibility(receiptHandle: string, seconds: number): Promise<void> {
    checkVisibility('seconds', seconds);
    const message = this.held(receiptHandle);
    if (!message) {
      throw new ContinuumError(
        'CONTINUUM_MESSAGE_LOST',
        'the message is no longer held by this receipt: its visibility timeout ran out, or it was deleted',
      );
    }
    message.visibleAt = this.clock.now() + seconds * 1000;
    if (seconds === 0) this.wakeAll();
  }

  async delete(receiptHandle: string): Promise<void> {
    const message = this.messages.get(this.messageIdOf(receiptHandle));
    // A stale receipt (the message was received again since) deletes nothing, as SQS documents.
    if (message && receiptOf(this.id, message) === receiptHandle) this.messages.delete(message.id);
  }

  /** Takes a message over with its id, as SQS's redrive moves a message to the dead-letter queue. */
  private accept(id: string, body: string): string {
    this.messages.set(id, { id, body, receiveCount: 0, visibleAt: this.clock.now() });
    this.wakeAll();
    return id;
  }

  private take(max: number, visibilityTimeout: number): ReceivedMessage[] {
    const now = this.clock.now();
    const taken: ReceivedMessage[] = [];
    for (const message of this.messages.values()) {
      if (taken.length === max) break;
      if (message.visibleAt > now) continue;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceives) {
        this.messages.delete(message.id);
        (this.redrive.deadLetterQueue as MemoryQueue).accept(message.id, message.body);
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + visibilityTimeout * 1000;
      taken.push({
        id: message.id,
        body: message.body,
        receiptHandle: receiptOf(this.id, message),
        receiveCount: message.receiveCount,
      });
    }
    return taken;
  }

  /** The message this receipt holds now: its latest receive, still within its visibility timeout. */
  private held(receiptHandle: string): StoredMessage | undefined {
    const message = this.messages.get(this.messageIdOf(receiptHandle));
    if (!message || receiptOf(this.id, message) !== receiptHandle) return undefined;
    return message.visibleAt > this.clock.now() ? message : undefined;
  }

  private messageIdOf(receiptHandle: string): string {
    const [queueId, messageId, count] = String(receiptHandle).split('.');
    if (queueId !== this.id || !messageId || !/^\d+$/.test(count ?? '')) {
      throw new ContinuumError('CONTINUUM_QUEUE', 'the receipt handle is not one this queue gave out');
    }
    return messageId;
  }

  private nextVisible(): number {
    let next = Infinity;
    const now = this.clock.now();
    for (const message of this.messages.values())
      if (message.visibleAt > now) next = Math.min(next, message.visibleAt);
    return next;
  }

  private wakeAll(): void {
    for (const wake of this.waiting) wake.abort();
  }
}
