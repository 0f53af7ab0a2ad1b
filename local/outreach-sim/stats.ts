/**
 * The simulator's own observability: what it answered, to whom, and when. Tests assert on it, the local
 * pipeline and benchmarks read it to compare a run with the ideal, reports chart its timeline.
 */
import type { DerivedTimings, SimulatorConfig } from './config';

/** A status code as a string (`"200"`, `"429"`), or `"reset"` for a connection reset without an answer. */
export type StatusKey = string;

/** One cool-down the simulator announced (a 429 telling a user when to come back). */
export interface CooldownRecord {
  /** The user told to wait. */
  user: string;
  /** Epoch ms of the announcement. */
  at: number;
  /** How long the user was told to wait, in ms. */
  waitMs: number;
  /** Epoch ms the user may retry. */
  retryAtMs: number;
  /** The `Retry-After` header sent, or null when none was sent. */
  retryAfterHeader: string | null;
  /**
   * `budget`: the budget was spent; `penalty`: a request made during the cool-down extended it; `concurrency`:
   * penalty mode and too many requests in flight at once.
   */
  reason: 'budget' | 'penalty' | 'concurrency';
}

/** Activity during one wall-clock second. */
export interface TimelineEntry {
  /** Epoch seconds. */
  second: number;
  /** API requests answered (or reset) in this second. */
  requests: number;
  /** Those requests by status. */
  byStatus: Record<StatusKey, number>;
  /** Most API requests in flight at once during this second. */
  inFlightPeak: number;
}

/** Counters kept per user and in total. */
export interface RequestCounters {
  /** API (`/api/v2`) requests answered or reset. */
  requests: number;
  /** API requests by status (`{"200": n, "429": n, "reset": n}`). */
  byStatus: Record<StatusKey, number>;
  /** API requests answered 429 (budget, penalty or concurrency cap). */
  status429: number;
  /** API requests in flight right now. */
  inFlight: number;
  /** Most API requests in flight at once. */
  peakInFlight: number;
  /** Cool-downs announced, oldest first (at most 10,000 kept; see `cooldownsAnnounced`). */
  cooldowns: CooldownRecord[];
  /** How many cool-downs were announced in all. */
  cooldownsAnnounced: number;
  /** Access tokens minted by `POST /oauth/token`. */
  tokensMinted: number;
  /** Mints refused by the one-per-interval limit (429 `Retry later`). */
  mintsRefused: number;
  /** `POST /oauth/token` requests by status. */
  oauthByStatus: Record<StatusKey, number>;
  /** Records created although an equivalent one existed (same email, or same prospect+sequence). */
  duplicatesCreated: number;
  /** Duplicates by resource type (`prospect`, `sequenceState`). */
  duplicatesByType: Record<string, number>;
  /** Duplicate sequence states refused with 422 (`duplicateSequenceState: 'reject'`). */
  duplicatesRefused: number;
  /** Bulk actions sent without ids or filter, which Outreach applies to every record. */
  unfilteredBulkActions: number;
  /**
   * API requests that arrived while their user was being told to wait (a cool-down a 429 announced had not ended):
   * each one is refused, and in penalty mode lengthens the wait.
   */
  callsDuringCooldown: number;
  /** Per-second activity, oldest first (at most one day kept). */
  timeline: TimelineEntry[];
}

/** One user's counters plus the state of its budget. */
export interface UserStats extends RequestCounters {
  /** The user's budget now. */
  budget: { limit: number; remaining: number; resetAtMs: number };
  /** Epoch ms until which the user is being told to wait, or null. */
  cooldownUntil: number | null;
  /** Penalty strikes since the user was last served. */
  penaltyStrikes: number;
}

/** Everything `GET /__sim/stats` and `stats()` return. */
export interface SimulatorStats {
  /** Epoch ms the simulator started or was last reset. */
  since: number;
  /** Epoch ms of this snapshot. */
  now: number;
  /** The effective configuration. */
  config: SimulatorConfig;
  /** Durations derived from the configuration, in real ms (window, penalty waits, token lifetime…). */
  timings: DerivedTimings;
  /** Counters per user. */
  users: Record<string, UserStats>;
  /** The same counters over all users (including requests no user could be charged for, such as 401s). */
  total: RequestCounters;
}

