// Creates the run table on dynalite with the key schema the compile step declares (`pk`/`sk`): core's state table.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateTable, dynamoClientConfig } from '../../../test/harness/services';

export async function createRunTable(endpoint: string, tableName: string): Promise<void> {
  const dynamo = new DynamoDBClient(dynamoClientConfig(endpoint));
  try {
    await createStateTable(dynamo, tableName);
  } finally {
    dynamo.destroy();
  }
}
