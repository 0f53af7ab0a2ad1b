/**
 * The fastest legal schedule: how soon a workload could clear if every request went out the moment Outreach's
 * limits allowed it. A run's clearance is compared with this (see DESIGN, "Spending the budget"), computed for
 * the refill mode the simulator really uses, so a schedule that paces evenly through a fixed window shows.
 */
import { parseIntent, upstreamRequestsFor } from '../lambdas/shared/intent';
import type { ScheduledIntent } from './scenarios';

/** Upstream requests that become possible at one moment for one user. */
export interface RequestDemand {
  /** Simulated ms from the start of the run. */
  readonly atMs: number;
  readonly user: string;
  /** Upstream requests (an upsert is two: look up, then write). */
  readonly requests: number;
}

/** Outreach's limits as the simulator enforces them, per user, in simulated time. */
export interface UpstreamLimits {
  readonly budgetPerWindow: number;
  /** Window length (fixed) or time for a full bucket to drain (leaky), in simulated ms. */
  readonly windowMs: number;
  /**
   * `fixed-window`: the window is anchored at a user's first request and re-anchored at the first request after
   * it ends. `leaky-bucket`: a bucket `budgetPerWindow` deep draining `budgetPerWindow / windowMs` per ms.
   */
  readonly refill: 'fixed-window' | 'leaky-bucket';
  /** Most requests in flight per user. */
  readonly inFlightCap: number;
  /** How long one request takes upstream, in simulated ms. */
  readonly requestMs: number;
}

/** Raised for limits no schedule can satisfy; the message names the value. */
export class IdealScheduleError extends Error {
  override readonly name = 'IdealScheduleError';
}

function checkLimits(limits: UpstreamLimits): void {
  const positive = (name: keyof UpstreamLimits, value: number) => {
    if (!(Number.isFinite(value) && value > 0)) throw new IdealScheduleError(`${name} must be above 0, got ${value}`);
  };
  positive('budgetPerWindow', limits.budgetPerWindow);
  positive('windowMs', limits.windowMs);
  positive('inFlightCap', limits.inFlightCap);
  if (!(Number.isFinite(limits.requestMs) && limits.requestMs >= 0)) {
    throw new IdealScheduleError(`requestMs must be 0 or more, got ${limits.requestMs}`);
  }
}

/** When one user's last request would end on the fastest legal schedule, in simulated ms. */
function userClearanceMs(arrivals: readonly number[], limits: UpstreamLimits): number {
  const { budgetPerWindow: budget, windowMs, inFlightCap, requestMs } = limits;
  const cap = Math.max(1, Math.floor(inFlightCap));
  const finishes: number[] = [];
  let windowStart: number | undefined;
  let used = 0;
  let level = 0;
  let lastDrain = 0;
  let end = 0;
  arrivals.forEach((arrival, index) => {
    // A slot frees when the request `cap` places earlier ends (requests are served in arrival order).
    let start = Math.max(arrival, finishes[index - cap] ?? Number.NEGATIVE_INFINITY);
    if (limits.refill === 'fixed-window') {
      if (windowStart === undefined || start >= windowStart + windowMs) {
        windowStart = start;
        used = 0;
      }
      if (used >= budget) {
        start = windowStart + windowMs;
        windowStart = start;
        used = 0;
      }
      used += 1;
    } else {
      level = Math.max(0, level - ((start - lastDrain) * budget) / windowMs);
      lastDrain = start;
      if (level + 1 > budget) {
        const waitMs = ((level + 1 - budget) * windowMs) / budget;
        start += waitMs;
        level = budget - 1;
        lastDrain = start;
      }
      level += 1;
    }
    const finish = start + requestMs;
    finishes.push(finish);
    end = Math.max(end, finish);
  });
  return end;
}

/**
 * Simulated ms from the start until the last request would end on the fastest legal schedule: per user, every
 * request goes as soon as it is enqueued, a slot under the in-flight cap is free and the budget allows (fixed
 * window: what remains is spent as fast as the cap allows, then the next window starts; leaky bucket: a burst of
 * the bucket's depth, then the leak rate); then the slowest user. Never less than the latest enqueue plus one
 * request. Pure.
 * @throws IdealScheduleError for limits that are not positive.
 */
export function idealClearanceMs(demand: readonly RequestDemand[], limits: UpstreamLimits): number {
  checkLimits(limits);
  if (demand.length === 0) return 0;
  const arrivalsByUser = new Map<string, number[]>();
  let latestEnqueue = 0;
  for (const { atMs, user, requests } of demand) {
    latestEnqueue = Math.max(latestEnqueue, atMs);
    const arrivals = arrivalsByUser.get(user) ?? [];
    for (let i = 0; i < requests; i += 1) arrivals.push(atMs);
    arrivalsByUser.set(user, arrivals);
  }
  let slowest = latestEnqueue + limits.requestMs;
  for (const arrivals of arrivalsByUser.values()) {
    arrivals.sort((a, b) => a - b);
    slowest = Math.max(slowest, userClearanceMs(arrivals, limits));
  }
  return slowest;
}

/** A workload's upstream demand: each intent's enqueue time, user and upstream requests. */
export function demandOf(workload: readonly ScheduledIntent[]): RequestDemand[] {
  return workload.map(({ atMs, intent }) => ({
    atMs,
    user: intent.user,
    requests: upstreamRequestsFor(parseIntent({ v: 1, ...intent })),
  }));
}
