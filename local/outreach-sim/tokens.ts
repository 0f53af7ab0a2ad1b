/**
 * OAuth token bookkeeping for the simulator: refresh-token chains, access tokens, the mint limit and
 * scopes. Time is always passed in, so tests can drive it with a fake clock.
 *
 * Rules reproduced: access tokens expire; every refresh returns a new refresh token; a refresh token dies
 * once `refreshTokenHistory` newer ones exist for its user (or when it is older than its lifetime); at most
 * one mint per user per `mintIntervalMs`; at most `maxLiveAccessTokens` access tokens per user (minting
 * another revokes the oldest). Each configured user starts with the development refresh token `refresh-<user>`.
 */
import { randomBytes } from 'node:crypto';
import { SCOPE_RESOURCES } from './config';

/** Token settings in real milliseconds, read on every call. */
export interface TokenSettings {
  clientId: string;
  clientSecret: string;
  accessTokenLifetimeMs: number;
  mintIntervalMs: number;
  refreshTokenHistory: number;
  refreshTokenLifetimeMs: number;
  maxLiveAccessTokens: number;
  /** Scopes per user; users not listed get every scope. */
  scopes: Record<string, string[]>;
}

/** A freshly minted token pair. */
export interface MintedTokens {
  user: string;
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  scopes: string[];
}

/** Result of `POST /oauth/token` with the refresh-token grant. */
export type RefreshResult =
  | { ok: true; tokens: MintedTokens }
  | { ok: false; error: 'invalid_client'; description: string }
  | { ok: false; error: 'invalid_grant'; description: string; user: string | null }
  | { ok: false; error: 'rate_limited'; user: string; retryAtMs: number };

/** Result of checking a bearer token. */
export type AuthResult =
  | { ok: true; user: string; scopes: ReadonlySet<string> }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

interface AccessTokenRecord {
  user: string;
  expiresAt: number;
  scopes: ReadonlySet<string>;
}

interface RefreshTokenRecord {
  user: string;
  createdAt: number;
}

interface UserTokens {
  /** Refresh tokens, oldest first; only the newest `refreshTokenHistory + 1` are alive. */
  refreshChain: string[];
  /** Live access tokens, oldest first. */
  accessTokens: string[];
  /** Epoch ms of the last mint, or null. */
  lastMintAt: number | null;
}

/** Every scope the simulator knows (`prospects.all`, …), granted when a user has no scope list. */
export const ALL_SCOPES: readonly string[] = SCOPE_RESOURCES.map((resource) => `${resource}.all`);

/** Whether `scopes` allow `action` (`read`, `write`, `delete`) on `resource` (`prospects`, …). */
export function hasScope(scopes: ReadonlySet<string>, resource: string, action: 'read' | 'write' | 'delete'): boolean {
  return scopes.has(`${resource}.${action}`) || scopes.has(`${resource}.all`);
}

/** The development refresh token of a user. */
export const developmentRefreshToken = (user: string): string => `refresh-${user}`;

const opaqueToken = (): string => randomBytes(24).toString('base64url');

/** Tokens of all users. */
export class TokenStore {
  private readonly users = new Map<string, UserTokens>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();

  constructor(private readonly settings: () => TokenSettings) {}

  /** Registers a user and its development refresh token (no-op if already known). */
  addUser(user: string, now: number): void {
    if (this.users.has(user)) return;
    const token = developmentRefreshToken(user);
    this.users.set(user, { refreshChain: [token], accessTokens: [], lastMintAt: null });
    this.refreshTokens.set(token, { user, createdAt: now });
  }

  /** Forgets every token; users get their development refresh tokens back. */
  clear(now: number): void {
    const users = [...this.users.keys()];
    this.users.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    for (const user of users) this.addUser(user, now);
  }

