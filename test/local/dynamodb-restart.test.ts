/** DynamoDB Local on files can be stopped and restarted on the same port and data (an outage that ends). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbLocalError, dynamoDbLocalClient, startDynamoDbLocal } from '../../local/emulators/dynamodb';

describe('DynamoDB Local restart', () => {
  jest.setTimeout(180_000);

  test('GIVEN DynamoDB Local on files with an item WHEN it is stopped and restarted THEN the same endpoint serves the item', async () => {
    const dbPath = mkdtempSync(join(tmpdir(), 'ddb-restart-'));
    const local = await startDynamoDbLocal({ dbPath, readyTimeoutMs: 60_000 });
    const client = dynamoDbLocalClient(local.endpoint);
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'restart-test',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await client.send(new PutItemCommand({ TableName: 'restart-test', Item: { pk: { S: 'kept' } } }));
      await local.stop();
      await expect(
        client.send(new GetItemCommand({ TableName: 'restart-test', Key: { pk: { S: 'kept' } } })),
      ).rejects.toThrow();
      await local.restart();
      const { Item } = await client.send(new GetItemCommand({ TableName: 'restart-test', Key: { pk: { S: 'kept' } } }));
      expect(Item?.pk?.S).toBe('kept');
    } finally {
      client.destroy();
      await local.stop();
      rmSync(dbPath, { recursive: true, force: true });
    }
  });

  test('GIVEN DynamoDB Local in memory WHEN it is restarted THEN it refuses, saying the data would be lost', async () => {
    const local = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
    try {
      await expect(local.restart()).rejects.toThrow(DynamoDbLocalError);
      await expect(local.restart()).rejects.toThrow(/dbPath/);
    } finally {
      await local.stop();
    }
  });
});
