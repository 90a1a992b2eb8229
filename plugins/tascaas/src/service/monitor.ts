// The monitor's pass (each minute on AWS, each second locally): dead-lettered partitions fail their job, and the
// capacity hint is refreshed when its period is over.
import { failPartition, parsePartitionMessage, storeOf } from './deliveries';
import { requiredCapacity } from './nodes';
import type { Services } from './types';

export interface MonitorReport {
  failed: { jobId: string; partition: number }[];
}

export async function runMonitor(services: Services): Promise<MonitorReport> {
  const failed: MonitorReport['failed'] = [];
  for (const [name, queues] of Object.entries(services.queues)) {
    const maxAttempts = services.definitions[name]?.maxAttempts ?? 0;
    for (;;) {
      const messages = await queues.deadLetters.receive({ max: 10, visibilityTimeout: 30 });
      if (!messages.length) break;
      for (const message of messages) {
        const body = parsePartitionMessage(message.body);
        const delivery = body && (await storeOf(services).delivery(body.job, body.partition));
        // Only the partition's own message fails it: a dead-lettered duplicate, or one of a complete partition, does not.
        if (body && delivery && delivery.messageId === message.id && delivery.result === undefined) {
          await failPartition(
            services,
            body.job,
            body.partition,
            `partition ${body.partition} was delivered ${maxAttempts} times without finishing (its message is in the dead-letter queue)`,
          );
          failed.push({ jobId: body.job, partition: body.partition });
        }
        await queues.deadLetters.delete(message.receiptHandle);
      }
    }
  }
  await requiredCapacity(services);
  return { failed };
}
