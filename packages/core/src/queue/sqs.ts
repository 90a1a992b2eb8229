// The `sqs` Queue adapter: Amazon SQS through the AWS SDK v3 (JSON protocol). Redrive to the dead-letter queue
// is SQS's own (the queue's RedrivePolicy, e.g. from cfn's `sqsQueueWithDlq`); this adapter only reads the count.
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { ContinuumError } from '../errors';
import {
  batchesOf,
  checkBodies,
  checkReceive,
  checkVisibility,
  type Queue,
  type ReceivedMessage,
  type ReceiveOptions,
} from './types';

export interface SqsQueueOptions {
  /** The queue's URL, e.g. `https://sqs.eu-west-1.amazonaws.com/123456789012/work`. */
  queueUrl: string;
  /** A ready client (the options below are then ignored); the caller keeps ownership of it. */
  client?: SQSClient;
  region?: string;
  /** An SQS-compatible endpoint; AWS when omitted. */
  endpoint?: string;
  credentials?: SQSClientConfig['credentials'];
}

export function createSqsQueue(options: SqsQueueOptions): Queue {
  const config: SQSClientConfig = {};
  if (options.region) config.region = options.region;
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.credentials) config.credentials = options.credentials;
  return new SqsQueue(options.client ?? new SQSClient(config), options.queueUrl);
}

interface SdkError {
  name?: string;
  message?: string;
}

class SqsQueue implements Queue {
  readonly kind = 'sqs';

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(bodies: readonly string[]): Promise<string[]> {
    checkBodies(bodies);
    const ids: string[] = [];
    for (const batch of batchesOf(bodies)) {
      // Entry ids only need to be unique within one request; the index finds the body again.
      const entries = batch.map((body, index) => ({ Id: String(index), MessageBody: body }));
      const output = await this.call('SendMessageBatch', () =>
        this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })),
      );
      const failed = output.Failed ?? [];
      if (failed.length) {
        const first = failed[0];
        throw new ContinuumError(
          'CONTINUUM_QUEUE',
          `SQS refused ${failed.length} of ${batch.length} messages sent to ${this.queueUrl} ` +
            `(${first?.Code}: ${first?.Message}); the ${ids.length} messages before this batch were sent`,
        );
      }
      const byEntry = new Map((output.Successful ?? []).map((entry) => [entry.Id, entry.MessageId]));
      for (const entry of entries) {
        const id = byEntry.get(entry.Id);
        if (!id)
          throw new ContinuumError(
            'CONTINUUM_QUEUE',
            `SQS did not answer for message ${entry.Id} of a batch`,
          );
        ids.push(id);
      }
    }
    return ids;
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const { max, waitSeconds, visibilityTimeout } = checkReceive(options);
    const output = await this.call('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      ),
    );
    return (output.Messages ?? []).map((message) => ({
      id: message.MessageId ?? '',
      body: message.Body ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    }));
  }

  async extendVisibility(receiptHandle: string, seconds: number): Promise<void> {
    checkVisibility('seconds', seconds);
    await this.call('ChangeMessageVisibility', () =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.call('DeleteMessage', () =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle })),
    );
  }

  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const { name = 'Error', message = '' } = (error ?? {}) as SdkError;
      // A receipt that lost its message: MessageNotInflight, or (what SQS answers for a handle whose timeout ran
      // out) InvalidParameterValue naming the receipt handle.
      const lost =
        action === 'ChangeMessageVisibility' &&
        (name === 'MessageNotInflight' ||
          (name === 'InvalidParameterValue' && /ReceiptHandle/i.test(message)));
      if (lost) {
        throw new ContinuumError(
          'CONTINUUM_MESSAGE_LOST',
          `the message is no longer held by this receipt on ${this.queueUrl}: its visibility timeout ran out, or it was deleted (${name})`,
          { cause: error },
        );
      }
      throw new ContinuumError(
        'CONTINUUM_QUEUE',
        `SQS ${action} on ${this.queueUrl} failed: ${name}: ${message}`,
        {
          cause: error,
        },
      );
    }
  }
}
