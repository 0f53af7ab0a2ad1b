import type { GateMetrics, MetricSource } from '../lambdas/dispatcher/ports';
import type { CompletionDetailType, CredentialCause, Lane } from '../lambdas/shared/names';

/** One measurement as the dispatcher reported it, stamped with the wall clock. */
export interface MetricEvent {
  readonly at: number;
  readonly name: keyof GateMetrics;
  readonly key?: string;
  readonly value: number;
}

/**
 * {@link GateMetrics} kept in memory for local runs: counters for the live view, and every event for the
 * report's time series. Bounded: only the newest `maxEvents` events are kept.
 */
export class RecordingGateMetrics implements GateMetrics {
  readonly counts = new Map<string, number>();
  readonly events: MetricEvent[] = [];
  /** 429s and deferrals by lane and by user (keys of {@link breakdownKey}). */
  private readonly breakdowns = new Map<string, number>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxEvents = 200_000,
  ) {}

  upstream(status: number | 'timeout', latencyMs: number, source: MetricSource): void {
    this.record('upstream', String(status), latencyMs);
    if (status === 429) this.countBy('upstream429', source);
  }
  deferral(reason: string, source: MetricSource): void {
    this.record('deferral', reason, 1);
    this.countBy('deferral', source);
  }
  failure(lane: Lane): void {
    this.record('failure', lane, 1);
  }
  deadLettered(lane: Lane): void {
    this.record('deadLettered', lane, 1);
  }
  succeeded(lane: Lane, queueWaitMs: number): void {
    this.record('succeeded', lane, queueWaitMs);
  }
  inFlight(user: string, count: number): void {
    this.record('inFlight', user, count);
  }
  remainingBudget(user: string, remaining: number): void {
    this.record('remainingBudget', user, remaining);
  }
  cooldownRemaining(user: string, ms: number): void {
    this.record('cooldownRemaining', user, ms);
  }

  tokenMinted(user: string): void {
    this.record('tokenMinted', user, 1);
  }
  credentialsPaused(user: string, cause: CredentialCause): void {
    this.record('credentialsPaused', `${user}:${cause}`, 1);
  }

  coalesced(lane: Lane, count: number): void {
    this.record('coalesced', lane, count);
  }

  completionEventFailed(detailType: CompletionDetailType): void {
    this.record('completionEventFailed', detailType, 1);
  }

  /** How many 429s or deferrals came from `lane` or `user`, as the by-lane and by-user series count them. */
  countFrom(name: 'upstream429' | 'deferral', by: { readonly lane: Lane } | { readonly user: string }): number {
    return this.breakdowns.get(breakdownKey(name, by)) ?? 0;
  }

  private countBy(name: 'upstream429' | 'deferral', source: MetricSource): void {
    for (const by of source.user === undefined
      ? [{ lane: source.lane }]
      : [{ lane: source.lane }, { user: source.user }]) {
      const key = breakdownKey(name, by);
      this.breakdowns.set(key, (this.breakdowns.get(key) ?? 0) + 1);
    }
  }

  /** How many events of `name` (and `key`, when given) were recorded. */
  count(name: keyof GateMetrics, key?: string): number {
    return this.counts.get(key === undefined ? name : `${name}:${key}`) ?? 0;
  }

  private record(name: keyof GateMetrics, key: string, value: number): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.counts.set(`${name}:${key}`, (this.counts.get(`${name}:${key}`) ?? 0) + 1);
    if (this.events.length >= this.maxEvents) this.events.shift();
    this.events.push({ at: this.clock(), name, key, value });
  }
}

function breakdownKey(name: string, by: { readonly lane: Lane } | { readonly user: string }): string {
  return 'lane' in by ? `${name}|lane=${by.lane}` : `${name}|user=${by.user}`;
}
