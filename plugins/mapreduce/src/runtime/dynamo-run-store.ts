// The run store on the run table (DynamoDB, key `pk` S hash + `sk` S range): the item layout of
// `state-run-store.ts` over core's DynamoDB state store.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStateStore } from '@serverless-continuum/core/state';
import { RUN_TABLE_TTL_ATTRIBUTE } from './contract';
import { StateRunStore } from './state-run-store';

export { runLayout } from './state-run-store';

export class DynamoRunStore extends StateRunStore {
  constructor(client: DynamoDBClient, table: string) {
    super(createDynamoStateStore({ client, table, ttlAttribute: RUN_TABLE_TTL_ATTRIBUTE }));
  }
}
