import type { GateConfig } from '../shared/config';
import { effectiveLimit } from './admission';
import type { GatePatch, GateState, RateLimitObservation } from './types';

/**
 * What one response's rate-limit headers teach the gate. Responses come back out of order, so only facts
 * that are monotonic are recorded: within one window Outreach's `remaining` only falls, across windows its
 * `reset` only rises. A newer reset starts that window; the same reset can only raise `spent`; an older reset
 * is stale and ignored. Applying the same observations in any order therefore leaves the same state.
 */
export function applyObservation(
  state: GateState,
  observation: RateLimitObservation,
  config: Pick<GateConfig, 'budget'>,
): GatePatch | undefined {
  return config.budget.refill === 'leaky-bucket'
    ? leakyBucketObservation(state, observation, config)
    : fixedWindowObservation(state, observation, config);
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
  config: Pick<GateConfig, 'budget'>,
): GatePatch | undefined {
  const resetAt = observation.resetAtMs;
  // Without a reset we cannot tell which window the numbers belong to: keep only the limit.
  if (resetAt === undefined) return learnLimit(state, observation);
  const limit = observation.limit ?? state.limit;
  const spent = impliedSpent(limit, observation.remaining);
  const limitSet =
    observation.limit !== undefined && observation.limit !== state.limit ? { limit: observation.limit } : {};

  if (state.obsResetAt === undefined || resetAt > state.obsResetAt) {
    const newer = { kind: 'absent-or-below', attribute: 'obsResetAt', value: resetAt } as const;
    if (resetAt + config.budget.resetSkewMs <= observation.observedAt) {
      // A response from a window that had already ended when it arrived: it only outdates older ones.
      return { conditions: [newer], set: { obsResetAt: resetAt }, add: {}, remove: [] };
    }
    return {
      conditions: [newer],
      set: { obsResetAt: resetAt, windowResetAt: resetAt, spent: spent ?? 0, ...limitSet },
      add: {},
      remove: [],
    };
  }

  const sameWindow = resetAt === state.obsResetAt && state.windowResetAt === resetAt;
  if (!sameWindow) return undefined;
  const raise = spent !== undefined && spent > (state.spent ?? 0);
  if (!raise && Object.keys(limitSet).length === 0) return undefined;
  return {
    conditions: [
      { kind: 'equals', attribute: 'obsResetAt', value: resetAt },
      { kind: 'equals', attribute: 'windowResetAt', value: resetAt },
      ...(raise ? [{ kind: 'absent-or-below', attribute: 'spent', value: spent } as const] : []),
    ],
    set: { ...(raise ? { spent } : {}), ...limitSet },
    add: {},
    remove: [],
  };
}

function leakyBucketObservation(
  state: GateState,
  observation: RateLimitObservation,
  config: Pick<GateConfig, 'budget'>,
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
