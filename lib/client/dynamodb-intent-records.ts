import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { intentKey, TABLE_KEYS } from '../../lambdas/shared/names';

/** Where intent records are read from. */
export interface IntentRecordReader {
  /** The stored item for intent `id`, or undefined when there is none. Read consistently. */
  read(id: string): Promise<Record<string, unknown> | undefined>;
}

/** {@link IntentRecordReader} on the gate table: a strongly consistent GetItem on `intent#<id>`. */
export class DynamoDbIntentRecordReader implements IntentRecordReader {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(id: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEYS.partitionKey]: intentKey(id) },
        ConsistentRead: true,
      }),
    );
    return Item;
  }
}
