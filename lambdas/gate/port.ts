import type { Lane } from '../shared/names';
import type { GateState, HeaderSource, UpstreamStatus, WaitReason } from './types';

/** Permission to make one upstream request for a user; hand it back with {@link GateStore.release}. */
export interface Lease {
  readonly kind: 'lease';
  readonly user: string;
  readonly lane: Lane;
  readonly slot: number;
  /** The lease's stored value; only its holder can release it. */
  readonly token: string;
  /** Epoch ms after which the slot is free again even if never released. */
  readonly expiresAt: number;
  /** Leases held for this user when this one was taken, this one included (the InFlight metric). */
  readonly inFlight: number;
  /** Estimated requests left in the user's current window after this one (the RemainingBudget metric). */
  readonly remainingEstimate: number;
}

/** Not now: try again at `untilMs` (epoch ms). A wait is a deferral, never a failure. */
export interface Wait {
  readonly kind: 'wait';
  readonly untilMs: number;
  readonly reason: WaitReason;
}

/** How the upstream request made under a lease ended. */
export interface UpstreamResult {
  /** HTTP status, or `'timeout'` when no response arrived (timed out or connection reset). */
  readonly status: UpstreamStatus;
  /** Response headers (X-RateLimit-*, Retry-After); absent when there was no response. */
  readonly headers?: HeaderSource;
}

/** A lease handed back together with the next admission of its user (see {@link GateStore.acquire}). */
export interface ReturnedLease {
  readonly lease: Lease;
  readonly result: UpstreamResult;
}

/**
 * The gate shared by every dispatcher instance: one item per Outreach user holding its cool-down, leases,
 * budget and circuit breaker. `now` defaults to the store's clock.
 */
export interface GateStore {
  /**
   * Takes a lease for one upstream request on `lane`, or says how long to wait and why. With `returning` (a lease
   * of the same user), also returns that lease as {@link release} would: in the same write as the new lease when
   * one is granted, else on its own before the wait is answered. Once this resolves the lease is returned; if it
   * throws, it may not be, and the caller releases it.
   */
  acquire(user: string, lane: Lane, now?: number, returning?: ReturnedLease): Promise<Lease | Wait>;
  /** Returns a lease and records what the response said (rate-limit headers, 429 cool-down, failures). */
  release(lease: Lease, result: UpstreamResult, now?: number): Promise<void>;
  /**
   * The wait the user's item shows for `lane` when it is one that other processes' writes can only lengthen (a
   * cool-down, the spent budget), as far as the store already knows: its recent image answers alone (no request);
   * an older image that shows such a wait is read again first (one read); with no image, undefined. Undefined too
   * when no such wait is shown (then ask {@link acquire}). Lets a record that must wait be deferred before anything
   * is written for it. Optional: a store without it never answers early.
   */
  knownWait?(user: string, lane: Lane, now?: number): Promise<Wait | undefined>;
  /** The user's gate as stored now (a strongly consistent read). */
  snapshot(user: string): Promise<GateState>;
  /**
   * Resolves when a lease of `user` is released in this process, or after `maxWaitMs`: lets a caller told
   * to wait for a lease retry as soon as one is free instead of sleeping until the earliest expiry.
   */
  waitForRelease(user: string, maxWaitMs: number): Promise<void>;
}

/**
 * What the gate store reports besides its answers, for logs and metrics. Every method is optional to implement
 * meaningfully; the store never fails because an observer did.
 */
export interface GateObserver {
  /**
   * A response header asked for a wait beyond `timing.maxHeaderWaitMs`; the gate used `usedMs` instead of
   * `statedMs` (epoch ms). A garbled or hostile header, worth a look.
   */
  headerClamped(user: string, header: string, statedMs: number, usedMs: number): void;
}

/** Raised when the gate cannot do what was asked: bad input, an unreadable item, or DynamoDB failing. */
export class GateStoreError extends Error {
  override readonly name: string = 'GateStoreError';
}

/**
 * DynamoDB is throttling the gate or not answering (an outage, a timeout, a 5xx): nothing was decided, and the
 * caller should wait `retryAfterMs` and ask again — a wait, never a failure of the intent. Errors that no wait
 * will fix (a missing table, denied access, a malformed request or item) stay plain {@link GateStoreError}s.
 */
export class GateUnavailableError extends GateStoreError {
  override readonly name = 'GateUnavailableError';
  constructor(
    message: string,
    /** Suggested wait before the next try: doubles with each failure in a row, from 1 s up to 30 s. */
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
