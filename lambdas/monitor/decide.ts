import { countInFlight, estimateRemaining } from '../gate/admission';
import type { GateState } from '../gate/types';
import type { GateConfig } from '../shared/config';
import type { PausedBy } from './ports';

/** What one user's gate item says at one instant: the gauges the monitor publishes every minute. */
export interface UserGauges {
  /** Milliseconds until the user's cool-down ends; 0 when not cooling down. */
  readonly cooldownRemainingMs: number;
  /** Requests left in the user's current window (or bucket). */
  readonly budgetRemaining: number;
  /** Leases held and not expired. */
  readonly inFlight: number;
  /** True while the circuit breaker stops calls for the user. */
  readonly circuitOpen: boolean;
}

/**
 * Reads the gauges from a gate item as of `now`, with the gate's own rules for leases and budget, so the
 * dashboard and alarms see exactly what the next admission would see.
 */
export function userGauges(
  state: GateState,
  now: number,
  config: Pick<GateConfig, 'budget' | 'leases' | 'timing'>,
): UserGauges {
  return {
    cooldownRemainingMs: Math.max(0, (state.cooldownUntil ?? now) - now),
    budgetRemaining: estimateRemaining(state, now, config),
    inFlight: countInFlight(state, now, config),
    circuitOpen: state.circuitOpenUntil !== undefined && now < state.circuitOpenUntil,
  };
}

/** What the monitor knows about one lane at one tick. */
export interface PumpInput {
  /** Epoch ms. */
  readonly now: number;
  /** Pause only when every served user's cool-down has more than this left. */
  readonly pauseAfterMs: number;
  /** `cooldownUntil` (epoch ms, absent when never set) of every user the lane serves. */
  readonly cooldownUntil: readonly (number | undefined)[];
  /** Who holds the lane paused now, if anyone. */
  readonly pausedBy: PausedBy | undefined;
}

/** Disable the lane's mappings until `untilMs`, enable them again, or leave them as they are. */
export type PumpDecision =
  | { readonly kind: 'pause'; readonly untilMs: number }
  | { readonly kind: 'resume' }
  | { readonly kind: 'keep' };

/**
 * Pauses a lane when no user it serves may call Outreach for longer than the threshold (every receive would
 * only defer), and resumes it as soon as the earliest cool-down has ended. Only a pause the monitor made is
 * ever resumed by it: a lane an operator paused stays paused until the operator resumes it. Pure: the clock is
 * an input.
 */
export function decidePump(input: PumpInput): PumpDecision {
  if (input.pausedBy === 'operator') return { kind: 'keep' };
  const pausedByMonitor = input.pausedBy === 'monitor';
  if (input.cooldownUntil.length === 0) return pausedByMonitor ? { kind: 'resume' } : { kind: 'keep' };
  const earliest = Math.min(...input.cooldownUntil.map((until) => until ?? Number.NEGATIVE_INFINITY));
  if (pausedByMonitor) return earliest <= input.now ? { kind: 'resume' } : { kind: 'keep' };
  return earliest - input.now > input.pauseAfterMs ? { kind: 'pause', untilMs: earliest } : { kind: 'keep' };
}
