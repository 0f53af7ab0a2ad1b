import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS, tokenKey } from '../shared/names';
import type {
  ConditionalWrite,
  LockRequest,
  MintedRecord,
  RefreshFailure,
  TokenRecord,
  TokenRecordStore,
} from '../tokens/ports';
import { plainValue } from './dynamodb-values';

/** Raised when the token item cannot be read or written: bad input, an unreadable item, or DynamoDB failing. */
export class TokenStoreError extends Error {
  override readonly name = 'TokenStoreError';
}

/** Options of {@link DynamoDbTokenStore}. */
export interface DynamoDbTokenStoreOptions {
  /** The gate table (partition key {@link TABLE_KEYS.partitionKey}). */
  readonly tableName: string;
}

/**
 * Attributes of the `token#<user>` item. The access token's expiry is `accessTokenExpiresAt`, never the
 * table's TTL attribute: the item holds the newest refresh token and must outlive every access token.
 */
const STRING_ATTRIBUTES = ['accessToken', 'refreshToken', 'lockOwner', 'pausedReason', 'pausedSecretHash'] as const;
const NUMBER_ATTRIBUTES = [
  'accessTokenExpiresAt',
  'refreshAt',
  'lastMintAt',
  'mintBlockedUntil',
  'lockUntil',
  'refreshFailures',
  'pausedAt',
] as const;

/** `refreshAt` of a token Outreach refused: due at once. */
const REFUSED = 0;

/** One UpdateItem's expression pieces. */
interface Update {
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
  /** `ALL_NEW` to get the item as written back. */
  readonly ReturnValues?: 'ALL_NEW';
}

/**
 * The token items in the gate table. Every write is one UpdateItem whose condition states the rule it relies
 * on (no live lock, mint interval passed, nobody refreshed meanwhile, the lock still ours), as the gate store
 * does; a refused condition returns the item as it stood so the caller can decide again without a read.
 */
