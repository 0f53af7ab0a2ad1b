import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Claim, ClaimRequest, DeadLetterMark, IntentStore, Release } from '../dispatcher/ports';
import type { Intent } from '../shared/intent';
import {
  type IntentOutcome,
  type IntentRecord,
  intentRecordExpiresAt,
  parseIntentRecord,
} from '../shared/intent-record';
import { intentKey, TABLE_KEYS } from '../shared/names';

/** One conditional UpdateItem, written as attribute → value maps and turned into an expression. */
interface Change {
  readonly set: Readonly<Record<string, unknown>>;
  /** Attributes set only when absent (`if_not_exists`). */
  readonly setIfAbsent?: Readonly<Record<string, unknown>>;
  readonly add?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
  /** The condition, over `#name` placeholders of attributes and `:name` values given in `values`. */
  readonly condition: string;
  readonly values?: Readonly<Record<string, unknown>>;
  readonly returnOld?: boolean;
}

/** What a conditional write came to: applied (with the old item when asked), or refused with the item as it is. */
type Written =
  | { readonly applied: true; readonly old?: IntentRecord }
  | { readonly applied: false; readonly current?: IntentRecord };

const IN_PROGRESS = 'in-progress';
const NOT_SETTLED_OWNED = '#status = :inProgress AND #owner = :owner';

