import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { countInFlight, decideAdmission, estimateRemaining } from '../gate/admission';
import { clampedHeaders } from '../gate/headers';
import { formatLease, freeBelow, LeaseFormatError, parseLease } from '../gate/lease';
import { applyPatch, composePatches, isEmptyPatch } from '../gate/patch';
import {
  type GateObserver,
  type GateStore,
  GateStoreError,
  GateUnavailableError,
  type Lease,
  type ReturnedLease,
  type UpstreamResult,
  type Wait,
} from '../gate/port';

import { decideRelease } from '../gate/release';
import {
  EMPTY_GATE_STATE,
  GATE_NUMBER_ATTRIBUTES,
  type GateCondition,
  type GatePatch,
  type GateState,
  type LeaseHold,
} from '../gate/types';
import type { GateConfig } from '../shared/config';
import { gateKey, isLane, type Lane, TABLE_KEYS } from '../shared/names';
import { plainValue } from './dynamodb-values';

/** DynamoDB errors that waiting will not fix: the gate's own misconfiguration or a bug. */
const PERMANENT_ERRORS = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'UnrecognizedClientException',
  'SerializationException',
]);

/** First and longest suggested wait after DynamoDB failed. */
const UNAVAILABLE_FIRST_WAIT_MS = 1000;
const UNAVAILABLE_MAX_WAIT_MS = 30_000;

/** Options of {@link DynamoDbGateStore}. */
export interface DynamoDbGateStoreOptions {
  /** The gate table (partition key {@link TABLE_KEYS.partitionKey}). */
  readonly tableName: string;
  readonly config: GateConfig;
  /** Epoch-ms clock. @default Date.now */
  readonly clock?: () => number;
  /** Uniform [0, 1) source used to pick among free slots. @default Math.random */
  readonly random?: () => number;
  /** Conditional writes tried per acquire or release before giving up. @default 8 */
  readonly maxAttempts?: number;
  /**
   * A cached item older than this is re-read (strongly consistent) before answering "wait" for a lease or an open
   * circuit (another process may have freed them). @default 100
   */
  readonly cacheMaxAgeMs?: number;
  /**
   * The same for a wait on the budget or a cool-down, which other processes' writes can only lengthen: within this
   * age the cached item answers alone, so an intent that must wait costs no DynamoDB request. @default 1000
   */
  readonly budgetWaitCacheMaxAgeMs?: number;
  /** Told about clamped header times. @default - nothing is reported */
  readonly observer?: GateObserver;
}

/** Prefix of the slot attributes: `lease0` … `lease{inFlightCap−1}`. */
const LEASE_ATTRIBUTE_PREFIX = 'lease';
const LEASE_ATTRIBUTE = /^lease(\d+)$/;
/** Incremented by every write, so the cache can tell a newer image from an older one. Never a condition. */
const REVISION_ATTRIBUTE = 'rev';

const leaseAttribute = (slot: number): string => `${LEASE_ATTRIBUTE_PREFIX}${slot}`;

interface CachedItem {
  readonly state: GateState;
  readonly revision: number;
  /** Clock time the image was read or written. */
  readonly readAt: number;
}

