import type { GateConfig } from '../shared/config';
import type { Lane } from '../shared/names';
import { budgetLimits, confirmOnRollover } from './limits';
import { mergePatches } from './patch';
import type { Admission, AdmissionRequest, GatePatch, GateState, WaitReason } from './types';

/**
 * The admission rule: may one more request for this user go to Outreach now, and if so, which write takes
 * the lease and spends the budget. Pure: the same state, time, config and random source give the same answer.
 * Each admit's plan carries the conditions the decision relied on, expressed as rules ("the slot is free",
 * "fewer than N spent in this window") rather than a version number, so concurrent callers only collide when
 * they really compete for the same thing.
 */

type BudgetConfig = Pick<GateConfig, 'budget'>;

/**
 * The per-window limit the gate spends against freely: what Outreach reported, else what a 429 taught (see
 * `limits.ts`), else the configured limit times the safety margin (at least 1).
 */
export function effectiveLimit(state: GateState, config: BudgetConfig): number {
  if (state.limit !== undefined) return state.limit;
  if (state.learnedLimit !== undefined) return state.learnedLimit;
  return Math.max(1, Math.floor(config.budget.limitPerWindow * config.budget.safetyMargin));
}

/**
 * Requests of each window only `critical` may spend. Capped at `limit − 1` so the other lanes can always
 * spend at least one request per window.
 */
export function budgetReserve(limit: number, config: BudgetConfig): number {
  return Math.max(0, Math.min(Math.ceil(limit * config.budget.criticalReserve), limit - 1));
}

/**
 * Margin after a reported window reset before the next window is spent: Reset's one-second resolution plus
 * the clock skew (the reset was written by another process, on another clock).
 */
export function rolloverMarginMs(config: Pick<GateConfig, 'budget' | 'timing'>): number {
  return config.budget.resetSkewMs + config.timing.clockSkewMs;
}

/**
 * Whether a lease counts as held at `now`. Another process wrote its expiry on its own clock, so it is held
 * until the clock skew after it.
 */
export function leaseHeld(lease: { readonly expiresAt: number } | undefined, now: number, skewMs: number): boolean {
  return lease !== undefined && lease.expiresAt + skewMs > now;
}

/** Leases held (not expired, allowing for clock skew) at `now`, across every slot of the cap. */
export function countInFlight(state: GateState, now: number, config: Pick<GateConfig, 'leases' | 'timing'>): number {
  let held = 0;
  for (let slot = 0; slot < config.leases.inFlightCap; slot++) {
    if (leaseHeld(state.leases[slot], now, config.timing.clockSkewMs)) held++;
  }
  return held;
}

/** The in-flight limit in force: the one learned from 429s (see release), else the configured cap. */
export function inFlightLimit(state: GateState, config: Pick<GateConfig, 'leases'>): number {
  const cap = config.leases.inFlightCap;
  return Math.max(1, Math.min(cap, state.inFlightLimit ?? cap));
}

/** Estimated requests the user may still send in the current window (or bucket) at `now`. */
export function estimateRemaining(
  state: GateState,
  now: number,
  config: Pick<GateConfig, 'budget' | 'timing'>,
): number {
  const limit = effectiveLimit(state, config);
  if (config.budget.refill === 'leaky-bucket') {
    const interval = (config.budget.windowSeconds * 1000) / limit;
    const queued = Math.max(0, (state.tat ?? now) - now) / interval;
    return Math.max(0, Math.floor(limit - queued));
  }
  const active = state.windowResetAt !== undefined && now < state.windowResetAt + rolloverMarginMs(config);
  return Math.max(0, limit - (active ? (state.spent ?? 0) : 0));
}

type Wait = Extract<Admission, { kind: 'wait' }>;
type Step = { kind: 'ok'; patch: GatePatch } | Wait;

const wait = (untilMs: number, reason: WaitReason): Wait => ({ kind: 'wait', untilMs, reason });

function cooldownStep(state: GateState, now: number, skewMs: number): Step {
  // Written by another process on its own clock: over only once the skew has passed too.
  if (state.cooldownUntil !== undefined && now < state.cooldownUntil + skewMs) {
    return wait(state.cooldownUntil + skewMs, 'cooldown');
  }
  return {
    kind: 'ok',
    patch: {
      conditions: [{ kind: 'absent-or-at-most', attribute: 'cooldownUntil', value: now - skewMs }],
      set: {},
      add: {},
      remove: [],
    },
  };
}

