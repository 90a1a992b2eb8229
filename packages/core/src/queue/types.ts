// The one queue interface with SQS's semantics; adapters: `sqs` (Amazon SQS) and `local` (in memory, same rules).
import { ContinuumError } from '../errors';

export interface ReceivedMessage {
  /** The message's id; it stays the same on every receive and when the message moves to the dead-letter queue. */
  id: string;
  body: string;
  /** Names this receive of the message: heartbeats and the delete need it. A later receive gets a new one. */
  receiptHandle: string;
  /** How many times the message has been received, this receive included (SQS's ApproximateReceiveCount). */
  receiveCount: number;
}

export interface ReceiveOptions {
  /** At most this many messages, 1 to 10 (SQS's limit per call); 1 when omitted. */
  max?: number;
  /** Seconds the received messages stay hidden from other receivers; the queue's default when omitted. */
  visibilityTimeout?: number;
  /** Long poll: wait up to this many seconds (0 to 20) for a message when none is visible. */
  waitSeconds?: number;
}

export interface Queue {
  readonly kind: 'sqs' | 'local';
  /** Sends every body (SQS: batches of up to 10) and gives back the message ids in the same order. */
  send(bodies: readonly string[]): Promise<string[]>;
  /** Up to `max` visible messages, hidden for `visibilityTimeout` seconds; an empty list when there are none. */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /**
   * Heartbeat: keeps a received message hidden for `seconds` more, counted from now. Rejects with
   * CONTINUUM_MESSAGE_LOST when the receipt no longer holds the message (its timeout ran out, or it was deleted).
   */
  extendVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /**
   * Deletes a received message. As SQS documents, only the latest receipt deletes it: a stale one (the message
   * came back and was received again) is accepted and deletes nothing, so a slow worker cannot drop another's work.
   */
  delete(receiptHandle: string): Promise<void>;
}

/** SQS's limits, which the local adapter keeps too so that code tested locally runs on SQS. */
export const QUEUE_LIMITS = {
  batchEntries: 10,
  /** A SendMessageBatch carries at most this many bytes of bodies (the classic limit every queue accepts). */
  batchBytes: 256 * 1024,
  receiveMax: 10,
  waitSeconds: 20,
  visibilitySeconds: 12 * 60 * 60,
} as const;

// SQS accepts only these characters in a body (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Rejects, before anything is sent, a body SQS would refuse: empty, or with a character SQS cannot carry. */
export function checkBodies(bodies: readonly string[]): void {
  bodies.forEach((body, index) => {
    if (typeof body !== 'string' || body.length === 0) {
      throw new ContinuumError(
        'CONTINUUM_QUEUE',
        `message ${index}: a message body must be a non-empty string`,
      );
    }
    const bad = FORBIDDEN.exec(body);
    if (bad) {
      const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      throw new ContinuumError(
        'CONTINUUM_QUEUE',
        `message ${index}: character U+${code} at index ${bad.index} cannot be sent through SQS (encode the body, e.g. as JSON or base64)`,
      );
    }
  });
}

/** Splits bodies into SendMessageBatch-sized groups: at most 10 entries and 256 KiB of bodies each. */
export function batchesOf(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (
      current.length &&
      (current.length === QUEUE_LIMITS.batchEntries || bytes + size > QUEUE_LIMITS.batchBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

function checkWhole(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ContinuumError(
      'CONTINUUM_QUEUE',
      `${name} must be a whole number from ${min} to ${max}, got ${value}`,
    );
  }
}

/** The receive options with SQS's bounds checked and the defaults filled in. */
export function checkReceive(options: ReceiveOptions): {
  max: number;
  visibilityTimeout?: number;
  waitSeconds: number;
} {
  const max = options.max ?? 1;
  const waitSeconds = options.waitSeconds ?? 0;
  checkWhole('max', max, 1, QUEUE_LIMITS.receiveMax);
  checkWhole('waitSeconds', waitSeconds, 0, QUEUE_LIMITS.waitSeconds);
  if (options.visibilityTimeout !== undefined)
    checkVisibility('visibilityTimeout', options.visibilityTimeout);
  return {
    max,
    waitSeconds,
    ...(options.visibilityTimeout === undefined ? {} : { visibilityTimeout: options.visibilityTimeout }),
  };
}

export function checkVisibility(name: string, seconds: number): void {
  checkWhole(name, seconds, 0, QUEUE_LIMITS.visibilitySeconds);
}
