import type { Lane } from '../shared/names';

/**
 * Types shared by the gate's pure decision functions and its storage adapter. The gate item holds one
 * user's cool-down, leases, budget and circuit state; decisions read a {@link GateState} and return a
 * {@link GatePatch}: the writes to make and the conditions they rely on, so the store can apply them with
 * one conditional write and re-decide if another caller got there first.
 */

/** The numeric attributes of the gate item. */
export const GATE_NUMBER_ATTRIBUTES = [
  'cooldownUntil',
  'windowResetAt',
  'spent',
  'limit',
  'tat',
  'consecutiveFailures',
  'circuitOpenUntil',
  'obsResetAt',
  'inFlightLimit',
  'inFlightLimitAt',
  'throttleStreak',
  'throttledAt',
  'criticalSpent',
  'criticalPrevSpent',
  'learnedLimit',
  'learnedLimitAt',
] as const;

/** One numeric attribute of the gate item. */
export type GateNumberAttribute = (typeof GATE_NUMBER_ATTRIBUTES)[number];

/** A lease held in one slot: when it expires and the stored value that identifies its holder. */
export interface LeaseHold {
  /** Epoch ms after which the slot is free again, whether or not the holder released it. */
  readonly expiresAt: number;
  /** The slot's stored value (`<13-digit expiry>#<owner>`); only the holder knows it. */
  readonly token: string;
}

/** One user's gate as last read: every field is absent until something first writes it. */
export interface GateState {
  /** Epoch ms before which nobody may call Outreach for this user (a 429's cool-down). */
  readonly cooldownUntil?: number;
  /** Leases by slot number (0 ≤ slot < inFlightCap). An absent slot is free. */
  readonly leases: Readonly<Partial<Record<number, LeaseHold>>>;
  /** Fixed window: epoch ms at which the current window resets. */
  readonly windowResetAt?: number;
  /** Fixed window: requests admitted (or reported spent by Outreach) in the current window. */
  readonly spent?: number;
  /** Fixed window: requests `critical` was admitted for in the current window (what its reserve is sized by). */
  readonly criticalSpent?: number;
  /** Fixed window: requests `critical` was admitted for in the window just before, when it immediately preceded. */
  readonly criticalPrevSpent?: number;
  /**
   * Fixed window without a reported limit: the limit a 429 revealed (what was spent when it came, less one), probed
   * upward a little each window since (see `budgetLimits`).
   */
  readonly learnedLimit?: number;
  /** Epoch ms of the 429 that taught {@link learnedLimit}. */
  readonly learnedLimitAt?: number;
  /** The per-window limit Outreach reported in X-RateLimit-Limit. */
  readonly limit?: number;
  /** Leaky bucket: GCRA theoretical arrival time, epoch ms. */
  readonly tat?: number;
  /** Consecutive 5xx/timeouts; reset by any other response. */
  readonly consecutiveFailures?: number;
  /** Epoch ms before which the circuit is open (no calls); re-armed by each half-open probe. */
  readonly circuitOpenUntil?: number;
  /** The newest window reset Outreach reported (epoch ms); stale observations are recognised by it. */
  readonly obsResetAt?: number;
  /**
   * The in-flight limit learned from 429s (AIMD: halved on a 429, one more after each quiet window), below the
   * configured cap; absent when it is the cap.
   */
  readonly inFlightLimit?: number;
  /** Epoch ms the in-flight limit last changed. */
  readonly inFlightLimitAt?: number;
  /** 429s in a row that stated no wait (each escalates the next cool-down); absent after a success. */
  readonly throttleStreak?: number;
  /** Epoch ms of the last 429 recorded: later 429s of requests admitted before it belong to the same episode. */
  readonly throttledAt?: number;
}

/** The state of a user nobody has written yet. */
export const EMPTY_GATE_STATE: GateState = { leases: {} };

/**
 * A condition a write relies on. Each maps to one DynamoDB condition; {@link conditionHolds} in `patch.ts` is
 * the reference semantics the adapter must match.
 */
export type GateCondition =
  /** The attribute equals `value`, or is absent when `value` is undefined. */
  | { readonly kind: 'equals'; readonly attribute: GateNumberAttribute; readonly value: number | undefined }
  /** The attribute is absent or ≤ value. */
  | { readonly kind: 'absent-or-at-most'; readonly attribute: GateNumberAttribute; readonly value: number }
  /** The attribute is absent or < value. */
  | { readonly kind: 'absent-or-below'; readonly attribute: GateNumberAttribute; readonly value: number }
  /** The attribute is present and ≥ value. */
  | { readonly kind: 'at-least'; readonly attribute: GateNumberAttribute; readonly value: number }
  /** The attribute is present and > value. */
  | { readonly kind: 'above'; readonly attribute: GateNumberAttribute; readonly value: number }
  /** The attribute is present and ≤ value. */
  | { readonly kind: 'at-most'; readonly attribute: GateNumberAttribute; readonly value: number }
  /** The slot is free at `now`: no lease, or one that expired at or before `now`. */
  | { readonly kind: 'slot-free'; readonly slot: number; readonly now: number }
  /** The slot still holds exactly this lease. */
  | { readonly kind: 'slot-held'; readonly slot: number; readonly token: string };

/** What to write to the gate item, and the conditions under which the write is still right. */
export interface GatePatch {
  readonly conditions: readonly GateCondition[];
  /** Attributes to overwrite. */
  readonly set: Readonly<Partial<Record<GateNumberAttribute, number>>>;
  /** Attributes to increment (an absent attribute counts as 0). */
  readonly add: Readonly<Partial<Record<GateNumberAttribute, number>>>;
  /** Attributes to delete. */
  readonly remove: readonly GateNumberAttribute[];
  /** Take a lease in this slot, expiring at `expiresAt`; the store adds a random owner. */
  readonly takeSlot?: { readonly slot: number; readonly expiresAt: number };
  /** Free this slot (its `slot-held` condition makes sure the lease is still ours). */
  readonly freeSlot?: number;
}

/** Why a caller must wait (the `Reason` of a deferral). */
export type WaitReason = 'cooldown' | 'lease' | 'budget' | 'circuit';

/** The gate's answer to "may I call Outreach now?". */
export type Admission =
  | { readonly kind: 'admit'; readonly slot: number; readonly plan: GatePatch }
  | { readonly kind: 'wait'; readonly untilMs: number; readonly reason: WaitReason };

/** A request for admission. */
export interface AdmissionRequest {
  readonly lane: Lane;
  readonly now: number;
}

/** What one Outreach response said about the budget. Absent fields were missing or unreadable. */
export interface RateLimitObservation {
  readonly limit?: number;
  readonly remaining?: number;
  /** Epoch ms at which the window resets. */
  readonly resetAtMs?: number;
  /** Epoch ms at which the response was received. */
  readonly observedAt: number;
}

/**
 * Response headers as any HTTP client gives them: a Fetch `Headers` (or anything with `get`), or a plain
 * record whose keys may be in any case (Node's `IncomingHttpHeaders`, a test's literal).
 */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | number | readonly string[] | undefined>>;

/**
 * How an upstream request ended: an HTTP status, or `'timeout'` when no response arrived (timed out,
 * connection reset). Timeouts count as failures like 5xx.
 */
export type UpstreamStatus = number | 'timeout';

/** Everything a release needs to decide what the response teaches. */
export interface ReleaseOutcome {
  readonly status: UpstreamStatus;
  readonly headers?: HeaderSource;
  readonly lane: Lane;
  readonly slot: number;
  /** The stored value of the lease being released. */
  readonly leaseToken: string;
  readonly now: number;
}