function circuitStep(state: GateState, now: number, config: Pick<GateConfig, 'circuitBreaker'>): Step {
  const { failureThreshold, openMs } = config.circuitBreaker;
  if (state.circuitOpenUntil !== undefined && now < state.circuitOpenUntil) {
    return wait(state.circuitOpenUntil, 'circuit');
  }
  if ((state.consecutiveFailures ?? 0) >= failureThreshold) {
    // Half-open: this caller is the one probe. Re-arming the circuit, conditioned on the value we saw,
    // makes every concurrent caller find it open again.
    return {
      kind: 'ok',
      patch: {
        conditions: [{ kind: 'equals', attribute: 'circuitOpenUntil', value: state.circuitOpenUntil }],
        set: { circuitOpenUntil: now + openMs },
        add: {},
        remove: [],
      },
    };
  }
  return {
    kind: 'ok',
    patch: {
      conditions: [
        { kind: 'absent-or-at-most', attribute: 'circuitOpenUntil', value: now },
        { kind: 'absent-or-below', attribute: 'consecutiveFailures', value: failureThreshold },
      ],
      set: {},
      add: {},
      remove: [],
    },
  };
}

/**
 * The slots a lane may use, in order of preference: critical prefers the reserved ones. Under a learned
 * in-flight limit L below the cap, only L slots are usable: the first ones of the shared group and the last
 * ones of the reserved group (critical keeps its reserve while L leaves the other lanes at least one).
 */
function slotGroups(lane: Lane, limit: number, config: Pick<GateConfig, 'leases'>): number[][] {
  const { inFlightCap, criticalReserve } = config.leases;
  const reserve = Math.min(criticalReserve, limit - 1);
  const shared = Array.from({ length: limit - reserve }, (_, i) => i);
  if (lane !== 'critical') return [shared];
  const reserved = Array.from({ length: reserve }, (_, i) => inFlightCap - reserve + i);
  return [reserved, shared];
}

function leaseStep(
  state: GateState,
  lane: Lane,
  now: number,
  config: Pick<GateConfig, 'leases' | 'timing'>,
  random: () => number,
): Step | { kind: 'slot'; slot: number; patch: GatePatch } {
  const skew = config.timing.clockSkewMs;
  const limit = inFlightLimit(state, config);
  const groups = slotGroups(lane, limit, config);
  const earliestExpiry = (slots: number[]): number =>
    Math.min(...slots.map((slot) => (state.leases[slot]?.expiresAt ?? now - skew) + skew));
  if (limit < config.leases.inFlightCap && countInFlight(state, now, config) >= limit) {
    // Leases taken before the limit was lowered still run: wait until enough of them end.
    const heldSlots = Object.keys(state.leases).map(Number);
    return wait(
      Math.max(now, earliestExpiry(heldSlots.filter((slot) => leaseHeld(state.leases[slot], now, skew)))),
      'lease',
    );
  }
  const limitCondition = { kind: 'equals', attribute: 'inFlightLimit', value: state.inFlightLimit } as const;
  for (const group of groups) {
    const free = group.filter((slot) => !leaseHeld(state.leases[slot], now, skew));
    if (free.length === 0) continue;
    const slot = free[Math.min(free.length - 1, Math.floor(random() * free.length))] as number;
    return {
      kind: 'slot',
      slot,
      patch: {
        conditions: [{ kind: 'slot-free', slot, now: now - skew }, limitCondition],
        set: {},
        add: {},
        remove: [],
        takeSlot: { slot, expiresAt: now + config.leases.ttlMs },
      },
    };
  }
  return wait(earliestExpiry(groups.flat()), 'lease');
}

/**
 * Headroom on critical's projected need: the reserve holds twice what critical would spend for the rest of the
 * window at the rate it has been spending, so a burst of urgent work still finds room.
 */
export const CRITICAL_RESERVE_HEADROOM = 2;

type ReserveConfig = Pick<GateConfig, 'budget' | 'leases'>;

/**
 * Requests of the window `critical` is still expected to need at `now` (fixed window): its rate so far in this
 * window, or in the window before if that was higher, times the time left, with {@link CRITICAL_RESERVE_HEADROOM}
 * and a floor of critical's reserved leases (at least one) so a first urgent request never waits. Never more than
 * the configured reserve, and nothing once within `reserveReleaseMs` of the reset, so the window ends spent. With
 * no critical use it only shrinks as the reset nears. Pure.
 */
