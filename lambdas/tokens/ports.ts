/**
 * The token cache's ports: the shared `token#<user>` item, the secrets that seed and mirror refresh tokens,
 * and Outreach's token endpoint. Each has one adapter for AWS (or HTTP) and one for local runs where needed;
 * the cache's decisions never depend on which.
 */

/**
 * One user's `token#<user>` item as the cache reads it. Every field is absent until something first writes it.
 * Times are epoch milliseconds.
 */
export interface TokenRecord {
  /** The shared access token. */
  readonly accessToken?: string;
  /** When the access token stops working (issue time + Outreach's `expires_in`). */
  readonly accessTokenExpiresAt?: number;
  /** When the access token is due for a refresh (before it expires). 0 marks a token Outreach refused. */
  readonly refreshAt?: number;
  /** The newest refresh token Outreach issued. Rotates on every mint; older ones eventually die. */
  readonly refreshToken?: string;
  /** When the last access token was minted (Outreach allows one per user per interval). */
  readonly lastMintAt?: number;
  /** Before this, nobody may try to mint: Outreach's token endpoint answered 429. */
  readonly mintBlockedUntil?: number;
  /** Who holds the refresh lock (a random id per attempt). */
  readonly lockOwner?: string;
  /** When the refresh lock expires, held or not: a caller that died cannot wedge the refresh. */
  readonly lockUntil?: number;
  /** Failed refreshes in a row (endpoint errors, unreadable secrets); each doubles the wait before the next. */
  readonly refreshFailures?: number;
  /**
   * Set while the user is paused: Outreach refused every refresh token we have (`invalid_grant`) or there is
   * none. Intents for the user wait; storing a new refresh token in the user's secret resumes it.
   */
  readonly pausedAt?: number;
  /** Why the user is paused (no token ever appears here). */
  readonly pausedReason?: string;
  /** SHA-256 of the secret's refresh token when the user was paused: a different value means re-authorised. */
  readonly pausedSecretHash?: string;
}

/** What a failed refresh leaves in the item: when anyone may try again, and whether the user is now paused. */
export interface RefreshFailure {
  /** Nobody tries to mint before this (epoch ms). */
  readonly retryAt: number;
  /** Failed refreshes in a row, this one included. */
  readonly failures: number;
  /** Set when the credentials are dead (not merely unreachable): the user is paused. */
  readonly pause?: {
    readonly at: number;
    readonly reason: string;
    readonly secretHash: string;
  };
}

/** What {@link TokenRecordStore.tryLock} needs to decide, in one conditional write, that the caller may refresh. */
export interface LockRequest {
  /** Random id of this refresh attempt; only its holder can store the result or release the lock. */
  readonly owner: string;
  readonly now: number;
  /** When the lock lapses if never released. */
  readonly lockUntil: number;
  /** Shortest interval between two mints for one user. */
  readonly minMintIntervalMs: number;
  /**
   * The item's `refreshAt` as the caller saw it (undefined: it had none). If it changed, someone refreshed
   * meanwhile and the lock is refused.
   */
  readonly seenRefreshAt: number | undefined;
  /**
   * Largest difference assumed between this caller's clock and the clocks that wrote the item: the last mint,
   * a 429 block and a lapsed lock count only this much later. @default 0
   */
  readonly clockSkewMs?: number;
}

/** A freshly minted token pair, as stored. */
export interface MintedRecord {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshAt: number;
  readonly refreshToken: string;
  readonly mintedAt: number;
}

/**
 * The outcome of a conditional write: written (with the item as written, when the write returns it), or refused
 * with the item as it stood (undefined: no item).
 */
export type ConditionalWrite =
  | { readonly written: true; readonly current?: TokenRecord }
  | { readonly written: false; readonly current?: TokenRecord };

/**
 * The `token#<user>` items in the gate table. Every write that decides something is conditional, so many
 * dispatcher instances can share one token per user without a read-modify-write race.
 */
export interface TokenRecordStore {
  /** The user's token item (a strongly consistent read), or undefined when it has none. */
  read(user: string): Promise<TokenRecord | undefined>;
  /**
   * Takes the refresh lock only if no live lock is held, the last mint is old enough, no 429 blocks minting,
   * and `refreshAt` is still the one the caller saw. Taken, it returns the item as locked, so the holder
   * refreshes with the refresh token stored at that moment.
   */
  tryLock(user: string, request: LockRequest): Promise<ConditionalWrite>;
  /**
   * Stores a minted token pair and releases the lock, only while `owner` holds it. The refresh token is part of
   * the same write, so the newest one is never lost between two writes. A mint ends any failure streak or pause.
   */
  saveMinted(user: string, owner: string, minted: MintedRecord): Promise<ConditionalWrite>;
  /** Stores `refreshToken` whatever the lock says: the last resort when the lock was lost during a mint. */
  saveRefreshToken(user: string, refreshToken: string): Promise<void>;
  /**
   * Releases the lock if `owner` still holds it; with `mintBlockedUntil`, also stops everyone from minting
   * before then (Outreach's token endpoint answered 429).
   */
  releaseLock(user: string, owner: string, mintBlockedUntil?: number): Promise<void>;
  /**
   * Releases the lock if `owner` still holds it, recording a failed refresh: nobody mints before `retryAt`, and
   * with `pause` the user is paused until a new refresh token is stored in its secret.
   */
  releaseAfterFailure(user: string, owner: string, failure: RefreshFailure): Promise<void>;
  /**
   * Marks the stored access token as refused (due for a refresh at once), only if it is still `accessToken`.
   * Returns whether it was.
   */
  markRefused(user: string, accessToken: string): Promise<boolean>;
}

/** Secret strings by id (an ARN in AWS, any name locally). */
export interface SecretStore {
  /** The secret's current string, or undefined when the secret does not exist or holds no string. */
  getSecretString(id: string): Promise<string | undefined>;
  /** Replaces the secret's string (a new version in Secrets Manager). */
  putSecretString(id: string, value: string): Promise<void>;
}

/** What Outreach's token endpoint answered to a refresh-token grant. */
export type OAuthRefreshResult =
  | {
      readonly kind: 'minted';
      readonly accessToken: string;
      /** Lifetime of the access token as Outreach states it (`expires_in`). */
      readonly expiresInSeconds: number;
      /** The new refresh token: it replaces the one just used. */
      readonly refreshToken: string;
    }
  /** 429: too many mints for this user; `retryAfterMs` (epoch ms) when the answer said when. */
  | { readonly kind: 'throttled'; readonly retryAfterMs?: number }
  /** The refresh token is dead (expired, revoked, or too many newer ones). */
  | { readonly kind: 'invalid-grant'; readonly detail: string }
  /**
   * Anything else: bad client credentials, a 5xx, a timeout, an unreadable answer. `refreshToken` is set when
   * an otherwise unusable answer still carried a new refresh token: it replaces the old one and must be kept.
   */
  | { readonly kind: 'error'; readonly detail: string; readonly refreshToken?: string };

/** Outreach's token endpoint. Implementations never put a token in `detail`. */
export interface OAuthClient {
  /** Exchanges a refresh token for an access token and the next refresh token. */
  refresh(refreshToken: string): Promise<OAuthRefreshResult>;
}

/** Where the cache reports what it did. Messages and extras never carry a token. */
export interface TokenLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