export class DynamoDbTokenStore implements TokenRecordStore {
  private readonly tableName: string;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbTokenStoreOptions,
  ) {
    if (typeof options.tableName !== 'string' || options.tableName.trim() === '') {
      throw new TokenStoreError('tableName must not be empty');
    }
    this.tableName = options.tableName;
  }

  async read(user: string): Promise<TokenRecord | undefined> {
    checkUser(user);
    try {
      const output = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: tokenKey(user) },
          ConsistentRead: true,
        }),
      );
      return output.Item === undefined ? undefined : itemToTokenRecord(output.Item, user);
    } catch (error) {
      if (error instanceof TokenStoreError) throw error;
      throw new TokenStoreError(
        `reading the token item of user "${user}" from table ${this.tableName} failed: ${describe(error)}`,
        { cause: error },
      );
    }
  }

  async tryLock(user: string, request: LockRequest): Promise<ConditionalWrite> {
    checkUser(user);
    checkOwner(request.owner);
    const skew = request.clockSkewMs ?? 0;
    for (const [name, value] of [
      ['now', request.now],
      ['lockUntil', request.lockUntil],
      ['minMintIntervalMs', request.minMintIntervalMs],
      ['clockSkewMs', skew],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new TokenStoreError(
          `lock request of user "${user}": ${name} must be a non-negative number, got ${value}`,
        );
      }
    }
    const seen =
      request.seenRefreshAt === undefined ? 'attribute_not_exists(#refreshAt)' : '#refreshAt = :seenRefreshAt';
    return this.update(user, 'taking the refresh lock', {
      ReturnValues: 'ALL_NEW',
      UpdateExpression: 'SET #lockOwner = :owner, #lockUntil = :lockUntil',
      // Times in the item were written on other clocks: each counts only the skew later (the safe direction).
      ConditionExpression: [
        '(attribute_not_exists(#lockUntil) OR #lockUntil < :skewedNow)',
        '(attribute_not_exists(#lastMintAt) OR #lastMintAt <= :lastMintBefore)',
        '(attribute_not_exists(#mintBlockedUntil) OR #mintBlockedUntil <= :skewedNow)',
        seen,
      ].join(' AND '),
      ExpressionAttributeNames: names('lockOwner', 'lockUntil', 'lastMintAt', 'mintBlockedUntil', 'refreshAt'),
      ExpressionAttributeValues: {
        ':owner': request.owner,
        ':lockUntil': request.lockUntil,
        ':skewedNow': request.now - skew,
        ':lastMintBefore': request.now - request.minMintIntervalMs - skew,
        ...(request.seenRefreshAt === undefined ? {} : { ':seenRefreshAt': request.seenRefreshAt }),
      },
    });
  }

  async saveMinted(user: string, owner: string, minted: MintedRecord): Promise<ConditionalWrite> {
    checkUser(user);
    checkOwner(owner);
    checkToken(user, 'accessToken', minted.accessToken);
    checkToken(user, 'refreshToken', minted.refreshToken);
    for (const name of ['accessTokenExpiresAt', 'refreshAt', 'mintedAt'] as const) {
      if (!Number.isFinite(minted[name]) || minted[name] < 0) {
        throw new TokenStoreError(`minted token of user "${user}": ${name} must be a non-negative number`);
      }
    }
    return this.update(user, 'storing the minted token', {
      UpdateExpression:
        'SET #accessToken = :accessToken, #accessTokenExpiresAt = :expiresAt, #refreshAt = :refreshAt, #refreshToken = :refreshToken, #lastMintAt = :mintedAt REMOVE #lockOwner, #lockUntil, #mintBlockedUntil, #refreshFailures, #pausedAt, #pausedReason, #pausedSecretHash',
      ConditionExpression: '#lockOwner = :owner',
      ExpressionAttributeNames: names(
        'accessToken',
        'accessTokenExpiresAt',
        'refreshAt',
        'refreshToken',
        'lastMintAt',
        'lockOwner',
        'lockUntil',
        'mintBlockedUntil',
        'refreshFailures',
        'pausedAt',
        'pausedReason',
        'pausedSecretHash',
      ),
      ExpressionAttributeValues: {
        ':accessToken': minted.accessToken,
        ':expiresAt': minted.accessTokenExpiresAt,
        ':refreshAt': minted.refreshAt,
        ':refreshToken': minted.refreshToken,
        ':mintedAt': minted.mintedAt,
        ':owner': owner,
      },
    });
  }

  async saveRefreshToken(user: string, refreshToken: string): Promise<void> {
    checkUser(user);
    checkToken(user, 'refreshToken', refreshToken);
    await this.update(user, 'storing the refresh token', {
      UpdateExpression: 'SET #refreshToken = :refreshToken',
      ExpressionAttributeNames: names('refreshToken'),
      ExpressionAttributeValues: { ':refreshToken': refreshToken },
    });
  }

  async releaseLock(user: string, owner: string, mintBlockedUntil?: number): Promise<void> {
    checkUser(user);
    checkOwner(owner);
    if (mintBlockedUntil !== undefined && !(Number.isFinite(mintBlockedUntil) && mintBlockedUntil >= 0)) {
      throw new TokenStoreError(`mintBlockedUntil must be a non-negative number, got ${mintBlockedUntil}`);
    }
    // Refused when the lock is no longer ours: its new holder decides, and nothing is left to undo.
    await this.update(user, 'releasing the refresh lock', {
      UpdateExpression:
        mintBlockedUntil === undefined
          ? 'REMOVE #lockOwner, #lockUntil'
          : 'SET #mintBlockedUntil = :mintBlockedUntil REMOVE #lockOwner, #lockUntil',
      ConditionExpression: '#lockOwner = :owner',
      ExpressionAttributeNames: names(
        'lockOwner',
        'lockUntil',
        ...(mintBlockedUntil === undefined ? [] : ['mintBlockedUntil']),
      ),
      ExpressionAttributeValues: {
        ':owner': owner,
        ...(mintBlockedUntil === undefined ? {} : { ':mintBlockedUntil': mintBlockedUntil }),
      },
    });
  }

  async releaseAfterFailure(user: string, owner: string, failure: RefreshFailure): Promise<void> {
    checkUser(user);
    checkOwner(owner);
    for (const [name, value] of [
      ['retryAt', failure.retryAt],
      ['failures', failure.failures],
      ...(failure.pause === undefined ? [] : ([['pause.at', failure.pause.at]] as const)),
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new TokenStoreError(
          `refresh failure of user "${user}": ${name} must be a non-negative number, got ${value}`,
        );
      }
    }
    const pause = failure.pause;
    if (pause !== undefined && (pause.reason === '' || pause.secretHash === '')) {
      throw new TokenStoreError(`refresh failure of user "${user}": a pause needs a reason and a secret hash`);
    }
    const sets = ['#mintBlockedUntil = :retryAt', '#refreshFailures = :failures'];
    if (pause !== undefined) sets.push('#pausedAt = :pausedAt', '#pausedReason = :reason', '#pausedSecretHash = :hash');
    await this.update(user, 'recording a failed refresh', {
      UpdateExpression: `SET ${sets.join(', ')} REMOVE #lockOwner, #lockUntil`,
      ConditionExpression: '#lockOwner = :owner',
      ExpressionAttributeNames: names(
        'lockOwner',
        'lockUntil',
        'mintBlockedUntil',
        'refreshFailures',
        ...(pause === undefined ? [] : ['pausedAt', 'pausedReason', 'pausedSecretHash']),
      ),
      ExpressionAttributeValues: {
        ':owner': owner,
        ':retryAt': failure.retryAt,
        ':failures': failure.failures,
        ...(pause === undefined ? {} : { ':pausedAt': pause.at, ':reason': pause.reason, ':hash': pause.secretHash }),
      },
    });
  }

  async markRefused(user: string, accessToken: string): Promise<boolean> {
    checkUser(user);
    checkToken(user, 'accessToken', accessToken);
    const result = await this.update(user, 'marking the access token refused', {
      UpdateExpression: 'SET #refreshAt = :refused, #accessTokenExpiresAt = :refused REMOVE #accessToken',
      ConditionExpression: '#accessToken = :accessToken',
      ExpressionAttributeNames: names('refreshAt', 'accessTokenExpiresAt', 'accessToken'),
      ExpressionAttributeValues: { ':refused': REFUSED, ':accessToken': accessToken },
    });
    return result.written;
  }

  /** One UpdateItem; on a refused condition, the item as it stood instead of an error. */
  private async update(user: string, what: string, update: Update): Promise<ConditionalWrite> {
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: tokenKey(user) },
          ...update,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return output.Attributes === undefined
        ? { written: true }
        : { written: true, current: itemToTokenRecord(output.Attributes, user) };
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as { name?: unknown })?.name === 'ConditionalCheckFailedException'
      ) {
        const item = (error as { Item?: Record<string, unknown> }).Item;
        return item === undefined ? { written: false } : { written: false, current: itemToTokenRecord(item, user) };
      }
      if (error instanceof TokenStoreError) throw error;
      throw new TokenStoreError(`${what} of user "${user}" in table ${this.tableName} failed: ${describe(error)}`, {
        cause: error,
      });
    }
  }
}

