import { type GateConfig, maxEscalatedWaitMs, quietWindowMs } from '../shared/config';
import { countInFlight, inFlightLimit, leaseHeld } from './admission';
import { cooldownUntilFor429, readRateLimitHeaders } from './headers';
import { LeaseFormatError, parseLease } from './lease';
import { learnLimitFrom429 } from './limits';
import { maintenanceUntil } from './maintenance';
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

/** When the released request was admitted (its lease's expiry less the lease lifetime). */
function admittedAt(outcome: ReleaseOutcome, config: Pick<GateConfig, 'leases'>): number {
  try {
    return parseLease(outcome.leaseToken).expiresAt - config.leases.ttlMs;
  } catch (error) {
    if (error instanceof LeaseFormatError) return outcome.now;
    throw error;
  }
}

/**
 * A 429 whose request was admitted before the last recorded 429 belongs to that episode (it was already in
 * flight): it neither escalates the cool-down nor lowers the in-flight limit again.
 */
function sameEpisode(state: GateState, outcome: ReleaseOutcome, config: GateConfig): boolean {
  return state.throttledAt !== undefined && admittedAt(outcome, config) < state.throttledAt;
}

/** `max(current, until)`: never shortens a cool-down. */
function coolDownUntil(state: GateState, untilMs: number): GatePatch | undefined {
  if (state.cooldownUntil !== undefined && state.cooldownUntil >= untilMs) return undefined;
  return {
    conditions: [{ kind: 'absent-or-below', attribute: 'cooldownUntil', value: untilMs }],
    set: { cooldownUntil: untilMs },
    add: {},
    remove: [],
  };
}

/**
 * The cool-down after a 429 that states no wait: exponential in the 429s in a row (a quiet window after the
 * last cool-down starts over), full jitter, never below the default wait nor above the cap. Escalates once per
 * episode; the streak is kept in the gate item so every dispatcher escalates together.
 */
function escalate(state: GateState, outcome: ReleaseOutcome, config: GateConfig, random: () => number): GatePatch {
  const { defaultWaitMs } = config.cooldown;
  const now = outcome.now;
  if (sameEpisode(state, outcome, config)) {
    return coolDownUntil(state, now + defaultWaitMs) ?? { conditions: [], set: {}, add: {}, remove: [] };
  }
  const lastEnd = Math.max(state.cooldownUntil ?? 0, state.throttledAt ?? 0);
  const quiet = state.throttleStreak === undefined || now >= lastEnd + quietWindowMs(config);
  const streak = (quiet ? 0 : (state.throttleStreak ?? 0)) + 1;
  const ceiling = Math.min(maxEscalatedWaitMs(config), defaultWaitMs * 2 ** Math.min(streak - 1, 30));
  const waitMs = Math.max(defaultWaitMs, Math.floor(random() * ceiling));
  return mergePatches(coolDownUntil(state, now + waitMs), {
    conditions: [{ kind: 'equals', attribute: 'throttleStreak', value: state.throttleStreak }],
    set: { throttleStreak: streak },
    add: {},
    remove: [],
  });
}

/**
 * What a 429 or a maintenance 503 writes: the cool-down it asks for (or an escalating one when it asks for
 * none), and for a 429 of a new episode the episode's start and a halved in-flight limit (AIMD), so a hidden
 * concurrency limit is found without a storm; with no reported limit, the first 429 of a window also teaches
 * the budget's limit (see `learnLimitFrom429`).
 */
function throttle(
  state: GateState,
  outcome: ReleaseOutcome,
  config: GateConfig,
  random: () => number,
  othersInFlight: number,
): GatePatch | undefined {
  const { status, headers, now } = outcome;
  if (status !== 429) {
    const maintenance = maintenanceUntil(status, headers, now, config);
    return maintenance === undefined ? undefined : coolDownUntil(state, maintenance.atMs);
  }
  const announced = cooldownUntilFor429(headers, now, config);
  const cooldown =
    announced.source === 'default' ? escalate(state, outcome, config, random) : coolDownUntil(state, announced.untilMs);
  if (sameEpisode(state, outcome, config)) return cooldown;
  const limit = inFlightLimit(state, config);
  const halved = Math.max(1, Math.floor(limit / 2));
  return mergePatches(
    cooldown,
    {
      conditions: [
        { kind: 'equals', attribute: 'throttledAt', value: state.throttledAt },
        { kind: 'equals', attribute: 'inFlightLimit', value: state.inFlightLimit },
      ],
      set: { throttledAt: now, ...(halved < limit ? { inFlightLimit: halved, inFlightLimitAt: now } : {}) },
      add: {},
      remove: [],
    },
    learnLimitFrom429(state, now, othersInFlight, config),
  );
}