/**
 * Intent records in the gate table, as the conditional state machine of intent-record.ts. Each transition is one
 * UpdateItem conditioned on the state it starts from; a claim that is refused returns the record as it is
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so a settled or owned record costs no second read.
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

  async claim(intent: Intent, request: ClaimRequest, now: number): Promise<Claim> {
    const written = await this.write(intent, now, {
      ...this.taking(request),
      setIfAbsent: { createdAt: now, failureAttempts: 0 },
      condition:
        'attribute_not_exists(#pk) OR (#status = :inProgress AND (attribute_not_exists(#payloadHash) OR #payloadHash = :payloadHash)' +
        ` AND (attribute_not_exists(#owner) OR ${request.exclusive === true ? '' : '#owner = :owner OR '}#ownerExpiresAt < :now))`,
      values: {
        ':payloadHash': request.payloadHash,
        ':now': now,
        ...(request.exclusive === true ? {} : { ':owner': request.owner }),
      },
      returnOld: true,
    });
    return this.claimOf(intent, written);
  }

  async reopen(intent: Intent, request: ClaimRequest, deadLetterId: string, now: number): Promise<Claim> {
    const taking = this.taking(request);
    const written = await this.write(intent, now, {
      set: { ...taking.set, failureAttempts: 0 },
      setIfAbsent: { createdAt: now },
      add: { redrives: 1 },
      remove: ['deadLetterReason', 'deadLetterId', 'deadLetteredBy', 'firstFailedAt', ...(taking.remove ?? [])],
      condition:
        '#status = :deadLettered AND #deadLetterId = :deadLetterId AND (attribute_not_exists(#payloadHash) OR #payloadHash = :payloadHash)',
      values: { ':deadLettered': 'dead-lettered', ':deadLetterId': deadLetterId, ':payloadHash': request.payloadHash },
      returnOld: true,
    });
    return this.claimOf(intent, written);
  }

  async succeed(intent: Intent, _owner: string, outcome: IntentOutcome, now: number): Promise<boolean> {
    // Conditioned on "in progress" only: a 2xx is what happened upstream, and it is kept even if this message's
    // ownership lapsed meanwhile. A settled record is never overwritten.
    const written = await this.write(intent, now, {
      set: { status: 'succeeded', result: outcome },
      remove: ['owner', 'ownerExpiresAt', 'unconfirmedSend'],
      condition: '#status = :inProgress',
    });
    return written.applied;
  }

  async release(intent: Intent, owner: string, release: Release, now: number): Promise<boolean> {
    const written = await this.write(intent, now, {
      set: {
        ...(release.unconfirmedSend ? { unconfirmedSend: true } : {}),
        ...(release.failure === undefined ? {} : { lastError: release.failure }),
      },
      ...(release.failure === undefined ? {} : { add: { failureAttempts: 1 }, setIfAbsent: { firstFailedAt: now } }),
      remove: ['owner', 'ownerExpiresAt', ...(release.unconfirmedSend ? [] : ['unconfirmedSend'])],
      condition: NOT_SETTLED_OWNED,
      values: { ':owner': owner },
    });
    return written.applied;
  }

  async deadLetter(intent: Intent, owner: string, mark: DeadLetterMark, now: number): Promise<boolean> {
    const written = await this.write(intent, now, {
      set: {
        status: 'dead-lettered',
        deadLetterReason: mark.reason,
        deadLetterId: mark.deadLetterId,
        deadLetteredBy: owner,
        ...(mark.error === undefined ? {} : { lastError: mark.error }),
      },
      ...(mark.countFailure ? { add: { failureAttempts: 1 }, setIfAbsent: { firstFailedAt: now } } : {}),
      remove: ['owner', 'ownerExpiresAt'],
      condition: NOT_SETTLED_OWNED,
      values: { ':owner': owner },
    });
    return written.applied;
  }

  /** What every claim sets: in progress, owned by the message until its expiry, and the payload's hash. */
  private taking(request: ClaimRequest): Pick<Change, 'set' | 'remove'> {
    return {
      set: {
        status: IN_PROGRESS,
        owner: request.owner,
        ownerExpiresAt: request.ownerExpiresAt,
        payloadHash: request.payloadHash,
        ...(request.guardSend ? { unconfirmedSend: true } : {}),
      },
    };
  }

  private claimOf(intent: Intent, written: Written): Claim {
    if (written.applied) return { kind: 'claimed', ...(written.old === undefined ? {} : { previous: written.old }) };
    if (written.current === undefined) {
      throw new Error(`the claim on intent ${intent.id} was refused but DynamoDB returned no record`);
    }
    return { kind: 'refused', current: written.current };
  }

  private async write(intent: Intent, now: number, change: Change): Promise<Written> {
    const names: Record<string, string> = {};
    const name = (attribute: string) => {
      const placeholder = `#${attribute}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const values: Record<string, unknown> = { ...change.values };
    const set: Record<string, unknown> = {
      lane: intent.lane,
      user: intent.user,
      operationType: intent.operation.type,
      updatedAt: now,
      [TABLE_KEYS.ttlAttribute]: intentRecordExpiresAt(now, this.options.recordTtlSeconds),
      ...change.set,
    };
    const sets = Object.entries(set).map(([attribute, value]) => {
      values[`:set_${attribute}`] = value;
      return `${name(attribute)} = :set_${attribute}`;
    });
    for (const [attribute, value] of Object.entries(change.setIfAbsent ?? {})) {
      values[`:init_${attribute}`] = value;
      sets.push(`${name(attribute)} = if_not_exists(${name(attribute)}, :init_${attribute})`);
    }
    const adds = Object.entries(change.add ?? {}).map(([attribute, value]) => {
      values[`:add_${attribute}`] = value;
      return `${name(attribute)} :add_${attribute}`;
    });
    const removes = (change.remove ?? []).filter((attribute) => !(attribute in set)).map(name);
    // Placeholders the condition uses; `#pk` is the table's partition key.
    for (const [, attribute] of change.condition.matchAll(/#(\w+)/g)) {
      names[`#${attribute}`] = attribute === 'pk' ? TABLE_KEYS.partitionKey : (attribute as string);
    }
    if (change.condition.includes(':inProgress')) values[':inProgress'] = IN_PROGRESS;
    const expression = [
      `SET ${sets.join(', ')}`,
      ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : []),
      ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
    ].join(' ');
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [TABLE_KEYS.partitionKey]: intentKey(intent.id) },
          UpdateExpression: expression,
          ConditionExpression: change.condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: change.returnOld ? 'ALL_OLD' : 'NONE',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, ...(Attributes === undefined ? {} : { old: parseIntentRecord(Attributes) }) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return {
        applied: false,
        ...(error.Item === undefined ? {} : { current: parseIntentRecord(unmarshall(error.Item)) }),
      };
    }
  }
}
