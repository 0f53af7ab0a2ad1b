import type {
  ConditionalWrite,
  LockRequest,
  MintedRecord,
  OAuthClient,
  OAuthRefreshResult,
  RefreshFailure,
  SecretStore,
  TokenLogger,
  TokenRecord,
  TokenRecordStore,
} from '../../lambdas/tokens/ports';

/**
 * In-memory stand-ins for the token cache's ports, for unit tests of its decisions. The record store applies
 * the same conditions as the DynamoDB adapter (which has its own tests against DynamoDB Local).
 */

/** A clock the test moves; `sleep` advances it and lets a hook act "while" the caller sleeps. */
export class FakeClock {
  now: number;
  readonly sleeps: number[] = [];
  onSleep: (() => void | Promise<void>) | undefined;

  constructor(start: number) {
    this.now = start;
  }

  readonly clock = (): number => this.now;

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.now += ms;
    await this.onSleep?.();
  };
}

/** The `token#<user>` items in a Map, with the adapter's conditional semantics. */
export class FakeTokenRecordStore implements TokenRecordStore {
  readonly items = new Map<string, TokenRecord>();
  reads = 0;
  lockAttempts = 0;
  /** Makes the next `saveMinted` find the lock taken by someone else. */
  loseLockBeforeSave = false;

  async read(user: string): Promise<TokenRecord | undefined> {
    this.reads++;
    const item = this.items.get(user);
    return item === undefined ? undefined : { ...item };
  }

  async tryLock(user: string, request: LockRequest): Promise<ConditionalWrite> {
    this.lockAttempts++;
    const item = this.items.get(user) ?? {};
    const skewedNow = request.now - (request.clockSkewMs ?? 0);
    const lockFree = item.lockUntil === undefined || item.lockUntil < skewedNow;
    const mintOld = item.lastMintAt === undefined || item.lastMintAt <= skewedNow - request.minMintIntervalMs;
    const notBlocked = item.mintBlockedUntil === undefined || item.mintBlockedUntil <= skewedNow;
    const unchanged = item.refreshAt === request.seenRefreshAt;
    if (!(lockFree && mintOld && notBlocked && unchanged)) return { written: false, current: { ...item } };
    const locked = { ...item, lockOwner: request.owner, lockUntil: request.lockUntil };
    this.items.set(user, locked);
    return { written: true, current: { ...locked } };
  }

  async saveMinted(user: string, owner: string, minted: MintedRecord): Promise<ConditionalWrite> {
    const item = this.items.get(user) ?? {};
    if (this.loseLockBeforeSave) {
      this.loseLockBeforeSave = false;
      this.items.set(user, { ...item, lockOwner: 'someone-else' });
      return { written: false, current: { ...item, lockOwner: 'someone-else' } };
    }
    if (item.lockOwner !== owner) return { written: false, current: { ...item } };
    const {
      lockOwner: _owner,
      lockUntil: _until,
      mintBlockedUntil: _blocked,
      refreshFailures: _failures,
      pausedAt: _pausedAt,
      pausedReason: _reason,
      pausedSecretHash: _hash,
      ...rest
    } = item;
    this.items.set(user, {
      ...rest,
      accessToken: minted.accessToken,
      accessTokenExpiresAt: minted.accessTokenExpiresAt,
      refreshAt: minted.refreshAt,
      refreshToken: minted.refreshToken,
      lastMintAt: minted.mintedAt,
    });
    return { written: true };
  }

  async saveRefreshToken(user: string, refreshToken: string): Promise<void> {
    this.items.set(user, { ...(this.items.get(user) ?? {}), refreshToken });
  }

  async releaseLock(user: string, owner: string, mintBlockedUntil?: number): Promise<void> {
    const item = this.items.get(user) ?? {};
    if (item.lockOwner !== owner) return;
    const { lockOwner: _owner, lockUntil: _until, ...rest } = item;
    this.items.set(user, { ...rest, ...(mintBlockedUntil === undefined ? {} : { mintBlockedUntil }) });
  }

  async releaseAfterFailure(user: string, owner: string, failure: RefreshFailure): Promise<void> {
    const item = this.items.get(user) ?? {};
    if (item.lockOwner !== owner) return;
    const { lockOwner: _owner, lockUntil: _until, ...rest } = item;
    const pause = failure.pause;
    this.items.set(user, {
      ...rest,
      mintBlockedUntil: failure.retryAt,
      refreshFailures: failure.failures,
      ...(pause === undefined
        ? {}
        : { pausedAt: pause.at, pausedReason: pause.reason, pausedSecretHash: pause.secretHash }),
    });
  }

  async markRefused(user: string, accessToken: string): Promise<boolean> {
    const item = this.items.get(user);
    if (item?.accessToken !== accessToken) return false;
    const { accessToken: _token, ...rest } = item;
    this.items.set(user, { ...rest, refreshAt: 0, accessTokenExpiresAt: 0 });
    return true;
  }
}

/** Outreach's token endpoint scripted by the test: answers in order, and records the refresh tokens sent. */
export class ScriptedOAuthClient implements OAuthClient {
  readonly sent: string[] = [];
  private readonly answers: OAuthRefreshResult[];

  constructor(...answers: OAuthRefreshResult[]) {
    this.answers = answers;
  }

  async refresh(refreshToken: string): Promise<OAuthRefreshResult> {
    this.sent.push(refreshToken);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('the token endpoint was called more often than the test expected');
    return answer;
  }
}

/** A minted answer whose tokens are easy to search for in logs and errors. */
export const minted = (n: number, expiresInSeconds = 7200): OAuthRefreshResult => ({
  kind: 'minted',
  accessToken: `ACCESS-TOKEN-${n}`,
  refreshToken: `REFRESH-TOKEN-${n}`,
  expiresInSeconds,
});

/** Secrets in a Map, optionally failing writes. */
export class FakeSecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  failWrites = false;
  writes = 0;

  constructor(initial: Record<string, string> = {}) {
    for (const [id, value] of Object.entries(initial)) this.values.set(id, value);
  }

  async getSecretString(id: string): Promise<string | undefined> {
    return this.values.get(id);
  }

  async putSecretString(id: string, value: string): Promise<void> {
    this.writes++;
    if (this.failWrites) throw new Error(`AccessDeniedException: not allowed to write ${id}`);
    this.values.set(id, value);
  }
}

/** Keeps every log line, so tests can check what was said and that no token was. */
export class CollectingLogger implements TokenLogger {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];

  info(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, ...(extra ? { extra } : {}) });
  }

  warn(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, ...(extra ? { extra } : {}) });
  }

  error(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, ...(extra ? { extra } : {}) });
  }

  /** Every line as one string, for "never mentions" checks. */
  text(): string {
    return JSON.stringify(this.lines);
  }
}
