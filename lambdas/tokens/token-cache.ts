import { createHash, randomBytes } from 'node:crypto';
import type { TokenGrant, TokenProvider } from '../dispatcher/ports';
import type { GateConfig } from '../shared/config';
import type { CredentialCause } from '../shared/names';
import { DEFAULT_REFRESH_FRACTION, decideStoredToken, refreshBackoffMs, throttledUntil, tokenSchedule } from './decide';
import type { OAuthClient, SecretStore, TokenLogger, TokenRecord, TokenRecordStore } from './ports';

/** Raised for a misconfigured cache or a call it cannot serve (not for credentials Outreach refused). */
export class TokenCacheError extends Error {
  override readonly name = 'TokenCacheError';
}

/** Counts what the cache does, for the `TokenMints` metric and the paused-credentials alarm. */
export interface TokenMetrics {
  tokenMinted(user: string): void;
  /**
   * The user cannot get a token: Outreach refused its refresh token (`invalid-grant`) or none was ever stored
   * (`not-set`). Its intents wait until an operator stores a refresh token in its secret. Reported when the user
   * is paused and at every re-check that finds it still paused, so an alarm on it stays raised while it waits.
   */
  credentialsPaused(user: string, cause: CredentialCause): void;
}

/** Thrown inside a refresh when the credentials are dead; becomes a pause, never an intent failure. */
class DeadCredentials extends Error {
  constructor(
    readonly credentialCause: CredentialCause,
    readonly reason: string,
    readonly secretHash: string,
  ) {
    super(reason);
  }
}

/** Thrown inside a refresh when it failed for a reason a later try may not have (an outage). */
class RefreshTrouble extends Error {}

/** Options of {@link SharedTokenCache}. */
export interface SharedTokenCacheOptions {
  /** The `token#<user>` items shared by every instance. */
  readonly records: TokenRecordStore;
  /** Where each user's operator-provided refresh token lives, and where the newest one is mirrored. */
  readonly secrets: SecretStore;
  readonly oauth: OAuthClient;
  /** Secret id (ARN, or a local name) of each user's refresh token, by user. */
  readonly refreshTokenSecretIds: Readonly<Record<string, string>>;
  /**
   * Reads `outreach.minMintIntervalMs`, `outreach.requestTimeoutMs`, `cooldown.defaultWaitMs`, the failure
   * backoff (`retries`) for failed refreshes and `timing` (header ceiling, clock skew).
   */
  readonly config: Pick<GateConfig, 'outreach' | 'cooldown' | 'retries' | 'timing'>;
  /**
   * How long a refresh lock lives if its holder never releases it. Covers the secret read, up to two token
   * requests (the stored refresh token, then the operator's) and the write.
   * @default 2 × outreach.requestTimeoutMs + 5000
   */
  readonly lockTtlMs?: number;
  /** How often a caller re-reads the item while another instance refreshes. @default 150 */
  readonly pollIntervalMs?: number;
  /** How long a caller polls for another instance's new token before answering "wait". @default 2000 */
  readonly maxPollMs?: number;
  /** Share of a token's lifetime after which it is refreshed (0 < f ≤ 1). @default 0.9 */
  readonly refreshFraction?: number;
  /** Epoch-ms clock. @default Date.now */
  readonly clock?: () => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default a logger that drops everything */
  readonly logger?: TokenLogger;
  readonly metrics?: TokenMetrics;
  /** Random id of one refresh attempt (the lock owner). @default 12 random bytes, base64url */
  readonly newLockOwner?: () => string;
}

interface MemoryEntry {
  readonly token: string;
  readonly expiresAt: number;
  /** Until then this process answers from memory without reading the item. */
  readonly usableUntil: number;
}

const SILENT_LOGGER: TokenLogger = { info: () => {}, warn: () => {}, error: () => {} };
const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One shared access token per Outreach user for every dispatcher instance. Each process keeps the token in
 * memory until it is due; then it reads the user's `token#<user>` item, where another instance may already
 * have stored a fresh one. Only the caller that takes the item's refresh lock (one conditional write, refused
 * while the last mint is younger than Outreach's mint interval) calls the token endpoint; everyone else polls
 * briefly for its result or is told to wait. The new refresh token is stored in the same write as the access
 * token, then mirrored into the user's secret. Tokens never appear in logs or errors.
 */