function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));
}

/**
 * Reads a token item (document or wire form: a refused condition returns the wire form) into a
 * {@link TokenRecord}; throws {@link TokenStoreError} naming the attribute (never its value) when the item
 * holds something the cache never writes.
 */
export function itemToTokenRecord(item: Record<string, unknown>, user: string): TokenRecord {
  const record: Record<string, string | number> = {};
  for (const attribute of STRING_ATTRIBUTES) {
    const value = plainValue(item[attribute]);
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw new TokenStoreError(`token item of user "${user}": attribute ${attribute} must be a non-empty string`);
    }
    record[attribute] = value;
  }
  for (const attribute of NUMBER_ATTRIBUTES) {
    const value = plainValue(item[attribute]);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TokenStoreError(
        `token item of user "${user}": attribute ${attribute} must be a number, got ${JSON.stringify(value)}`,
      );
    }
    record[attribute] = value;
  }
  return record as TokenRecord;
}

function checkUser(user: string): void {
  if (typeof user !== 'string' || user.trim() === '') {
    throw new TokenStoreError(`user must be a non-empty string, got ${JSON.stringify(user)}`);
  }
}

function checkOwner(owner: string): void {
  if (typeof owner !== 'string' || owner === '') throw new TokenStoreError('lock owner must be a non-empty string');
}

function checkToken(user: string, name: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new TokenStoreError(`${name} of user "${user}" must be a non-empty string`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