/** DynamoDB request pieces for one conditional UpdateItem. */
export interface UpdateExpressionParts {
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * Translates a {@link GatePatch} into one UpdateItem: every condition becomes a clause of the condition
 * expression (with the semantics of `conditionHolds`), and every write also bumps the item's revision.
 * `leaseValue` is the stored value of the lease the patch takes, if any.
 */
export function toUpdateExpression(patch: GatePatch, leaseValue?: string): UpdateExpressionParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const name = (attribute: string): string => {
    const placeholder = `#${attribute}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  let counter = 0;
  const value = (v: unknown): string => {
    const placeholder = `:v${counter++}`;
    values[placeholder] = v;
    return placeholder;
  };

  const clause = (condition: GateCondition): string => {
    switch (condition.kind) {
      case 'slot-free': {
        const slot = name(leaseAttribute(condition.slot));
        return `(attribute_not_exists(${slot}) OR ${slot} < ${value(freeBelow(condition.now))})`;
      }
      case 'slot-held':
        return `${name(leaseAttribute(condition.slot))} = ${value(condition.token)}`;
      case 'equals':
        return condition.value === undefined
          ? `attribute_not_exists(${name(condition.attribute)})`
          : `${name(condition.attribute)} = ${value(condition.value)}`;
      case 'absent-or-at-most': {
        const a = name(condition.attribute);
        return `(attribute_not_exists(${a}) OR ${a} <= ${value(condition.value)})`;
      }
      case 'absent-or-below': {
        const a = name(condition.attribute);
        return `(attribute_not_exists(${a}) OR ${a} < ${value(condition.value)})`;
      }
      case 'at-least':
        return `${name(condition.attribute)} >= ${value(condition.value)}`;
      case 'above':
        return `${name(condition.attribute)} > ${value(condition.value)}`;
      case 'at-most':
        return `${name(condition.attribute)} <= ${value(condition.value)}`;
    }
  };
  const conditions = patch.conditions.map(clause);

  const sets = Object.entries(patch.set).map(([attribute, v]) => `${name(attribute)} = ${value(v)}`);
  if (patch.takeSlot !== undefined) {
    if (leaseValue === undefined) throw new GateStoreError('a patch that takes a slot needs the lease value to store');
    sets.push(`${name(leaseAttribute(patch.takeSlot.slot))} = ${value(leaseValue)}`);
  }
  const adds = Object.entries(patch.add).map(([attribute, v]) => `${name(attribute)} ${value(v)}`);
  adds.push(`${name(REVISION_ATTRIBUTE)} ${value(1)}`);
  const removes = patch.remove.map((attribute) => name(attribute));
  if (patch.freeSlot !== undefined) removes.push(name(leaseAttribute(patch.freeSlot)));

  const clauses = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    `ADD ${adds.join(', ')}`,
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ].filter((part) => part !== '');
  return {
    UpdateExpression: clauses.join(' '),
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Reads a gate item (document or wire form) into a {@link GateState}; throws {@link GateStoreError} naming the
 * attribute when the item holds something the gate never writes.
 */
export function itemToState(
  item: Record<string, unknown> | undefined,
  user: string,
): { state: GateState; revision: number } {
  if (item === undefined) return { state: EMPTY_GATE_STATE, revision: 0 };
  const state: Record<string, unknown> = {};
  const leases: Partial<Record<number, LeaseHold>> = {};
  for (const [attribute, raw] of Object.entries(item)) {
    const v = plainValue(raw);
    const slotMatch = LEASE_ATTRIBUTE.exec(attribute);
    if (slotMatch?.[1] !== undefined) {
      if (typeof v !== 'string') {
        throw new GateStoreError(`gate item of user "${user}": attribute ${attribute} must be a lease string`);
      }
      try {
        leases[Number(slotMatch[1])] = { expiresAt: parseLease(v).expiresAt, token: v };
      } catch (error) {
        if (error instanceof LeaseFormatError) {
          throw new GateStoreError(`gate item of user "${user}": attribute ${attribute}: ${error.message}`);
        }
        throw error;
      }
    } else if ((GATE_NUMBER_ATTRIBUTES as readonly string[]).includes(attribute)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new GateStoreError(
          `gate item of user "${user}": attribute ${attribute} must be a number, got ${String(v)}`,
        );
      }
      state[attribute] = v;
    }
  }
  const revision = plainValue(item[REVISION_ATTRIBUTE]);
  return {
    state: { ...state, leases } as GateState,
    revision: typeof revision === 'number' ? revision : 0,
  };
}

/**
 * The state as this instance's callers should see it: slots another of its callers is taking right now count
 * as held, so concurrent callers in one process do not race each other for the same slot.
 */
function withClaims(state: GateState, claiming: ReadonlySet<number>, now: number, config: GateConfig): GateState {
  if (claiming.size === 0) return state;
  const leases: Partial<Record<number, LeaseHold>> = { ...state.leases };
  for (const slot of claiming) leases[slot] = { expiresAt: now + config.leases.ttlMs, token: 'claiming' };
  return { ...state, leases };
}

function randomOwner(): string {
  return randomBytes(9).toString('base64url');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The gate kept in DynamoDB: one item per user, changed only by conditional UpdateItems whose conditions state
 * the rule they rely on (slot free, not cooling down, budget left, circuit closed). Each instance caches the
 * last image it saw of every user's item, so an admission normally costs one write; when another caller got
 * there first, the write's failure returns the current image and the decision is made again from it.
 */
export class DynamoDbGateStore implements GateStore {
  private readonly tableName: string;
  private readonly config: GateConfig;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly cacheMaxAgeMs: number;
  private readonly budgetWaitCacheMaxAgeMs: number;
  private readonly observer: GateObserver | undefined;
  /** DynamoDB failures in a row (not refused conditions): the suggested wait doubles with each. */
  private unavailableStreak = 0;
  private readonly cache = new Map<string, CachedItem>();
  private readonly releaseWaiters = new Map<string, Set<() => void>>();
  /** Slots this instance is writing a lease into right now, per user: its other callers pick other slots. */
  private readonly claiming = new Map<string, Set<number>>();
  private requests = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbGateStoreOptions,
  ) {
    if (options.tableName.trim() === '') throw new GateStoreError('tableName must not be empty');
    this.tableName = options.tableName;
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 8;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new GateStoreError(`maxAttempts must be an integer ≥ 1, got ${options.maxAttempts}`);
    }
    this.cacheMaxAgeMs = options.cacheMaxAgeMs ?? 100;
    this.budgetWaitCacheMaxAgeMs = options.budgetWaitCacheMaxAgeMs ?? 1000;
    this.observer = options.observer;
  }

  /** DynamoDB requests this store has made (reads and writes), for requests-per-intent figures. */
  get requestCount(): number {
    return this.requests;
  }

  async acquire(
    user: string,
    lane: Lane,
    now: number = this.clock(),
    returning?: ReturnedLease,
  ): Promise<Lease | Wait> {
    checkUser(user);
    if (!isLane(lane)) throw new GateStoreError(`unknown lane "${String(lane)}"`);
    if (returning !== undefined) {
      checkLease(returning.lease, this.config);
      checkResult(returning.result);
      if (returning.lease.user !== user) {
        throw new GateStoreError(
          `a lease of user "${returning.lease.user}" cannot be returned with an admission of user "${user}"`,
        );
      }
      const lease = await this.acquireReturning(returning, lane, now);
      if (lease !== undefined) return lease;
      await this.release(returning.lease, returning.result, now);
    }
    return this.admit(user, lane, now);
  }

  /**
   * Returns a lease and takes the next one in one conditional UpdateItem: the release is decided on the cached
   * image, the admission on the image the release leaves, and the two patches are composed. Undefined (nothing
   * written, the lease still held) when the admission must wait, the two cannot be one write, the cached image
   * does not show the lease as ours, or concurrent writes overtook every attempt: the caller then releases on its
   * own.
   */
  private async acquireReturning(returning: ReturnedLease, lane: Lane, now: number): Promise<Lease | undefined> {
    const { lease, result } = returning;
    const user = lease.user;
    let state = this.cache.get(user)?.state;
    const outcome = { ...result, lane: lease.lane, slot: lease.slot, leaseToken: lease.token, now };
    const claiming = this.claiming.get(user) ?? new Set<number>();
    this.claiming.set(user, claiming);
    for (let writes = 0; writes < this.maxAttempts; writes++) {
      if (state === undefined || state.leases[lease.slot]?.token !== lease.token) return undefined;
      const returned = decideRelease(state, outcome, this.config, this.random);
      const after = applyPatch(state, returned);
      const admission = decideAdmission(
        withClaims(after, claiming, now, this.config),
        { lane, now },
        this.config,
        this.random,
      );
      if (admission.kind === 'wait') return undefined;
      const plan = composePatches(returned, admission.plan, after);
      if (plan === undefined) return undefined;
      const expiresAt = plan.takeSlot?.expiresAt ?? now + this.config.leases.ttlMs;
      const token = formatLease(expiresAt, randomOwner());
      claiming.add(admission.slot);
      let written: Awaited<ReturnType<DynamoDbGateStore['update']>>;
      try {
        written = await this.update(user, plan, token);
      } finally {
        claiming.delete(admission.slot);
      }
      this.notifyRelease(user);
      state = written.image.state;
      if (written.written) {
        this.reportClamped(user, result, now);
        return this.leaseOf(user, lane, admission.slot, token, expiresAt, state, now);
      }
    }
    return undefined;
  }

  /** The lease just written into `slot`, with the in-flight count and budget estimate of the image it left. */
  private leaseOf(
    user: string,
    lane: Lane,
    slot: number,
    token: string,
    expiresAt: number,
    state: GateState,
    now: number,
  ): Lease {
    return {
      kind: 'lease',
      user,
      lane,
      slot,
      token,
      expiresAt,
      inFlight: countInFlight(state, now, this.config),
      remainingEstimate: estimateRemaining(state, now, this.config),
    };
  }

  private async admit(user: string, lane: Lane, now: number): Promise<Lease | Wait> {
    let cached = this.cache.get(user);
    let state = cached?.state ?? EMPTY_GATE_STATE;
    let reread = false;
    let writes = 0;
    const claiming = this.claiming.get(user) ?? new Set<number>();
    this.claiming.set(user, claiming);
    while (writes < this.maxAttempts) {
      const admission = decideAdmission(
        withClaims(state, claiming, now, this.config),
        { lane, now },
        this.config,
        this.random,
      );
      if (admission.kind === 'wait') {
        const lengthenedOnly = admission.reason === 'budget' || admission.reason === 'cooldown';
        const maxAgeMs = lengthenedOnly ? this.budgetWaitCacheMaxAgeMs : this.cacheMaxAgeMs;
        const stale = cached !== undefined && this.clock() - cached.readAt > maxAgeMs;
        if (stale && !reread) {
          reread = true;
          cached = await this.read(user);
          state = cached.state;
          continue;
        }
        return { kind: 'wait', untilMs: admission.untilMs, reason: admission.reason };
      }
      const { plan } = admission;
      const expiresAt = plan.takeSlot?.expiresAt ?? now + this.config.leases.ttlMs;
      const token = formatLease(expiresAt, randomOwner());
      writes++;
      claiming.add(admission.slot);
      let result: Awaited<ReturnType<DynamoDbGateStore['update']>>;
      try {
        result = await this.update(user, plan, token);
      } finally {
        claiming.delete(admission.slot);
      }
      if (!result.written) this.notifyRelease(user); // the slot this caller claimed is open to the others again
      cached = result.image;
      state = cached.state;
      if (result.written) return this.leaseOf(user, lane, admission.slot, token, expiresAt, state, now);
    }
    // Lost every race: come back very shortly rather than hammer the item.
    return { kind: 'wait', untilMs: now + 5 + Math.floor(this.random() * 20), reason: 'lease' };
  }

  async release(lease: Lease, result: UpstreamResult, now: number = this.clock()): Promise<void> {
    checkLease(lease, this.config);
    checkResult(result);
    let cached = this.cache.get(lease.user);
    if (cached === undefined || cached.state.leases[lease.slot]?.token !== lease.token) {
      // Not ours in the image we hold: make sure from the table before deciding not to free the slot.
      cached = await this.read(lease.user);
    }
    let state = cached.state;
    const outcome = { ...result, lane: lease.lane, slot: lease.slot, leaseToken: lease.token, now };
    this.reportClamped(lease.user, result, now);
    try {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        const patch = decideRelease(state, outcome, this.config, this.random);
        if (isEmptyPatch(patch)) return;
        const written = await this.update(lease.user, patch);
        if (written.written) return;
        state = written.image.state;
      }
      throw new GateStoreError(
        `could not release lease ${lease.slot} of user "${lease.user}": ${this.maxAttempts} conditional writes were overtaken by concurrent ones`,
      );
    } finally {
      this.notifyRelease(lease.user);
    }
  }

  async knownWait(user: string, lane: Lane, now: number = this.clock()): Promise<Wait | undefined> {
    checkUser(user);
    if (!isLane(lane)) throw new GateStoreError(`unknown lane "${String(lane)}"`);
    const cached = this.cache.get(user);
    if (cached === undefined) return undefined;
    const shown = this.lengthenedOnlyWait(cached.state, lane, now);
    if (shown === undefined || this.clock() - cached.readAt <= this.budgetWaitCacheMaxAgeMs) return shown;
    return this.lengthenedOnlyWait((await this.read(user)).state, lane, now);
  }

  /** The wait a state decides for `lane` when it is a cool-down or the budget (waits others can only lengthen). */
  private lengthenedOnlyWait(state: GateState, lane: Lane, now: number): Wait | undefined {
    const admission = decideAdmission(state, { lane, now }, this.config, this.random);
    if (admission.kind !== 'wait' || (admission.reason !== 'budget' && admission.reason !== 'cooldown'))
      return undefined;
    return { kind: 'wait', untilMs: admission.untilMs, reason: admission.reason };
  }

  async snapshot(user: string): Promise<GateState> {
    checkUser(user);
    return (await this.read(user)).state;
  }

  waitForRelease(user: string, maxWaitMs: number): Promise<void> {
    checkUser(user);
    if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) {
      throw new GateStoreError(`maxWaitMs must be a non-negative number, got ${maxWaitMs}`);
    }
    return new Promise((resolve) => {
      const waiters = this.releaseWaiters.get(user) ?? new Set<() => void>();
      this.releaseWaiters.set(user, waiters);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      timer.unref?.();
      waiters.add(done);
    });
  }

  private reportClamped(user: string, result: UpstreamResult, now: number): void {
    if (this.observer === undefined) return;
    for (const clamp of clampedHeaders(result.headers, now, this.config)) {
      try {
        this.observer.headerClamped(user, clamp.header, clamp.statedMs, clamp.usedMs);
      } catch {
        // An observer failing must not fail the release.
      }
    }
  }

  /** The error to raise for a DynamoDB failure: a wait when waiting may fix it, else a plain store error. */
  private failure(what: string, error: unknown): GateStoreError {
    const name = (error as { name?: unknown })?.name;
    const message = `${what} failed: ${describe(error)}`;
    if (typeof name === 'string' && PERMANENT_ERRORS.has(name)) return new GateStoreError(message, { cause: error });
    this.unavailableStreak++;
    const retryAfterMs = Math.min(
      UNAVAILABLE_MAX_WAIT_MS,
      UNAVAILABLE_FIRST_WAIT_MS * 2 ** (this.unavailableStreak - 1),
    );
    return new GateUnavailableError(message, retryAfterMs, { cause: error });
  }

  private notifyRelease(user: string): void {
    const waiters = this.releaseWaiters.get(user);
    if (waiters === undefined) return;
    for (const wake of [...waiters]) wake();
  }

  /** Keeps the newest image of a user's item and returns the one just seen. */
  private remember(user: string, item: Record<string, unknown> | undefined): CachedItem {
    const { state, revision } = itemToState(item, user);
    const seen: CachedItem = { state, revision, readAt: this.clock() };
    const current = this.cache.get(user);
    if (current === undefined || revision >= current.revision) this.cache.set(user, seen);
    return seen;
  }

  private async read(user: string): Promise<CachedItem> {
    this.requests++;
    try {
      const output = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: gateKey(user) },
          ConsistentRead: true,
        }),
      );
      this.unavailableStreak = 0;
      return this.remember(user, output.Item);
    } catch (error) {
      if (error instanceof GateStoreError) throw error;
      throw this.failure(`reading the gate of user "${user}" from table ${this.tableName}`, error);
    }
  }

  /** One conditional UpdateItem; on a failed condition, the item's current image instead. */
  private async update(
    user: string,
    patch: GatePatch,
    leaseValue?: string,
  ): Promise<{ written: boolean; image: CachedItem }> {
    this.requests++;
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: gateKey(user) },
          ...toUpdateExpression(patch, leaseValue),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.unavailableStreak = 0;
      return { written: true, image: this.remember(user, output.Attributes) };
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as { name?: unknown })?.name === 'ConditionalCheckFailedException'
      ) {
        this.unavailableStreak = 0;
        const item = (error as { Item?: Record<string, unknown> }).Item;
        return { written: false, image: this.remember(user, item) };
      }
      if (error instanceof GateStoreError) throw error;
      throw this.failure(`updating the gate of user "${user}" in table ${this.tableName}`, error);
    }
  }
}

function checkUser(user: string): void {
  if (typeof user !== 'string' || user.trim() === '') {
    throw new GateStoreError(`user must be a non-empty string, got ${JSON.stringify(user)}`);
  }
}

function checkLease(lease: Lease, config: GateConfig): void {
  checkUser(lease?.user);
  if (!Number.isInteger(lease.slot) || lease.slot < 0 || lease.slot >= config.leases.inFlightCap) {
    throw new GateStoreError(
      `lease slot must be an integer from 0 to ${config.leases.inFlightCap - 1}, got ${lease.slot}`,
    );
  }
  try {
    parseLease(lease.token);
  } catch (error) {
    throw new GateStoreError(`lease of user "${lease.user}" has an invalid token: ${describe(error)}`);
  }
}

function checkResult(result: UpstreamResult): void {
  const { status } = result ?? {};
  const valid =
    status === 'timeout' || (Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599);
  if (!valid) {
    throw new GateStoreError(
      `upstream status must be an HTTP status (100–599) or 'timeout', got ${JSON.stringify(status)}`,
    );
  }
}
