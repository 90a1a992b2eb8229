// Queue: one interface with SQS's semantics (`types`), two adapters (`sqs`, `local`), and the clock the local one runs on.
export * from './types';
export { manualClock, systemClock } from './clock';
export type { Clock, ManualClock } from './clock';
export { createLocalQueue } from './local';
export type { LocalQueue, LocalQueueOptions } from './local';
export { createSqsQueue } from './sqs';
export type { SqsQueueOptions } from './sqs';
