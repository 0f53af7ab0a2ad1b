import { budgetReserve, effectiveLimit, estimateRemaining } from '../lambdas/gate/admission';
import type { GateState } from '../lambdas/gate/types';
import type { GateConfig } from '../lambdas/shared/config';
import type { Lane } from '../lambdas/shared/names';

/** How fast a redrive sends: within what the users' budgets allow (`auto`) or a fixed number per second. */
export type RedriveRate = { readonly kind: 'auto' } | { readonly kind: 'fixed'; readonly perSecond: number };

/** Raised for a `--rate` that is neither `auto` nor a positive number per second. */
export class RateError extends Error {
  override readonly name = 'RateError';
}

/** Reads `auto`, `5`, `5/s` or `0.5/s`. */
export function parseRate(value: string): RedriveRate {
  if (value === 'auto') return { kind: 'auto' };
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value);
  const perSecond = Number(match?.[1]);
  if (match === null || !(perSecond > 0)) {
    throw new RateError(
      `--rate must be "auto" or a positive number of messages per second such as 5/s, got "${value}"`,
    );
  }
  return { kind: 'fixed', perSecond };
}

/** What one user may still take from a redrive, as read from their gate item once. */
export type UserAllowance =
  | { readonly kind: 'cooling-down'; readonly until: number }
  | { readonly kind: 'budget'; readonly requests: number };

/**
 * What a lane's intents for one user may still spend at `now`: nothing while the user cools down; else the
 * requests left in the window, less the share reserved for `critical` when the lane is not `critical`. Pure.
 */
export function userAllowance(
  state: GateState,
  lane: Lane,
  config: Pick<GateConfig, 'budget' | 'timing'>,
  now: number,
): UserAllowance {
  if (state.cooldownUntil !== undefined && state.cooldownUntil > now) {
    return { kind: 'cooling-down', until: state.cooldownUntil };
  }
  const remaining = estimateRemaining(state, now, config);
  const reserved = lane === 'critical' ? 0 : budgetReserve(effectiveLimit(state, config), config);
  return { kind: 'budget', requests: Math.max(0, remaining - reserved) };
}

/** Whether one dead letter goes back now, and if not, why it stays. */
export type RedriveDecision =
  | { readonly kind: 'send' }
  | { readonly kind: 'hold'; readonly why: 'cooling-down' | 'no-budget' };

/**
 * At `auto`: sends a message costing `cost` upstream requests only if what this redrive has already sent for
 * the user plus `cost` fits the user's allowance; holds it during a cool-down. A fixed rate always sends. Pure.
 */
export function decideRedrive(
  rate: RedriveRate,
  allowance: UserAllowance | undefined,
  sentForUser: number,
  cost: number,
): RedriveDecision {
  if (rate.kind === 'fixed' || allowance === undefined) return { kind: 'send' };
  if (allowance.kind === 'cooling-down') return { kind: 'hold', why: 'cooling-down' };
  return sentForUser + cost <= allowance.requests ? { kind: 'send' } : { kind: 'hold', why: 'no-budget' };
}

/** Milliseconds to wait before the `index`-th send (from 0) of a run that started at `startedAt`. Pure. */
export function delayBeforeSend(rate: RedriveRate, index: number, startedAt: number, now: number): number {
  if (rate.kind === 'auto') return 0;
  return Math.max(0, startedAt + (index * 1000) / rate.perSecond - now);
}
