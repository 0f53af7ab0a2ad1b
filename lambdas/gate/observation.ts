import type { GateConfig } from '../shared/config';
import { criticalRollover, effectiveLimit, rolloverMarginMs } from './admission';
import type { GatePatch, GateState, RateLimitObservation } from './types';

/** What the caller knows besides the response: admissions Outreach has not seen yet. */
export interface ObservationContext {
  /** Leases held right now other than the one whose response this is. @default 0 */
  readonly othersInFlight?: number;
}

type ObservationConfig = Pick<GateConfig, 'budget' | 'timing'>;

/**
 * What one response's rate-limit headers teach the gate. Responses come back out of order, so only facts
 * that are monotonic are recorded: within one window Outreach's `remaining` only falls, across windows its
 * `reset` only rises. A reset within {@link resetMatchToleranceMs} of the known one is the same window (a Reset
 * sent as seconds-until comes back with a second of jitter); a clearly newer reset starts that window, counting
 * the admissions still in flight; the same window can only raise `spent`; an older reset is stale and ignored.
 * Applying the same observations in any order therefore leaves the same state.
 */
export function applyObservation(
  state: GateState,
  observation: RateLimitObservation,
  config: ObservationConfig,
  context: ObservationContext = {},
): GatePatch | undefined {
  return config.budget.refill === 'leaky-bucket'
    ? leakyBucketObservation(state, observation, config)
    : fixedWindowObservation(state, observation, config, context.othersInFlight ?? 0);
}

/**
 * How far apart two reported resets may be and still name the same window: Reset's one-second resolution, the
 * jitter of a seconds-until Reset read at different moments, and the clocks' skew; at most a quarter window.
 */
export function resetMatchToleranceMs(config: ObservationConfig): number {
  const windowMs = config.budget.windowSeconds * 1000;
  return Math.min(1000 + rolloverMarginMs(config), Math.floor(windowMs / 4));
}

/** The spend a response implies: limit − remaining, when both are known. */
function impliedSpent(limit: number | undefined, remaining: number | undefined): number | undefined {
  if (limit === undefined || remaining === undefined) return undefined;
  return Math.max(0, limit - remaining);
}

function learnLimit(state: GateState, observation: RateLimitObservation): GatePatch | undefined {
  if (observation.limit === undefined || observation.limit === state.limit) return undefined;
  return { conditions: [], set: { limit: observation.limit }, add: {}, remove: [] };
}

function fixedWindowObservation(
  state: GateState,
  observation: RateLimitObservation,
  config: ObservationConfig,
  othersInFlight: number,
): GatePatch | undefined {
  const resetAt = observation.resetAtMs;
  // Without a reset we cannot tell which window the numbers belong to: keep only the limit.
  if (resetAt === undefined) return learnLimit(state, observation);
  const tolerance = resetMatchToleranceMs(config);
  const limit = observation.limit ?? state.limit;
  const spent = impliedSpent(limit, observation.remaining);
  const limitSet =
    observation.limit !== undefined && observation.limit !== state.limit ? { limit: observation.limit } : {};
  const known = state.obsResetAt;
  const newer = known === undefined || resetAt > known + tolerance;
  const newerCondition = { kind: 'absent-or-below', attribute: 'obsResetAt', value: resetAt - tolerance } as const;

  if (resetAt + rolloverMarginMs(config) <= observation.observedAt) {
    // A response from a window that had already ended when it arrived: it only outdates older ones.
    return newer ? { conditions: [newerCondition], set: { obsResetAt: resetAt }, add: {}, remove: [] } : undefined;
  }
  if (newer) {
    return newWindow(state, observation, resetAt, { spent: spent ?? 0, othersInFlight }, limitSet, config);
  }
  if (Math.abs(resetAt - known) > tolerance) return undefined; // an older window
  const windowIsReported = state.windowResetAt !== undefined && Math.abs(state.windowResetAt - known) <= tolerance;
  if (!windowIsReported) return undefined;
  const raise = spent !== undefined && spent > (state.spent ?? 0);
  if (!raise && Object.keys(limitSet).length === 0) return undefined;
  return {
    conditions: [
      { kind: 'equals', attribute: 'obsResetAt', value: known },
      { kind: 'equals', attribute: 'windowResetAt', value: state.windowResetAt },
      ...(raise ? [{ kind: 'absent-or-below', attribute: 'spent', value: spent } as const] : []),
    ],
    set: { ...(raise ? { spent } : {}), ...limitSet },
    add: {},
    remove: [],
  };
}

/**
 * A response that opens a newer window. Its `spent` is what Outreach reports plus the admissions still in
 * flight (Outreach has not counted them yet); when the gate had opened a window of its own guess since the last
 * reported reset, every admission in it belongs to the new window too, so nothing it counted is dropped.
 */
/**
 * Opens the window a response reports. Its spend is what Outreach counted plus the admissions still in flight,
 * which Outreach may not have seen yet — unless the gate opened this window on its own guess and counted at least
 * what Outreach reports: its own count already holds every admission, those in flight included, and adding them
 * again would stop callers short of the budget.
 */
function newWindow(
  state: GateState,
  observation: RateLimitObservation,
  resetAt: number,
  reported: { readonly spent: number; readonly othersInFlight: number },
  limitSet: { limit?: number },
  config: ObservationConfig,
): GatePatch {
  const tolerance = resetMatchToleranceMs(config);
  const known = state.obsResetAt;
  const guessed =
    state.windowResetAt !== undefined &&
    (known === undefined || Math.abs(state.windowResetAt - known) > tolerance) &&
    observation.observedAt < state.windowResetAt;
  const counted = state.spent ?? 0;
  const spent = guessed && counted >= reported.spent ? counted : reported.spent + reported.othersInFlight;
  // A window the gate opened itself keeps its critical count; one it had not opened starts the count over.
  const critical = guessed ? {} : { criticalSpent: 0, ...criticalRollover(state, observation.observedAt, config) };
  return {
    conditions: [
      { kind: 'absent-or-below', attribute: 'obsResetAt', value: resetAt - tolerance },
      { kind: 'equals', attribute: 'windowResetAt', value: state.windowResetAt },
      { kind: 'equals', attribute: 'spent', value: state.spent },
      ...(guessed ? [] : [{ kind: 'equals', attribute: 'criticalSpent', value: state.criticalSpent } as const]),
    ],
    set: { obsResetAt: resetAt, windowResetAt: resetAt, spent, ...limitSet, ...critical },
    add: {},
    remove: [],
  };
}

function leakyBucketObservation(
  state: GateState,
  observation: RateLimitObservation,
  config: ObservationConfig,
): GatePatch | undefined {
  const limit = observation.limit ?? state.limit;
  const queued = impliedSpent(limit, observation.remaining);
  const limitPatch = learnLimit(state, observation);
  if (queued === undefined || limit === undefined) return limitPatch;
  // A bucket holding n requests has its theoretical arrival time n emission intervals ahead.
  const interval = (config.budget.windowSeconds * 1000) / effectiveLimit({ ...state, limit }, config);
  const impliedTat = observation.observedAt + queued * interval;
  if (state.tat !== undefined && state.tat >= impliedTat) return limitPatch;
  return {
    conditions: [{ kind: 'absent-or-below', attribute: 'tat', value: impliedTat }],
    set: { tat: impliedTat, ...limitPatch?.set },
    add: {},
    remove: [],
  };
}
