import type { GateConfig } from '../shared/config';
import { cooldownUntilFor429, readRateLimitHeaders } from './headers';
import { applyObservation } from './observation';
import { mergePatches } from './patch';
import type { GatePatch, GateState, ReleaseOutcome } from './types';

/** True for outcomes that count against the circuit breaker: 5xx responses and requests with no response. */
export function isUpstreamFailure(status: ReleaseOutcome['status']): boolean {
  return status === 'timeout' || (status >= 500 && status <= 599);
}

function freeLease(state: GateState, outcome: ReleaseOutcome): GatePatch | undefined {
  // Only our own lease: if it expired and someone else took the slot, theirs must stay.
  if (state.leases[outcome.slot]?.token !== outcome.leaseToken) return undefined;
  return {
    conditions: [{ kind: 'slot-held', slot: outcome.slot, token: outcome.leaseToken }],
    set: {},
    add: {},
    remove: [],
    freeSlot: outcome.slot,
  };
}

function extendCooldown(state: GateState, outcome: ReleaseOutcome, config: GateConfig): GatePatch | undefined {
  if (outcome.status !== 429) return undefined;
  const { untilMs } = cooldownUntilFor429(outcome.headers, outcome.now, config);
  if (state.cooldownUntil !== undefined && state.cooldownUntil >= untilMs) return undefined;
  return {
    conditions: [{ kind: 'absent-or-below', attribute: 'cooldownUntil', value: untilMs }],
    set: { cooldownUntil: untilMs },
    add: {},
    remove: [],
  };
}

function updateCircuit(state: GateState, outcome: ReleaseOutcome, config: GateConfig): GatePatch | undefined {
  const { failureThreshold, openMs } = config.circuitBreaker;
  if (!isUpstreamFailure(outcome.status)) {
    if ((state.consecutiveFailures ?? 0) === 0 && state.circuitOpenUntil === undefined) {
      // Already closed: recording it again would only make every success a write to two more attributes.
      return {
        conditions: [
          { kind: 'absent-or-at-most', attribute: 'consecutiveFailures', value: 0 },
          { kind: 'equals', attribute: 'circuitOpenUntil', value: undefined },
        ],
        set: {},
        add: {},
        remove: [],
      };
    }
    return { conditions: [], set: { consecutiveFailures: 0 }, add: {}, remove: ['circuitOpenUntil'] };
  }
  const failures = (state.consecutiveFailures ?? 0) + 1;
  if (failures < failureThreshold) {
    // Conditioned so that a failure that in fact reaches the threshold is re-decided and opens the circuit.
    return {
      conditions: [{ kind: 'absent-or-below', attribute: 'consecutiveFailures', value: failureThreshold - 1 }],
      set: {},
      add: { consecutiveFailures: 1 },
      remove: [],
    };
  }
  const openUntil = outcome.now + openMs;
  const reachesThreshold =
    failureThreshold > 1
      ? [{ kind: 'at-least', attribute: 'consecutiveFailures', value: failureThreshold - 1 } as const]
      : [];
  if (state.circuitOpenUntil !== undefined && state.circuitOpenUntil >= openUntil) {
    return { conditions: reachesThreshold, set: {}, add: { consecutiveFailures: 1 }, remove: [] };
  }
  return {
    conditions: [...reachesThreshold, { kind: 'absent-or-below', attribute: 'circuitOpenUntil', value: openUntil }],
    set: { circuitOpenUntil: openUntil },
    add: { consecutiveFailures: 1 },
    remove: [],
  };
}

/**
 * What releasing a lease writes: free the slot (if the lease is still ours), record what the response's
 * rate-limit headers say, extend the cool-down on a 429 (never shorten it), and count 5xx/timeouts towards
 * the circuit breaker (opening it at the threshold) or close it on any other response. Every part that
 * could be overtaken by a concurrent write carries its condition; a store whose write fails re-decides from
 * the fresh state, which drops the parts that no longer apply.
 */
export function decideRelease(state: GateState, outcome: ReleaseOutcome, config: GateConfig): GatePatch {
  const observation = readRateLimitHeaders(outcome.headers, outcome.now);
  return mergePatches(
    freeLease(state, outcome),
    observation === undefined ? undefined : applyObservation(state, observation, config),
    extendCooldown(state, outcome, config),
    updateCircuit(state, outcome, config),
  );
}
