import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PausedBy, PumpPause, PumpPauses } from '../monitor/ports';
import { type Lane, pumpKey, TABLE_KEYS } from '../shared/names';

/**
 * {@link PumpPauses} as one `pump#<lane>` item per paused lane in the gate table, holding who paused it (`by`).
 * The monitor's writes are conditional, so two overlapping ticks never both disable a lane and a tick never
 * forgets an operator's pause; an operator's pause replaces the monitor's. An item without `by` (written before
 * operators' pauses were recorded) is the monitor's.
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
      new GetCommand({ TableName: this.tableName, Key: this.key(lane), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { untilMs, pausedAt, by = 'monitor' } = Item;
    if (
      typeof pausedAt !== 'number' ||
      (by !== 'monitor' && by !== 'operator') ||
      (by === 'monitor' && typeof untilMs !== 'number')
    ) {
      throw new Error(
        `pump item of lane "${lane}" must hold a number pausedAt, by "monitor" (with a number untilMs) or "operator", got ${JSON.stringify(Item)}`,
      );
    }
    return { lane, by: by as PausedBy, pausedAt, ...(typeof untilMs === 'number' && { untilMs }) };
  }

  async record(pause: { readonly lane: Lane; readonly untilMs: number; readonly pausedAt: number }): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(pause.lane), by: 'monitor', untilMs: pause.untilMs, pausedAt: pause.pausedAt },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        }),
      ),
    );
  }

  async hold(lane: Lane, pausedAt: number): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...this.key(lane), by: 'operator', pausedAt } }),
    );
  }

  async release(lane: Lane): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(lane),
          ConditionExpression: 'attribute_not_exists(#by) OR #by <> :operator',
          ExpressionAttributeNames: { '#by': 'by' },
          ExpressionAttributeValues: { ':operator': 'operator' },
        }),
      ),
    );
  }

  async clear(lane: Lane): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(lane) }));
  }

  private key(lane: Lane): Record<string, string> {
    return { [TABLE_KEYS.partitionKey]: pumpKey(lane) };
  }
}

/** Runs a conditional write; false when its condition failed (nothing written). */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
