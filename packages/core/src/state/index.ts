// State store: one interface of conditional writes (`types`), two adapters (`dynamo`, `memory`).
export * from './types';
export { createDynamoStateStore } from './dynamo';
export type { DynamoStateStoreOptions } from './dynamo';
export { createMemoryStateStore } from './memory';
export type { MemoryStateStoreOptions } from './memory';