export function heldReserve(state: GateState, now: number, config: ReserveConfig): number {
  const resetAt = state.windowResetAt;
  const configured = budgetReserve(effectiveLimit(state, config), config);
  if (resetAt === undefined) return configured;
  if (now >= resetAt - config.budget.reserveReleaseMs) return 0;
  const windowMs = config.budget.windowSeconds * 1000;
  const elapsed = Math.max(1, now - (resetAt - windowMs));
  const left = resetAt - now;
  // Products before the division, so whole-number cases come out exact.
  const projected = Math.max(
    (CRITICAL_RESERVE_HEADROOM * (state.criticalSpent ?? 0) * left) / elapsed,
    (CRITICAL_RESERVE_HEADROOM * (state.criticalPrevSpent ?? 0) * left) / windowMs,
  );
  const floor = Math.max(1, config.leases.criticalReserve);
  return Math.min(configured, Math.ceil(projected) + floor);
}

/**
 * The earliest time from `now` at which the held reserve leaves a non-critical lane room for one more request
 * (`spent < limit − heldReserve`), given no further critical use: the reserve only shrinks with time, so a
 * binary search over the window finds it. At the latest, the reserve's release.
 */
function reserveShrinksAt(state: GateState, now: number, limit: number, spent: number, config: ReserveConfig): number {
  const releaseAt = (state.windowResetAt ?? now) - config.budget.reserveReleaseMs;
  let low = now;
  let high = Math.max(now, releaseAt);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (spent < limit - heldReserve(state, middle, config)) high = middle;
    else low = middle;
  }
  return high;
}

/** Rolls the critical counts over to a new window: this window's becomes the previous one if it just ended. */
export function criticalRollover(
  state: GateState,
  now: number,
  config: Pick<GateConfig, 'budget'>,
): { readonly criticalPrevSpent: number } {
  const resetAt = state.windowResetAt;
  const adjacent = resetAt !== undefined && now < resetAt + config.budget.windowSeconds * 1000;
  return { criticalPrevSpent: adjacent ? (state.criticalSpent ?? 0) : 0 };
}

function fixedWindowStep(
  state: GateState,
  lane: Lane,
  now: number,
  config: Pick<GateConfig, 'budget' | 'timing' | 'leases'>,
): Step {
  const { windowSeconds } = config.budget;
  const margin = rolloverMarginMs(config);
  const resetAt = state.windowResetAt;
  const critical = lane === 'critical';
  if (resetAt === undefined || now >= resetAt + margin) {
    // The window has rolled over (or never started): this admit opens the next one.
    const nextReset =
      state.obsResetAt !== undefined && state.obsResetAt > now ? state.obsResetAt : now + windowSeconds * 1000;
    return {
      kind: 'ok',
      patch: mergePatches(
        {
          conditions: [
            { kind: 'equals', attribute: 'windowResetAt', value: resetAt },
            { kind: 'equals', attribute: 'criticalSpent', value: state.criticalSpent },
          ],
          set: {
            windowResetAt: nextReset,
            spent: 1,
            criticalSpent: critical ? 1 : 0,
            ...criticalRollover(state, now, config),
          },
          add: {},
          remove: [],
        },
        confirmOnRollover(state, config),
      ),
    };
  }
  const spent = state.spent ?? 0;
  const { confirmed, ceiling } = budgetLimits(state, now, config);
  const reserve = critical ? 0 : heldReserve(state, now, config);
  const allowance = ceiling - reserve;
  if (spent < allowance) {
    const probe = spent >= confirmed;
    if (probe && countInFlight(state, now, config) > 0) {
      // Beyond what is known to be allowed, one request at a time: a limit found there costs one 429.
      return wait(earliestLeaseEnd(state, now, config), 'lease');
    }
    return {
      kind: 'ok',
      patch: {
        conditions: [
          { kind: 'equals', attribute: 'windowResetAt', value: resetAt },
          { kind: 'equals', attribute: 'limit', value: state.limit },
          { kind: 'equals', attribute: 'learnedLimitAt', value: state.learnedLimitAt },
          { kind: 'absent-or-below', attribute: 'spent', value: probe ? spent + 1 : Math.min(allowance, confirmed) },
          // The reserve was sized by critical's use so far: more of it since would have held more back.
          ...(reserve > 0
            ? [{ kind: 'absent-or-at-most', attribute: 'criticalSpent', value: state.criticalSpent ?? 0 } as const]
            : []),
          ...(probe ? allSlotsFree(now, config) : []),
        ],
        set: {},
        add: critical ? { spent: 1, criticalSpent: 1 } : { spent: 1 },
        remove: [],
      },
    };
  }
  const blockedOnlyByReserve = spent < ceiling;
  return wait(blockedOnlyByReserve ? reserveShrinksAt(state, now, ceiling, spent, config) : resetAt + margin, 'budget');
}

