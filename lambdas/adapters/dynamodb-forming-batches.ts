import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type CoalescingSettings, formingStateOf, staleAfterMs } from '../dispatcher/coalesce-rules';
import type { BatchMember, FormingBatches, JoinResult } from '../dispatcher/ports';
import { isLane, TABLE_KEYS } from '../shared/names';

const FORMING = 'forming';
const SEALED = 'sealed';
/** A forming or sealed item is kept a day at most (DynamoDB's TTL); a fresh batch replaces it long before. */
const ITEM_TTL_SECONDS = 86_400;
/** Tries of one join when other invocations change the item under it (open races, a fill). */
const JOIN_TRIES = 3;
/**
 * Forming batches one user, sequence and mailbox may have at once (items `<key>`, `<key>#1`, …): a full batch
 * stays forming until its sealer seals it, and joiners meanwhile take the next.
 */
const SLOTS = 4;

/** A member as stored in the item's `members` map (short names: the item holds up to `maxSize` of them). */
interface StoredMember {
  readonly m: string;
  readonly r: string;
  readonly l: string;
  readonly g: string;
  readonly b: string;
  readonly t: number;
}

interface FormingItem {
  readonly state?: string;
  readonly batchKey?: string;
  readonly openedAt?: number;
  readonly count?: number;
  readonly members?: Record<string, StoredMember>;
}

/** The clock a join was asked with, and the latest opening of a batch its members may join. */
interface JoinTimes {
  readonly now: number;
  readonly latestOpenedAt: number;
}

const stored = (member: BatchMember): StoredMember => ({
  m: member.messageId,
  r: member.receiptHandle,
  l: member.lane,
  g: member.groupId,
  b: member.body,
  t: member.sentAt,
});

function memberOf(intentId: string, value: StoredMember): BatchMember {
  if (!isLane(value.l)) throw new Error(`forming batch member ${intentId} names an unknown lane ${String(value.l)}`);
  return {
    intentId,
    messageId: value.m,
    receiptHandle: value.r,
    lane: value.l,
    groupId: value.g,
    body: value.b,
    sentAt: Number(value.t),
  };
}

/**
 * Forming bulk enrolments as items of the gate table (`coalesce#<user>#<sequence>#<mailbox>`). A join is one
 * conditional UpdateItem that adds members while the batch is forming, fresh and has room; when it is refused, the
 * item returned with the refusal says why, and the join opens a fresh batch (absent, sealed or stale item) or
 * takes what room is left. Sealing is one conditional UpdateItem on the batch key that marks it sealed and returns
 * its members, so exactly one sealer gets them and the next join opens a fresh batch.
 */
