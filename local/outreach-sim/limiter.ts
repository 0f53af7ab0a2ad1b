/**
 * Per-user request budget: pure accounting with the time passed in, so it can be unit-tested with a
 * fake clock. Two readings of Outreach's "10,000 requests per hour" are supported:
 *
 * - `fixed`: a window of `windowMs` anchored at the user's first request (and re-anchored at the first
 *   request after it ends); `budget` requests fit in it; a refused request may retry at the window end.
 * - `leaky`: a bucket of depth `budget` draining at `budget / windowMs` per millisecond; a request adds one
 *   unit if it fits; a refused request may retry when one unit has drained.
 */
import type { WindowMode } from './config';

/** Budget settings read on every call, so run-time changes apply at once. */
export interface BudgetSettings {
  budget: number;
  windowMs: number;
  mode: WindowMode;
}

/** What the rate-limit headers report. */
export interface BudgetSnapshot {
  /** The budget (`X-RateLimit-Limit`). */
  limit: number;
  /** Requests left (`X-RateLimit-Remaining`). */
  remaining: number;
  /** Epoch ms when the budget is whole again: window end, or when the bucket would be empty. */
  resetAtMs: number;
}

/** Outcome of trying to spend one request. */
export type ChargeResult =
  | { allowed: true; snapshot: BudgetSnapshot }
  | { allowed: false; snapshot: BudgetSnapshot /** Earliest epoch ms a retry can succeed. */; retryAtMs: number };

/** One user's budget. */
export class UserBudget {
  private mode: WindowMode | null = null;
  private windowStart: number | null = null;
  private used = 0;
  private level = 0;
  private lastDrain = 0;

  /** Tries to spend one request at `now`. */
  charge(now: number, settings: BudgetSettings): ChargeResult {
    this.prepare(now, settings);
    if (settings.mode === 'fixed') {
      const windowEnd = (this.windowStart ?? now) + settings.windowMs;
      if (this.used < settings.budget) {
        this.used += 1;
        return { allowed: true, snapshot: this.snapshot(now, settings) };
      }
      return { allowed: false, snapshot: this.snapshot(now, settings), retryAtMs: windowEnd };
    }
    if (this.level + 1 <= settings.budget + 1e-9) {
      this.level += 1;
      return { allowed: true, snapshot: this.snapshot(now, settings) };
    }
    const drainPerMs = settings.budget / settings.windowMs;
    const retryAtMs = now + (this.level + 1 - settings.budget) / drainPerMs;
    return { allowed: false, snapshot: this.snapshot(now, settings), retryAtMs };
  }

  /** Spends one request even if nothing is left (refused requests, when they consume budget). */
  forceCharge(now: number, settings: BudgetSettings): void {
    this.prepare(now, settings);
    if (settings.mode === 'fixed') this.used += 1;
    else this.level = Math.min(settings.budget, this.level + 1);
  }

  /** The current state without spending anything. */
  peek(now: number, settings: BudgetSettings): BudgetSnapshot {
    if (this.mode !== settings.mode) return { limit: settings.budget, remaining: settings.budget, resetAtMs: now };
    if (settings.mode === 'fixed' && (this.windowStart === null || now >= this.windowStart + settings.windowMs)) {
      return { limit: settings.budget, remaining: settings.budget, resetAtMs: now };
    }
    if (settings.mode === 'leaky') this.drain(now, settings);
    return this.snapshot(now, settings);
  }

  private prepare(now: number, settings: BudgetSettings): void {
    if (this.mode !== settings.mode) {
      this.mode = settings.mode;
      this.windowStart = null;
      this.used = 0;
      this.level = 0;
      this.lastDrain = now;
    }
    if (settings.mode === 'fixed') {
      if (this.windowStart === null || now >= this.windowStart + settings.windowMs) {
        this.windowStart = now;
        this.used = 0;
      }
    } else {
      this.drain(now, settings);
    }
  }

  private drain(now: number, settings: BudgetSettings): void {
    const elapsed = Math.max(0, now - this.lastDrain);
    this.level = Math.max(0, this.level - (elapsed * settings.budget) / settings.windowMs);
    this.lastDrain = Math.max(this.lastDrain, now);
  }

  private snapshot(now: number, settings: BudgetSettings): BudgetSnapshot {
    if (settings.mode === 'fixed') {
      return {
        limit: settings.budget,
        remaining: Math.max(0, settings.budget - this.used),
        resetAtMs: (this.windowStart ?? now) + settings.windowMs,
      };
    }
    const level = Math.min(settings.budget, this.level);
    return {
      limit: settings.budget,
      remaining: Math.max(0, Math.floor(settings.budget - level + 1e-9)),
      resetAtMs: now + (level * settings.windowMs) / settings.budget,
    };
  }
}
