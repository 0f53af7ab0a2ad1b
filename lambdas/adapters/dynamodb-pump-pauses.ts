import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PumpPause, PumpPauses } from '../monitor/ports';
import { isLane, type Lane, pumpKey, TABLE_KEYS } from '../shared/names';

/**
 * {@link PumpPauses} as one `pump#<lane>` item per paused lane in the gate table. Recording is a conditional
 * put, so two overlapping ticks never both disable a lane.
 */
export class DynamoDbPumpPauses implements PumpPauses {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    if (tableName.trim() === '') throw new Error('tableName must not be empty');
  }

  async get(lane: Lane): Promise<PumpPause | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEYS.partitionKey]: pumpKey(lane) },
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const { untilMs, pausedAt } = Item;
    if (!isLane(lane) || typeof untilMs !== 'number' || typeof pausedAt !== 'number') {
      throw new Error(
        `pump item of lane "${lane}" must hold numbers untilMs and pausedAt, got ${JSON.stringify(Item)}`,
      );
    }
    return { lane, untilMs, pausedAt };
  }

  async record(pause: PumpPause): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [TABLE_KEYS.partitionKey]: pumpKey(pause.lane), untilMs: pause.untilMs, pausedAt: pause.pausedAt },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async clear(lane: Lane): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [TABLE_KEYS.partitionKey]: pumpKey(lane) } }),
    );
  }
}