const MAX_COOLDOWNS = 10_000;
const MAX_TIMELINE_SECONDS = 86_400;

const increment = (map: Record<string, number>, key: string, by = 1): void => {
  map[key] = (map[key] ?? 0) + by;
};

/** Mutable counters for one user or the total. */
export class CounterSet {
  requests = 0;
  byStatus: Record<StatusKey, number> = {};
  status429 = 0;
  inFlight = 0;
  peakInFlight = 0;
  cooldowns: CooldownRecord[] = [];
  cooldownsAnnounced = 0;
  tokensMinted = 0;
  mintsRefused = 0;
  oauthByStatus: Record<StatusKey, number> = {};
  duplicatesCreated = 0;
  duplicatesByType: Record<string, number> = {};
  duplicatesRefused = 0;
  unfilteredBulkActions = 0;
  callsDuringCooldown = 0;
  private readonly timeline: TimelineEntry[] = [];

  private entryFor(now: number): TimelineEntry {
    const second = Math.floor(now / 1000);
    const last = this.timeline[this.timeline.length - 1];
    if (last && last.second === second) return last;
    const entry: TimelineEntry = { second, requests: 0, byStatus: {}, inFlightPeak: 0 };
    this.timeline.push(entry);
    if (this.timeline.length > MAX_TIMELINE_SECONDS) this.timeline.shift();
    return entry;
  }

  arrived(now: number): void {
    this.inFlight += 1;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    const entry = this.entryFor(now);
    if (this.inFlight > entry.inFlightPeak) entry.inFlightPeak = this.inFlight;
  }

  completed(status: StatusKey, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.requests += 1;
    increment(this.byStatus, status);
    if (status === '429') this.status429 += 1;
    const entry = this.entryFor(now);
    entry.requests += 1;
    increment(entry.byStatus, status);
  }

  cooldown(record: CooldownRecord): void {
    this.cooldownsAnnounced += 1;
    if (this.cooldowns.length < MAX_COOLDOWNS) this.cooldowns.push(record);
  }

  duplicate(type: string): void {
    this.duplicatesCreated += 1;
    increment(this.duplicatesByType, type);
  }

  oauth(status: StatusKey): void {
    increment(this.oauthByStatus, status);
  }

  /** A deep copy that is safe to hand out and to serialise. */
  snapshot(): RequestCounters {
    return {
      requests: this.requests,
      byStatus: { ...this.byStatus },
      status429: this.status429,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      cooldowns: this.cooldowns.map((record) => ({ ...record })),
      cooldownsAnnounced: this.cooldownsAnnounced,
      tokensMinted: this.tokensMinted,
      mintsRefused: this.mintsRefused,
      oauthByStatus: { ...this.oauthByStatus },
      duplicatesCreated: this.duplicatesCreated,
      duplicatesByType: { ...this.duplicatesByType },
      duplicatesRefused: this.duplicatesRefused,
      unfilteredBulkActions: this.unfilteredBulkActions,
      callsDuringCooldown: this.callsDuringCooldown,
      timeline: this.timeline.map((entry) => ({ ...entry, byStatus: { ...entry.byStatus } })),
    };
  }
}

/** Counters per user and in total; every event is applied to both. */
export class StatsRecorder {
  readonly total = new CounterSet();
  private readonly perUser = new Map<string, CounterSet>();

  /** The counters of `user` (created on first use). */
  user(user: string): CounterSet {
    let counters = this.perUser.get(user);
    if (!counters) {
      counters = new CounterSet();
      this.perUser.set(user, counters);
    }
    return counters;
  }

  /** Users with counters. */
  users(): string[] {
    return [...this.perUser.keys()];
  }

  /** Applies `update` to the total and, when known, to the user. */
  each(user: string | null, update: (counters: CounterSet) => void): void {
    update(this.total);
    if (user !== null) update(this.user(user));
  }

  /** Records a cool-down for the user and the total. */
  cooldown(record: CooldownRecord): void {
    this.each(record.user, (counters) => counters.cooldown(record));
  }
}