  /**
   * Revokes every refresh and access token of `user`, as disconnecting the app in Outreach does: each refresh
   * then answers `invalid_grant` and each API call 401 until the user authorises the app again.
   */
  revokeUser(user: string): void {
    const state = this.users.get(user);
    if (!state) return;
    for (const token of state.refreshChain) this.refreshTokens.delete(token);
    for (const token of state.accessTokens) this.accessTokens.delete(token);
    state.refreshChain = [];
    state.accessTokens = [];
  }

  /** The user authorises the app again (the OAuth consent flow): returns a new refresh token that starts a new chain. */
  authorize(user: string, now: number): string {
    this.addUser(user, now);
    const state = this.users.get(user) as UserTokens;
    const token = opaqueToken();
    this.refreshTokens.set(token, { user, createdAt: now });
    state.refreshChain.push(token);
    return token;
  }

  /** Forgets when each user last minted, so the next refresh is allowed at once. */
  clearMintLimits(): void {
    for (const state of this.users.values()) state.lastMintAt = null;
  }

  /** The refresh-token grant. */
  refresh(clientId: string, clientSecret: string, refreshToken: string, now: number): RefreshResult {
    const settings = this.settings();
    if (clientId !== settings.clientId || clientSecret !== settings.clientSecret) {
      return { ok: false, error: 'invalid_client', description: 'Client authentication failed.' };
    }
    const record = this.refreshTokens.get(refreshToken);
    const state = record ? this.users.get(record.user) : undefined;
    if (!record || !state) {
      return {
        ok: false,
        error: 'invalid_grant',
        user: null,
        description: 'The provided authorization grant is invalid, expired, revoked or was issued to another client.',
      };
    }
    const index = state.refreshChain.lastIndexOf(refreshToken);
    const newer = state.refreshChain.length - 1 - index;
    if (
      index < 0 ||
      newer >= settings.refreshTokenHistory ||
      now - record.createdAt >= settings.refreshTokenLifetimeMs
    ) {
      return {
        ok: false,
        error: 'invalid_grant',
        user: record.user,
        description: 'The provided authorization grant is invalid, expired, revoked or was issued to another client.',
      };
    }
    if (state.lastMintAt !== null && now - state.lastMintAt < settings.mintIntervalMs) {
      return {
        ok: false,
        error: 'rate_limited',
        user: record.user,
        retryAtMs: state.lastMintAt + settings.mintIntervalMs,
      };
    }
    state.lastMintAt = now;
    return { ok: true, tokens: this.mint(record.user, state, settings, now) };
  }

  private mint(user: string, state: UserTokens, settings: TokenSettings, now: number): MintedTokens {
    const scopes = settings.scopes[user] ?? ALL_SCOPES;
    const accessToken = opaqueToken();
    this.accessTokens.set(accessToken, {
      user,
      expiresAt: now + settings.accessTokenLifetimeMs,
      scopes: new Set(scopes),
    });
    state.accessTokens.push(accessToken);
    while (state.accessTokens.length > settings.maxLiveAccessTokens) {
      const oldest = state.accessTokens.shift();
      if (oldest !== undefined) this.accessTokens.delete(oldest);
    }
    const refreshToken = opaqueToken();
    this.refreshTokens.set(refreshToken, { user, createdAt: now });
    state.refreshChain.push(refreshToken);
    while (state.refreshChain.length > settings.refreshTokenHistory) {
      const dead = state.refreshChain.shift();
      if (dead !== undefined) this.refreshTokens.delete(dead);
    }
    return {
      user,
      accessToken,
      refreshToken,
      expiresInSeconds: Math.max(1, Math.floor(settings.accessTokenLifetimeMs / 1000)),
      scopes: [...scopes],
    };
  }

  /** Checks an access token taken from `Authorization: Bearer …`. */
  authenticate(accessToken: string | null, now: number): AuthResult {
    if (!accessToken) return { ok: false, reason: 'missing' };
    const record = this.accessTokens.get(accessToken);
    if (!record) return { ok: false, reason: 'unknown' };
    if (now >= record.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, user: record.user, scopes: record.scopes };
  }
}
