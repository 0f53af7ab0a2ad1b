/**
 * Cool-downs announced to one user, and penalty mode's escalation.
 *
 * Without penalty mode a cool-down is simply the limiter's answer ("try again at the window end" or "when
 * one unit has drained"). With penalty mode, a request that arrives while the user is cooling down is
 * refused and extends the cool-down: each such strike multiplies the wait by `growthFactor`, up to
 * `maxWaitMs`, which reproduces the escalating Retry-After measured against real APIs (10 s growing to
 * 210 s under sustained hammering). The escalation is forgiven as soon as one request is served.
 */

/** Penalty settings in real milliseconds. */
export interface PenaltySettings {
  enabled: boolean;
  initialWaitMs: number;
  growthFactor: number;
  maxWaitMs: number;
}

/** One announced cool-down. */
export interface CooldownAnnouncement {
  /** Epoch ms the user may retry. */
  retryAtMs: number;
  /** How long the user is told to wait, in ms. */
  waitMs: number;
  /** Whether this extends a cool-down because of a request made during it. */
  penalty: boolean;
}

/** The penalty wait after `strikes` requests made during cool-downs. */
export function penaltyWaitMs(strikes: number, settings: PenaltySettings): number {
  const wait = settings.initialWaitMs * settings.growthFactor ** strikes;
  return Math.min(Math.max(settings.maxWaitMs, settings.initialWaitMs), wait);
}

/** One user's cool-down state. */
export class UserCooldown {
  /** Epoch ms until which the user is told to wait (0 = never told). */
  until = 0;
  /** Requests made during cool-downs since the last served request. */
  strikes = 0;

  /** True while the user is being told to wait. */
  isCoolingDown(now: number): boolean {
    return now < this.until;
  }

  /**
   * The budget is spent: announce a cool-down. The limiter's own retry time is the floor; in penalty mode the
   * wait is at least the current penalty wait.
   */
  onExhausted(now: number, limiterRetryAtMs: number, settings: PenaltySettings): CooldownAnnouncement {
    let retryAtMs = Math.max(now, limiterRetryAtMs);
    if (settings.enabled) retryAtMs = Math.max(retryAtMs, now + penaltyWaitMs(this.strikes, settings));
    this.until = Math.max(this.until, retryAtMs);
    return { retryAtMs: this.until, waitMs: this.until - now, penalty: false };
  }

  /** Penalty mode: a request arrived during the cool-down; escalate and extend it. */
  onStrike(now: number, settings: PenaltySettings): CooldownAnnouncement {
    this.strikes += 1;
    this.until = Math.max(this.until, now + penaltyWaitMs(this.strikes, settings));
    return { retryAtMs: this.until, waitMs: this.until - now, penalty: true };
  }

  /** A request was served: the escalation is forgiven. */
  onServed(): void {
    this.strikes = 0;
  }
}