/**
 * After a response that is not a 429: a success of a request admitted after the last 429 ends the escalation,
 * and a quiet window since the in-flight limit last changed (and since the last cool-down ended) raises it by
 * one, back to the configured cap.
 */
function recover(state: GateState, outcome: ReleaseOutcome, config: GateConfig): GatePatch | undefined {
  const { status, now } = outcome;
  if (status === 429 || maintenanceUntil(status, outcome.headers, now, config) !== undefined) return undefined;
  const parts: GatePatch[] = [];
  const succeeded = typeof status === 'number' && status >= 200 && status < 300;
  if (succeeded && state.throttleStreak !== undefined && !sameEpisode(state, outcome, config)) {
    parts.push({
      conditions: [{ kind: 'equals', attribute: 'throttleStreak', value: state.throttleStreak }],
      set: {},
      add: {},
      remove: ['throttleStreak'],
    });
  }
  const limit = state.inFlightLimit;
  const quietSince = Math.max(state.inFlightLimitAt ?? 0, state.cooldownUntil ?? 0);
  if (limit !== undefined && !isUpstreamFailure(status) && now >= quietSince + quietWindowMs(config)) {
    const raised = limit + 1;
    const atCap = raised >= config.leases.inFlightCap;
    parts.push({
      conditions: [{ kind: 'equals', attribute: 'inFlightLimitAt', value: state.inFlightLimitAt }],
      set: atCap ? {} : { inFlightLimit: raised, inFlightLimitAt: now },
      add: {},
      remove: atCap ? ['inFlightLimit', 'inFlightLimitAt'] : [],
    });
  }
  return parts.length === 0 ? undefined : mergePatches(...parts);
}

/** Leases other than the one being released that are still held at `now`: admissions Outreach has not counted. */
function othersInFlight(state: GateState, outcome: ReleaseOutcome, config: GateConfig): number {
  const ours = state.leases[outcome.slot];
  const oursHeld = ours?.token === outcome.leaseToken && leaseHeld(ours, outcome.now, config.timing.clockSkewMs);
  return countInFlight(state, outcome.now, config) - (oursHeld ? 1 : 0);
}

function updateCircuit(state: GateState, outcome: ReleaseOutcome, config: GateConfig): GatePatch | undefined {
  const { failureThreshold, openMs } = config.circuitBreaker;
  // Announced maintenance is a wait for everyone, not a sign the user's requests fail: the circuit stays as it is.
  if (maintenanceUntil(outcome.status, outcome.headers, outcome.now, config) !== undefined) return undefined;
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
 * rate-limit headers say, extend the cool-down on a 429 or a maintenance 503 (never shorten it; escalating when
 * the 429 states no wait) and lower the in-flight limit on a 429 (raise it again after quiet windows), and
 * count 5xx/timeouts towards the circuit breaker (opening it at the threshold) or close it on any other
 * response. Every part that could be overtaken by a concurrent write carries its condition; a store whose
 * write fails re-decides from the fresh state, which drops the parts that no longer apply. `random` jitters
 * the escalating cool-down.
 */
export function decideRelease(
  state: GateState,
  outcome: ReleaseOutcome,
  config: GateConfig,
  random: () => number = Math.random,
): GatePatch {
  const observation = readRateLimitHeaders(outcome.headers, outcome.now, config);
  const others = othersInFlight(state, outcome, config);
  return mergePatches(
    freeLease(state, outcome),
    observation === undefined ? undefined : applyObservation(state, observation, config, { othersInFlight: others }),
    throttle(state, outcome, config, random, others),
    recover(state, outcome, config),
    updateCircuit(state, outcome, config),
  );
}

/**
 * Whether returning a lease after this response may wait for the same process's next admission of the user (and
 * be written with it): only after a 2xx whose headers do not report the window spent. Whatever others must see at
 * once — a 429's or a maintenance cool-down, a failure towards the circuit breaker, an exhausted budget — is
 * written on its own, immediately. A held lease only ever makes others more careful while it waits.
 */
export function releaseMayWait(
  result: Pick<ReleaseOutcome, 'status' | 'headers'>,
  now: number,
  config: GateConfig,
): boolean {
  const { status } = result;
  if (typeof status !== 'number' || status < 200 || status > 299) return false;
  const remaining = readRateLimitHeaders(result.headers, now, config)?.remaining;
  return remaining === undefined || remaining > 0;
}