export class SharedTokenCache implements TokenProvider {
  private readonly records: TokenRecordStore;
  private readonly secrets: SecretStore;
  private readonly oauth: OAuthClient;
  private readonly refreshTokenSecretIds: Readonly<Record<string, string>>;
  private readonly minMintIntervalMs: number;
  private readonly throttleFallbackMs: number;
  private readonly config: Pick<GateConfig, 'retries' | 'timing'>;
  private readonly skewMs: number;
  private readonly lockTtlMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxPollMs: number;
  private readonly refreshFraction: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: TokenLogger;
  private readonly metrics: TokenMetrics | undefined;
  private readonly newLockOwner: () => string;
  private readonly memory = new Map<string, MemoryEntry>();
  /** One lookup per user at a time in this process; concurrent callers share it. */
  private readonly pending = new Map<string, Promise<TokenGrant>>();

  constructor(options: SharedTokenCacheOptions) {
    this.records = options.records;
    this.secrets = options.secrets;
    this.oauth = options.oauth;
    this.refreshTokenSecretIds = options.refreshTokenSecretIds;
    this.minMintIntervalMs = options.config.outreach.minMintIntervalMs;
    this.throttleFallbackMs = options.config.cooldown.defaultWaitMs;
    this.config = options.config;
    this.skewMs = options.config.timing.clockSkewMs;
    this.lockTtlMs = positive('lockTtlMs', options.lockTtlMs ?? 2 * options.config.outreach.requestTimeoutMs + 5000);
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 150);
    this.maxPollMs = nonNegative('maxPollMs', options.maxPollMs ?? 2000);
    this.refreshFraction = options.refreshFraction ?? DEFAULT_REFRESH_FRACTION;
    if (!(this.refreshFraction > 0 && this.refreshFraction <= 1)) {
      throw new TokenCacheError(`refreshFraction must be above 0 and at most 1, got ${options.refreshFraction}`);
    }
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.metrics = options.metrics;
    this.newLockOwner = options.newLockOwner ?? (() => randomBytes(12).toString('base64url'));
  }

  async accessToken(user: string): Promise<TokenGrant> {
    checkUser(user);
    const cached = this.memory.get(user);
    if (cached !== undefined && this.clock() < cached.usableUntil) return { kind: 'token', token: cached.token };
    const inFlight = this.pending.get(user);
    if (inFlight !== undefined) return inFlight;
    const lookup = this.lookUpOrWait(user).finally(() => this.pending.delete(user));
    this.pending.set(user, lookup);
    return lookup;
  }

  async invalidate(user: string, token: string): Promise<void> {
    checkUser(user);
    if (typeof token !== 'string' || token === '') {
      throw new TokenCacheError(`the token to invalidate for user "${user}" must be a non-empty string`);
    }
    if (this.memory.get(user)?.token === token) this.memory.delete(user);
    if (await this.records.markRefused(user, token)) {
      this.logger.info('access token refused by Outreach; the next caller refreshes it', { user });
    }
  }

  /**
   * {@link lookUp}, but when the token item itself cannot be read or written (DynamoDB throttled or down), the
   * token this process still holds is used while it is valid, else the caller waits: never an intent failure.
   */
  private async lookUpOrWait(user: string): Promise<TokenGrant> {
    try {
      return await this.lookUp(user);
    } catch (error) {
      if (error instanceof TokenCacheError) throw error;
      const now = this.clock();
      const held = this.memory.get(user);
      this.logger.warn('the token item could not be used; waiting (or using the token still held)', {
        user,
        error: describe(error),
      });
      if (held !== undefined && now < held.expiresAt - this.skewMs) return { kind: 'token', token: held.token };
      return { kind: 'wait', untilMs: now + refreshBackoffMs(1, this.config) };
    }
  }

  /** Reads the shared item and acts on it until this caller has a token or knows how long to wait. */
  private async lookUp(user: string): Promise<TokenGrant> {
    let record = await this.records.read(user);
    let pollUntil: number | undefined;
    const maxSteps = Math.ceil(this.maxPollMs / this.pollIntervalMs) + 8;
    for (let step = 0; step < maxSteps; step++) {
      const now = this.clock();
      const decision = decideStoredToken(record, now, this.minMintIntervalMs, this.skewMs);
      switch (decision.kind) {
        case 'use':
          return this.remember(user, decision.token, decision.expiresAt, decision.refreshAt);
        case 'wait-for-mint':
          if (decision.usable !== undefined) {
            const { token, expiresAt } = decision.usable;
            return this.remember(user, token, expiresAt, Math.min(expiresAt, decision.untilMs));
          }
          return { kind: 'wait', untilMs: decision.untilMs };
        case 'wait-for-refresh': {
          if (decision.usable !== undefined) {
            const { token, expiresAt } = decision.usable;
            return this.remember(user, token, expiresAt, Math.min(expiresAt, now + this.pollIntervalMs));
          }
          pollUntil ??= now + this.maxPollMs;
          if (now >= pollUntil) return { kind: 'wait', untilMs: Math.max(decision.lockUntil, now + 1) };
          await this.sleep(Math.min(this.pollIntervalMs, Math.max(1, pollUntil - now)));
          record = await this.records.read(user);
          break;
        }
        case 'refresh': {
          const owner = this.newLockOwner();
          const lock = await this.records.tryLock(user, {
            owner,
            now,
            lockUntil: now + this.lockTtlMs,
            minMintIntervalMs: this.minMintIntervalMs,
            seenRefreshAt: decision.seenRefreshAt,
            clockSkewMs: this.skewMs,
          });
          if (lock.written) return this.refreshHoldingLock(user, owner, lock.current ?? record);
          record = lock.current; // someone got there first: decide again from what they left
          break;
        }
      }
    }
    return { kind: 'wait', untilMs: this.clock() + this.pollIntervalMs };
  }

  private remember(user: string, token: string, expiresAt: number, usableUntil: number): TokenGrant {
    this.memory.set(user, { token, expiresAt, usableUntil });
    return { kind: 'token', token };
  }

  /**
   * Mints with the lock held; the lock is always released (or consumed by the write that stores the result).
   * Nothing here fails an intent: a throttled, failing or unreachable token endpoint or secret backs off for the
   * user (shared through the item), dead credentials pause the user, and meanwhile a still-valid access token
   * keeps being used.
   */
  private async refreshHoldingLock(user: string, owner: string, record: TokenRecord | undefined): Promise<TokenGrant> {
    let released = false;
    const release = async (mintBlockedUntil?: number): Promise<void> => {
      released = true;
      await this.records.releaseLock(user, owner, mintBlockedUntil);
    };
    try {
      return await this.mintOrWait(user, owner, record, release, () => {
        released = true;
      });
    } catch (error) {
      const failure = error instanceof DeadCredentials || error instanceof RefreshTrouble ? error : undefined;
      if (failure !== undefined && !released) {
        released = true;
        return await this.recordFailure(user, owner, record, failure);
      }
      if (!released) {
        await release().catch((releaseError: unknown) =>
          this.logger.error('could not release the refresh lock; it lapses on its own', {
            user,
            error: describe(releaseError),
          }),
        );
      }
      throw error;
    }
  }

  private async mintOrWait(
    user: string,
    owner: string,
    record: TokenRecord | undefined,
    release: (mintBlockedUntil?: number) => Promise<void>,
    consumed: () => void,
  ): Promise<TokenGrant> {
    const paused = record?.pausedAt !== undefined;
    const fromSecret = paused || record?.refreshToken === undefined ? await this.operatorRefreshToken(user) : undefined;
    if (paused) {
      // Only a refresh token an operator stored since the pause is worth sending: the others were refused.
      if (fromSecret === undefined || fingerprint(fromSecret) === record?.pausedSecretHash) {
        throw new DeadCredentials(
          fromSecret === undefined ? 'not-set' : 'invalid-grant',
          record?.pausedReason ?? 'paused',
          fingerprint(fromSecret),
        );
      }
      this.logger.info('a new refresh token was stored in the secret; trying it to resume the user', { user });
    }
    const fromItem = paused ? undefined : record?.refreshToken;
    let refreshToken = fromItem ?? fromSecret;
    if (refreshToken === undefined) {
      throw new DeadCredentials(
        'not-set',
        `no refresh token set yet: the token item has none and ${this.describeSecret(user)} holds none`,
        fingerprint(undefined),
      );
    }
    let triedOperatorToken = fromItem === undefined;
    const tried = [refreshToken];
    for (;;) {
      const sentAt = this.clock();
      const result = await this.oauth.refresh(refreshToken);
      switch (result.kind) {
        case 'minted':
          consumed(); // the write that stores the token releases the lock
          return await this.store(user, owner, sentAt, result);
        case 'throttled': {
          const untilMs = throttledUntil(
            this.clock(),
            result.retryAfterMs,
            this.minMintIntervalMs,
            this.throttleFallbackMs,
            this.config.timing.maxHeaderWaitMs,
          );
          await release(untilMs);
          this.logger.warn('Outreach refused to mint a token (429); waiting before the next mint', { user, untilMs });
          return this.stillValid(user, record, this.clock()) ?? { kind: 'wait', untilMs };
        }
        case 'invalid-grant': {
          if (!triedOperatorToken) {
            triedOperatorToken = true;
            const operatorToken = await this.operatorRefreshToken(user);
            if (operatorToken !== undefined && operatorToken !== refreshToken) {
              this.logger.warn('stored refresh token refused; trying the one in the secret', { user });
              refreshToken = operatorToken;
              tried.push(operatorToken);
              continue;
            }
          }
          throw new DeadCredentials(
            'invalid-grant',
            `Outreach refused the refresh token (invalid_grant: ${redact(result.detail, ...tried)})`,
            fingerprint(await this.operatorRefreshToken(user)),
          );
        }
        case 'error':
          if (result.refreshToken !== undefined) await this.keepRefreshToken(user, result.refreshToken);
          throw new RefreshTrouble(
            `refreshing the access token failed: ${redact(result.detail, ...tried, result.refreshToken ?? '')}`,
          );
      }
    }
  }

  /** Records a failed refresh in the item (backoff, or a pause) and answers with a still-valid token or a wait. */
  private async recordFailure(
    user: string,
    owner: string,
    record: TokenRecord | undefined,
    failure: DeadCredentials | RefreshTrouble,
  ): Promise<TokenGrant> {
    const now = this.clock();
    const failures = (record?.refreshFailures ?? 0) + 1;
    if (failure instanceof DeadCredentials) {
      // Re-check the secret once a mint interval (at least the backoff's base): an operator fix is picked up soon.
      const retryAt = now + Math.max(this.minMintIntervalMs, this.config.retries.backoffBaseMs);
      const newlyPaused = record?.pausedAt === undefined;
      await this.records.releaseAfterFailure(user, owner, {
        retryAt,
        failures,
        pause: { at: record?.pausedAt ?? now, reason: failure.reason, secretHash: failure.secretHash },
      });
      this.metrics?.credentialsPaused(user, failure.credentialCause);
      const action =
        failure.credentialCause === 'not-set'
          ? `authorise the Outreach app as this user and store its refresh token in ${this.describeSecret(user)}; the user starts within a minute`
          : `re-authorise the Outreach app as this user and store the new refresh token in ${this.describeSecret(user)}; the user resumes within a minute`;
      const problem =
        failure.credentialCause === 'not-set'
          ? 'no refresh token is set for the user yet; its intents wait until one is stored'
          : 'credentials of the user are dead; its intents wait until it is re-authorised';
      if (newlyPaused) {
        this.logger.error(problem, { user, cause: failure.credentialCause, reason: failure.reason, action });
      } else {
        this.logger.warn(`the user is still paused: ${problem}`, { user, cause: failure.credentialCause, action });
      }
      return this.stillValid(user, record, now) ?? { kind: 'wait', untilMs: retryAt };
    }
    const retryAt = now + refreshBackoffMs(failures, this.config);
    await this.records.releaseAfterFailure(user, owner, { retryAt, failures });
    this.logger.warn('refreshing the access token failed; backing off for the user', {
      user,
      failures,
      retryAt,
      error: failure.message,
    });
    return this.stillValid(user, record, now) ?? { kind: 'wait', untilMs: retryAt };
  }

  /** The stored access token, while it still works (allowing for clock skew). */
  private stillValid(user: string, record: TokenRecord | undefined, now: number): TokenGrant | undefined {
    const token = record?.accessToken;
    const expiresAt = record?.accessTokenExpiresAt;
    if (token === undefined || expiresAt === undefined || now >= expiresAt - this.skewMs) return undefined;
    return this.remember(user, token, expiresAt, Math.min(expiresAt, now + this.minMintIntervalMs));
  }

  /** Persists a minted pair (refresh token first, in the same write), then mirrors the refresh token. */
  private async store(
    user: string,
    owner: string,
    sentAt: number,
    minted: { accessToken: string; expiresInSeconds: number; refreshToken: string },
  ): Promise<TokenGrant> {
    const { expiresAt, refreshAt } = tokenSchedule(sentAt, minted.expiresInSeconds, this.refreshFraction);
    const mintedAt = this.clock();
    this.metrics?.tokenMinted(user);
    const secrets = [minted.accessToken, minted.refreshToken];
    try {
      const saved = await this.records.saveMinted(user, owner, {
        accessToken: minted.accessToken,
        accessTokenExpiresAt: expiresAt,
        refreshAt,
        refreshToken: minted.refreshToken,
        mintedAt,
      });
      if (!saved.written) {
        this.logger.warn('the refresh lock lapsed during the mint; storing the new refresh token regardless', {
          user,
        });
        await this.records.saveRefreshToken(user, minted.refreshToken);
      }
    } catch (error) {
      this.logger.error('could not store the minted token pair; storing the new refresh token alone', {
        user,
        error: redact(describe(error), ...secrets),
      });
      await this.records.saveRefreshToken(user, minted.refreshToken).catch((retryError: unknown) =>
        this.logger.error('could not store the new refresh token in the token item; the secret keeps it', {
          user,
          error: redact(describe(retryError), ...secrets),
        }),
      );
    }
    this.logger.info('minted an access token', { user, expiresInSeconds: minted.expiresInSeconds });
    await this.mirrorRefreshToken(user, minted.refreshToken, secrets);
    return this.remember(user, minted.accessToken, expiresAt, refreshAt);
  }

  /** Keeps a new refresh token that came without a usable access token: in the item, then in the secret. */
  private async keepRefreshToken(user: string, refreshToken: string): Promise<void> {
    try {
      await this.records.saveRefreshToken(user, refreshToken);
    } catch (error) {
      this.logger.error('could not store the new refresh token in the token item; the secret keeps it', {
        user,
        error: redact(describe(error), refreshToken),
      });
    }
    await this.mirrorRefreshToken(user, refreshToken, [refreshToken]);
  }

  private async mirrorRefreshToken(user: string, refreshToken: string, secrets: readonly string[]): Promise<void> {
    const secretId = this.refreshTokenSecretIds[user];
    if (secretId === undefined) {
      this.logger.warn('no refresh-token secret configured for the user; the token item alone keeps the newest', {
        user,
      });
      return;
    }
    try {
      await this.secrets.putSecretString(secretId, refreshToken);
    } catch (error) {
      this.logger.warn('could not mirror the newest refresh token into the secret', {
        user,
        secretId,
        error: redact(describe(error), ...secrets),
      });
    }
  }

  /** The refresh token an operator stored in the user's secret, or undefined when there is none. */
  private async operatorRefreshToken(user: string): Promise<string | undefined> {
    const secretId = this.refreshTokenSecretIds[user];
    if (secretId === undefined) return undefined;
    let value: string | undefined;
    try {
      value = await this.secrets.getSecretString(secretId);
    } catch (error) {
      throw new RefreshTrouble(
        `reading the refresh-token secret ${secretId} of user "${user}" failed: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
  }

  private describeSecret(user: string): string {
    const secretId = this.refreshTokenSecretIds[user];
    return secretId === undefined ? 'its secret (none is configured for this user)' : `the secret ${secretId}`;
  }
}

/** A value's SHA-256 (hex), so the item can tell a new secret from a refused one without holding either. */
function fingerprint(value: string | undefined): string {
  return createHash('sha256')
    .update(value ?? '')
    .digest('hex');
}

function checkUser(user: string): void {
  if (typeof user !== 'string' || user.trim() === '') {
    throw new TokenCacheError(`user must be a non-empty string, got ${JSON.stringify(user)}`);
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new TokenCacheError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new TokenCacheError(`${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `text` with every occurrence of the given secrets replaced, so a token echoed by a server never leaks. */
export function redact(text: string, ...secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]');
  }
  return out;
}
