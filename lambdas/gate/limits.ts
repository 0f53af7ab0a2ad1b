import type { GateConfig } from '../shared/config';
import type { GatePatch, GateState } from './types';

/**
 * What the gate knows of a user's per-window limit, and how it learns it when Outreach reports none (no
 * X-RateLimit-Limit): a 429 says the limit is below what was spent when it came; a window without one lets the
 * gate probe a little higher. A limit Outreach reports always wins. Pure.
 */

type LimitConfig = Pick<GateConfig, 'budget'>;

/** Share of the learned limit added per window without a 429 (additive increase, at least one request). */
export const LIMIT_PROBE_SHARE = 0.01;

/**
 * The limits the gate spends against in a fixed window at `now`: up to `confirmed` freely; from there up to
 * `ceiling` one request at a time (a probe), so a limit found there costs at most one 429. Never above the
 * configured limit.
 * - Outreach reported a limit: both are it.
 * - The gate learned one (a 429, or a window spent past it without one): `confirmed` is it; `ceiling` is one step
 *   ({@link LIMIT_PROBE_SHARE}, at least one request) higher once a whole window has passed since it was learned.
 * - Nothing known yet: both are the configured limit × the safety margin (see {@link confirmOnRollover}).
 */
export function budgetLimits(
  state: GateState,
  now: number,
  config: LimitConfig,
): { readonly confirmed: number; readonly ceiling: number } {
  if (state.limit !== undefined) return { confirmed: state.limit, ceiling: state.limit };
  const { limitPerWindow, safetyMargin, windowSeconds } = config.budget;
  const learned = state.learnedLimit;
  if (learned === undefined) {
    const margin = Math.max(1, Math.floor(limitPerWindow * safetyMargin));
    return { confirmed: margin, ceiling: margin };
  }
  const confirmed = Math.max(1, Math.min(learned, limitPerWindow));
  const probing = now - (state.learnedLimitAt ?? now) >= windowSeconds * 1000;
  const step = Math.max(1, Math.ceil(confirmed * LIMIT_PROBE_SHARE));
  return { confirmed, ceiling: probing ? Math.max(confirmed, Math.min(limitPerWindow, confirmed + step)) : confirmed };
}

/**
 * When a window rolls over with no reported limit and no 429 in it, what it spent is allowed: a window that spent
 * the configured limit × the safety margin earns the configured limit itself (the margin only guards the first
 * window), one that spent past a learned limit (its probes all passed) earns what it spent. The learned limit is
 * dated at the window's start, so the next 429 is still the first of its window. Undefined when the window taught
 * nothing.
 */
export function confirmOnRollover(state: GateState, config: LimitConfig): GatePatch | undefined {
  const resetAt = state.windowResetAt;
  if (state.limit !== undefined || resetAt === undefined) return undefined;
  const { limitPerWindow, safetyMargin, windowSeconds } = config.budget;
  const windowStart = resetAt - windowSeconds * 1000;
  if (state.learnedLimitAt !== undefined && state.learnedLimitAt >= windowStart) return undefined; // a 429 came
  const spent = Math.min(state.spent ?? 0, limitPerWindow);
  const learned = state.learnedLimit;
  const margin = Math.max(1, Math.floor(limitPerWindow * safetyMargin));
  const earned =
    learned === undefined ? (spent >= margin ? limitPerWindow : undefined) : spent > learned ? spent : undefined;
  if (earned === undefined || earned === learned) return undefined;
  return {
    conditions: [
      { kind: 'equals', attribute: 'learnedLimit', value: learned },
      { kind: 'equals', attribute: 'learnedLimitAt', value: state.learnedLimitAt },
    ],
    set: { learnedLimit: earned, learnedLimitAt: windowStart },
    add: {},
    remove: [],
  };
}

/**
 * What a 429 teaches about the limit (fixed window, no reported limit, the first 429 of the current window): the
 * limit is below what had been spent when it came, less the requests still in flight (Outreach may have counted
 * them first) and less this one. Never lowered below half of what was spent freely (a 429 of a hidden concurrency
 * cap must not collapse the budget: the in-flight limit handles those). Undefined when there is nothing to learn.
 */
export function learnLimitFrom429(
  state: GateState,
  now: number,
  othersInFlight: number,
  config: Pick<GateConfig, 'budget' | 'timing'>,
): GatePatch | undefined {
  const { refill, windowSeconds, resetSkewMs } = config.budget;
  const resetAt = state.windowResetAt;
  if (refill !== 'fixed-window' || state.limit !== undefined || resetAt === undefined) return undefined;
  if (now >= resetAt + resetSkewMs + config.timing.clockSkewMs) return undefined; // the window is over
  const windowStart = resetAt - windowSeconds * 1000;
  if (state.learnedLimitAt !== undefined && state.learnedLimitAt >= windowStart) return undefined; // learned already
  const { confirmed } = budgetLimits(state, now, config);
  const learned = Math.max(1, Math.floor(confirmed / 2), (state.spent ?? 0) - 1 - othersInFlight);
  return {
    conditions: [
      { kind: 'equals', attribute: 'learnedLimitAt', value: state.learnedLimitAt },
      { kind: 'equals', attribute: 'windowResetAt', value: resetAt },
      { kind: 'equals', attribute: 'limit', value: undefined },
    ],
    set: { learnedLimit: learned, learnedLimitAt: now },
    add: {},
    remove: [],
  };
}
