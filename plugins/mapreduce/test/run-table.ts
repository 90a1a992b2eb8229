// Creates the run table on dynalite with the key schema the compile step declares (`pk`/`sk`).
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClientConfig } from '../../../test/harness/services';

export async function createRunTable(endpoint: string, tableName: string): Promise<void> {
  const dynamo = new DynamoDBClient(dynamoClientConfig(endpoint));
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    dynamo.destroy();
  }
}