export class DynamoDbFormingBatches implements FormingBatches {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly options: {
      readonly tableName: string;
      readonly settings: Pick<CoalescingSettings, 'maxSize' | 'maxAgeMs'>;
      /** @default crypto.randomUUID */
      readonly newBatchKey?: () => string;
    },
  ) {}

  /**
   * Joins the first of the key's {@link SLOTS} forming batches with room for every member (the last slot takes
   * what fits), so that invocations arriving while a full batch waits for its sealer open the next one instead of
   * sending their members singly. A batch opened after `latestOpenedAt` is passed over like a full one.
   */
  async join(key: string, members: readonly BatchMember[], now: number, latestOpenedAt: number): Promise<JoinResult> {
    if (now > latestOpenedAt) return { joined: [], left: members };
    for (let slot = 0; slot < SLOTS; slot++) {
      const itemKey = slot === 0 ? key : `${key}#${slot}`;
      const result = await this.joinSlot(itemKey, members, { now, latestOpenedAt }, slot === SLOTS - 1);
      if (result.batch !== undefined && result.joined.length > 0) return result;
    }
    return { joined: [], left: members };
  }

  private async joinSlot(
    key: string,
    members: readonly BatchMember[],
    times: JoinTimes,
    takeWhatFits: boolean,
  ): Promise<JoinResult> {
    const { now, latestOpenedAt } = times;
    let pending = [...members];
    for (let tries = 0; tries < JOIN_TRIES && pending.length > 0; tries++) {
      const added = await this.add(key, pending, times);
      if (added.kind === 'joined') return { joined: pending, left: [], batch: added.batch };
      const state = formingStateOf(
        added.current?.state === FORMING && added.current.openedAt !== undefined
          ? { openedAt: added.current.openedAt, count: added.current.count ?? 0 }
          : undefined,
        this.options.settings,
        now,
        latestOpenedAt,
      );
      if (state.kind === 'late') break;
      if (state.kind === 'open') {
        if (state.room === 0 || (state.room < pending.length && !takeWhatFits)) break;
        if (state.room < pending.length) {
          const fits = pending.slice(0, state.room);
          const again = await this.add(key, fits, times);
          if (again.kind === 'joined') return { joined: fits, left: pending.slice(state.room), batch: again.batch };
        }
        continue;
      }
      const fits = pending.slice(0, this.options.settings.maxSize);
      const opened = await this.open(key, fits, added.current?.batchKey, now);
      if (opened !== undefined) {
        return { joined: fits, left: pending.slice(fits.length), batch: opened };
      }
      pending = [...members];
    }
    return { joined: [], left: members };
  }

  async seal(key: string, batchKey: string, now: number): Promise<BatchMember[] | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [TABLE_KEYS.partitionKey]: key },
          UpdateExpression: 'SET #state = :sealed, #sealedAt = :now REMOVE #members',
          // Only the batch joined, still forming: a joiner that replaced it (it had gone stale) changed its batch key.
          // A stale batch nobody replaced is still its sealer's: the sealer is the invocation that opened or filled
          // it, which ends before any member's park (see minParkMs), however late in that invocation it seals.
          ConditionExpression: '#state = :forming AND #batchKey = :batchKey',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#sealedAt': 'sealedAt',
            '#members': 'members',
            '#batchKey': 'batchKey',
          },
          ExpressionAttributeValues: {
            ':sealed': SEALED,
            ':forming': FORMING,
            ':batchKey': batchKey,
            ':now': now,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const members = (Attributes as FormingItem | undefined)?.members ?? {};
      return Object.entries(members).map(([intentId, value]) => memberOf(intentId, value));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Adds members to the fresh forming batch with room for all of them, opened by `latestOpenedAt`; refused with the
   * item as it is.
   */
  private async add(
    key: string,
    members: readonly BatchMember[],
    { now, latestOpenedAt }: JoinTimes,
  ): Promise<{ kind: 'joined'; batch: NonNullable<JoinResult['batch']> } | { kind: 'refused'; current?: FormingItem }> {
    const names: Record<string, string> = {
      '#state': 'state',
      '#count': 'count',
      '#openedAt': 'openedAt',
      '#batchKey': 'batchKey',
      '#members': 'members',
    };
    const values: Record<string, unknown> = {
      ':forming': FORMING,
      ':k': members.length,
      ':limit': this.options.settings.maxSize - members.length,
      ':freshSince': now - staleAfterMs(this.options.settings),
      ':latestOpenedAt': latestOpenedAt,
    };
    const sets: string[] = ['#batchKey = #batchKey', '#openedAt = #openedAt'];
    const absent: string[] = [];
    members.forEach((member, index) => {
      names[`#i${index}`] = member.intentId;
      values[`:m${index}`] = stored(member);
      sets.push(`#members.#i${index} = :m${index}`);
      absent.push(`attribute_not_exists(#members.#i${index})`);
    });
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [TABLE_KEYS.partitionKey]: key },
          UpdateExpression: `SET ${sets.join(', ')} ADD #count :k`,
          ConditionExpression: [
            '#state = :forming AND #count <= :limit AND #openedAt BETWEEN :freshSince AND :latestOpenedAt',
            ...absent,
          ].join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = Attributes as FormingItem;
      return {
        kind: 'joined',
        batch: {
          key,
          batchKey: String(item.batchKey),
          openedAt: Number(item.openedAt),
          count: Number(item.count),
          opened: false,
        },
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return {
        kind: 'refused',
        ...(error.Item === undefined ? {} : { current: unmarshall(error.Item) as FormingItem }),
      };
    }
  }

  /**
   * Opens a fresh batch with `members`, replacing an absent, sealed or stale item (the one whose batch key the
   * refused join saw, so two openers never both replace it). Undefined when another invocation changed it first.
   */
  private async open(
    key: string,
    members: readonly BatchMember[],
    replacing: string | undefined,
    now: number,
  ): Promise<NonNullable<JoinResult['batch']> | undefined> {
    const batchKey = (this.options.newBatchKey ?? randomUUID)();
    const condition =
      replacing === undefined
        ? 'attribute_not_exists(#pk)'
        : '#batchKey = :replacing AND (#state <> :forming OR #openedAt < :freshSince)';
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [TABLE_KEYS.partitionKey]: key },
          UpdateExpression:
            'SET #state = :forming, #batchKey = :batchKey, #openedAt = :now, #count = :count, #members = :members, #ttl = :ttl REMOVE #sealedAt',
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#state': 'state',
            '#batchKey': 'batchKey',
            '#openedAt': 'openedAt',
            '#count': 'count',
            '#members': 'members',
            '#ttl': TABLE_KEYS.ttlAttribute,
            '#sealedAt': 'sealedAt',
            ...(replacing === undefined ? { '#pk': TABLE_KEYS.partitionKey } : {}),
          },
          ExpressionAttributeValues: {
            ':forming': FORMING,
            ':batchKey': batchKey,
            ':now': now,
            ':count': members.length,
            ':members': Object.fromEntries(members.map((member) => [member.intentId, stored(member)])),
            ':ttl': Math.ceil(now / 1000) + ITEM_TTL_SECONDS,
            ...(replacing === undefined
              ? {}
              : { ':replacing': replacing, ':freshSince': now - staleAfterMs(this.options.settings) }),
          },
        }),
      );
      return { key, batchKey, openedAt: now, count: members.length, opened: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