/** When the first of the leases held at `now` ends (allowing for the clock skew). */
function earliestLeaseEnd(state: GateState, now: number, config: Pick<GateConfig, 'leases' | 'timing'>): number {
  const skew = config.timing.clockSkewMs;
  const ends = Object.values(state.leases)
    .filter((lease): lease is NonNullable<typeof lease> => leaseHeld(lease, now, skew))
    .map((lease) => lease.expiresAt + skew);
  return ends.length === 0 ? now : Math.min(...ends);
}

/** Conditions that no lease is held in any slot at `now` (a probe goes alone). */
function allSlotsFree(now: number, config: Pick<GateConfig, 'leases' | 'timing'>) {
  return Array.from({ length: config.leases.inFlightCap }, (_, slot) => ({
    kind: 'slot-free' as const,
    slot,
    now: now - config.timing.clockSkewMs,
  }));
}

/**
 * Leaky bucket: the reserve shortens only the burst depth bulk may use, never the leak rate, so an unused reserve
 * wastes nothing and stays fixed (unlike a fixed window's, which would be lost at the reset).
 */
function leakyBucketStep(state: GateState, lane: Lane, now: number, config: BudgetConfig): Step {
  const limit = effectiveLimit(state, config);
  const reserve = budgetReserve(limit, config);
  const interval = (config.budget.windowSeconds * 1000) / limit;
  const tolerance = (lane === 'critical' ? limit - 1 : limit - 1 - reserve) * interval;
  const limitCondition = { kind: 'equals', attribute: 'limit', value: state.limit } as const;
  const tat = state.tat;
  if (tat === undefined || tat <= now) {
    return {
      kind: 'ok',
      patch: {
        conditions: [{ kind: 'absent-or-at-most', attribute: 'tat', value: now }, limitCondition],
        set: { tat: now + interval },
        add: {},
        remove: [],
      },
    };
  }
  if (tat - now <= tolerance) {
    return {
      kind: 'ok',
      patch: {
        conditions: [
          { kind: 'above', attribute: 'tat', value: now },
          { kind: 'at-most', attribute: 'tat', value: now + tolerance },
          limitCondition,
        ],
        set: {},
        add: { tat: interval },
        remove: [],
      },
    };
  }
  return wait(tat - tolerance, 'budget');
}

/**
 * Decides whether a request on `lane` may go to Outreach at `now`: admitted with a lease slot and the
 * conditional write that takes it, or told to wait until a time and why. When several things block, the
 * wait is until the latest of them (nothing can be admitted sooner).
 */
export function decideAdmission(
  state: GateState,
  request: AdmissionRequest,
  config: GateConfig,
  random: () => number = Math.random,
): Admission {
  const { lane, now } = request;
  const cooldown = cooldownStep(state, now, config.timing.clockSkewMs);
  const circuit = circuitStep(state, now, config);
  const lease = leaseStep(state, lane, now, config, random);
  const budget =
    config.budget.refill === 'leaky-bucket'
      ? leakyBucketStep(state, lane, now, config)
      : fixedWindowStep(state, lane, now, config);

  const waits = [cooldown, circuit, lease, budget].filter((step): step is Wait => step.kind === 'wait');
  if (waits.length > 0) {
    return waits.reduce((latest, next) => (next.untilMs > latest.untilMs ? next : latest));
  }
  if (lease.kind !== 'slot' || cooldown.kind !== 'ok' || circuit.kind !== 'ok' || budget.kind !== 'ok') {
    throw new Error('unreachable: every admission step either waits or admits');
  }
  return {
    kind: 'admit',
    slot: lease.slot,
    plan: mergePatches(cooldown.patch, circuit.patch, lease.patch, budget.patch),
  };
}
