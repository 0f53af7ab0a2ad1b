import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IntentStore } from '../dispatcher/ports';
import type { Intent } from '../shared/intent';
import {
  type IntentError,
  type IntentOutcome,
  type IntentRecord,
  intentRecordExpiresAt,
  parseIntentRecord,
} from '../shared/intent-record';
import { intentKey, TABLE_KEYS } from '../shared/names';

/** Attributes one write sets (besides the common ones) or adds to. */
interface RecordChange {
  readonly status: IntentRecord['status'];
  readonly set?: Readonly<Record<string, unknown>>;
  readonly add?: Readonly<Record<string, number>>;
}

/**
 * Intent records in the gate table. Every write is one UpdateItem that creates the record if needed and never
 * loses what an earlier write recorded: failure counts are added, the first `createdAt` stays.
 */
export class DynamoDbIntentStore implements IntentStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string; readonly recordTtlSeconds: number },
  ) {}

  async get(id: string): Promise<IntentRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { [TABLE_KEYS.partitionKey]: intentKey(id) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : parseIntentRecord(Item);
  }

  async markSucceeded(intent: Intent, outcome: IntentOutcome, now: number): Promise<void> {
    await this.write(intent, now, { status: 'succeeded', set: { result: outcome } });
  }

  async recordFailure(intent: Intent, error: IntentError, mayExist: boolean, now: number): Promise<number> {
    const attributes = await this.write(intent, now, {
      status: 'in-progress',
      set: { lastError: error, ...(mayExist ? { mayExist: true } : {}) },
      add: { failureAttempts: 1 },
    });
    return Number(attributes?.failureAttempts ?? 1);
  }

  async markDeferred(intent: Intent, receiveCount: number, now: number): Promise<void> {
    await this.write(intent, now, { status: 'in-progress', set: { deferredAtReceive: receiveCount } });
  }

  async markDeadLettered(intent: Intent, reason: string, error: IntentError | undefined, now: number): Promise<void> {
    await this.write(intent, now, {
      status: 'dead-lettered',
      set: { deadLetterReason: reason, ...(error === undefined ? {} : { lastError: error }) },
    });
  }

  private async write(intent: Intent, now: number, change: RecordChange): Promise<Record<string, unknown> | undefined> {
    const set: Record<string, unknown> = {
      status: change.status,
      lane: intent.lane,
      user: intent.user,
      operationType: intent.operation.type,
      updatedAt: now,
      [TABLE_KEYS.ttlAttribute]: intentRecordExpiresAt(now, this.options.recordTtlSeconds),
      ...change.set,
    };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':now': now };
    const sets = Object.entries(set).map(([name, value], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    names['#createdAt'] = 'createdAt';
    sets.push('#createdAt = if_not_exists(#createdAt, :now)');
    const adds = Object.entries(change.add ?? {}).map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      return `#a${i} :a${i}`;
    });
    if (!('failureAttempts' in (change.add ?? {}))) {
      names['#failureAttempts'] = 'failureAttempts';
      values[':zero'] = 0;
      sets.push('#failureAttempts = if_not_exists(#failureAttempts, :zero)');
    }
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { [TABLE_KEYS.partitionKey]: intentKey(intent.id) },
        UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: adds.length > 0 ? 'UPDATED_NEW' : 'NONE',
      }),
    );
    return Attributes;
  }
}
