import { randomBytes } from 'node:crypto';
import { CredentialsError, type TokenGrant, type TokenProvider } from '../dispatcher/ports';
import type { GateConfig } from '../shared/config';
import { DEFAULT_REFRESH_FRACTION, decideStoredToken, throttledUntil, tokenSchedule } from './decide';
import type { OAuthClient, SecretStore, TokenLogger, TokenRecord, TokenRecordStore } from './ports';

/** Raised for a misconfigured cache or a call it cannot serve (not for credentials Outreach refused). */
export class TokenCacheError extends Error {
  override readonly name = 'TokenCacheError';
}

/** Counts what the cache does, for the `TokenMints` metric. */
export interface TokenMetrics {
  tokenMinted(user: string): void;
}

/** Options of {@link SharedTokenCache}. */
export interface SharedTokenCacheOptions {
  /** The `token#<user>` items shared by every instance. */
  readonly records: TokenRecordStore;
  /** Where each user's operator-provided refresh token lives, and where the newest one is mirrored. */
  readonly secrets: SecretStore;
  readonly oauth: OAuthClient;
  /** Secret id (ARN, or a local name) of each user's refresh token, by user. */
  readonly refreshTokenSecretIds: Readonly<Record<string, string>>;
  /** Reads `outreach.minMintIntervalMs`, `outreach.requestTimeoutMs` and `cooldown.defaultWaitMs`. */
  readonly config: Pick<GateConfig, 'outreach' | 'cooldown'>;
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
    const lookup = this.lookUp(user).finally(() => this.pending.delete(user));
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

  /** Reads the shared item and acts on it until this caller has a token or knows how long to wait. */
  private async lookUp(user: string): Promise<TokenGrant> {
    let record = await this.records.read(user);
    let pollUntil: number | undefined;
    const maxSteps = Math.ceil(this.maxPollMs / this.pollIntervalMs) + 8;
    for (let step = 0; step < maxSteps; step++) {
      const now = this.clock();
      const decision = decideStoredToken(record, now, this.minMintIntervalMs);
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

  /** Mints with the lock held; the lock is always released (or consumed by the write that stores the result). */
  private async refreshHoldingLock(user: string, owner: string, record: TokenRecord | undefined): Promise<TokenGrant> {
    let released = false;
    const release = async (mintBlockedUntil?: number): Promise<void> => {
      released = true;
      await this.records.releaseLock(user, owner, mintBlockedUntil);
    };
    try {
      const fromItem = record?.refreshToken;
      let refreshToken = fromItem ?? (await this.operatorRefreshToken(user));
      if (refreshToken === undefined) {
        throw new CredentialsError(
          `no refresh token for user "${user}": the token item has none and ${this.describeSecret(user)} holds none; store the refresh token from authorising the Outreach app there`,
        );
      }
      let triedOperatorToken = fromItem === undefined;
      const tried = [refreshToken];
      for (;;) {
        const sentAt = this.clock();
        const result = await this.oauth.refresh(refreshToken);
        switch (result.kind) {
          case 'minted':
            released = true; // the write that stores the token releases the lock
            return await this.store(user, owner, sentAt, result);
          case 'throttled': {
            const untilMs = throttledUntil(
              this.clock(),
              result.retryAfterMs,
              this.minMintIntervalMs,
              this.throttleFallbackMs,
            );
            await release(untilMs);
            this.logger.warn('Outreach refused to mint a token (429); waiting before the next mint', {
              user,
              untilMs,
            });
            return { kind: 'wait', untilMs };
          }
          case 'invalid-grant': {
            if (!triedOperatorToken) {
              triedOperatorToken = true;
              const fromSecret = await this.operatorRefreshToken(user);
              if (fromSecret !== undefined && fromSecret !== refreshToken) {
                this.logger.warn('stored refresh token refused; trying the one in the secret', { user });
                refreshToken = fromSecret;
                tried.push(fromSecret);
                continue;
              }
            }
            throw new CredentialsError(
              `Outreach refused the refresh token of user "${user}" (invalid_grant: ${redact(result.detail, ...tried)}); re-authorise the app and store the new refresh token in ${this.describeSecret(user)}`,
            );
          }
          case 'error':
            if (result.refreshToken !== undefined) await this.keepRefreshToken(user, result.refreshToken);
            throw new CredentialsError(
              `refreshing the access token of user "${user}" failed: ${redact(result.detail, ...tried, result.refreshToken ?? '')}`,
            );
        }
      }
    } catch (error) {
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
      throw new CredentialsError(
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
