import type { GateStore, UpstreamResult } from '../../lambdas/gate/port';
import type { CooldownRecord } from '../../local/outreach-sim/stats';

/** One thing the dispatcher did, in the order its process saw it. */
export type TraceEvent =
  | { readonly kind: 'send'; readonly at: number; readonly path: string }
  | { readonly kind: 'cooldown-recorded'; readonly at: number; readonly retryAfter: string | null };

/**
 * What a dispatcher sent to Outreach and when its gate had recorded a 429, in one ordered log: tells a request
 * the gate let through during a cool-down it knew of from one that was already on its way when the 429 came
 * (which no gate can recall, and which Outreach's penalty mode punishes all the same).
 */
export class UpstreamTrace {
  readonly events: TraceEvent[] = [];

  /** A fetch that logs every request to Outreach's API (not its token endpoint) as it is sent. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.startsWith('/api/')) this.events.push({ kind: 'send', at: Date.now(), path: url.pathname });
    return fetch(input, init);
  };

  /** The gate, logging each 429 once its release (the cool-down it carries) is written. */
  readonly decorateGate = (gate: GateStore): GateStore => ({
    acquire: (...args) => gate.acquire(...args),
    ...(gate.knownWait ? { knownWait: gate.knownWait.bind(gate) } : {}),
    snapshot: (user) => gate.snapshot(user),
    waitForRelease: (user, maxWaitMs) => gate.waitForRelease(user, maxWaitMs),
    release: async (lease, result, now) => {
      await gate.release(lease, result, now);
      if (result.status === 429) {
        this.events.push({ kind: 'cooldown-recorded', at: Date.now(), retryAfter: headerOf(result.headers) });
      }
    },
  });

  /**
   * Requests sent after the gate had recorded a cool-down and before that cool-down's end, as the simulator
   * announced it (the announcement carrying the same `Retry-After`).
   */
  sendsDuringRecordedCooldowns(announced: readonly CooldownRecord[]): TraceEvent[] {
    let knownUntil = 0;
    const violations: TraceEvent[] = [];
    for (const event of this.events) {
      if (event.kind === 'cooldown-recorded') knownUntil = Math.max(knownUntil, retryAtOf(event, announced));
      else if (event.at < knownUntil) violations.push(event);
    }
    return violations;
  }
}

function headerOf(headers: UpstreamResult['headers']): string | null {
  if (headers === undefined) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get('retry-after') ?? null;
  }
  const value = (headers as Record<string, unknown>)['retry-after'];
  return value === undefined ? null : String(value);
}

function retryAtOf(event: Extract<TraceEvent, { kind: 'cooldown-recorded' }>, announced: readonly CooldownRecord[]) {
  const matching = announced.filter((c) => c.retryAfterHeader === event.retryAfter && c.at <= event.at);
  if (matching.length === 0) {
    throw new Error(`the gate recorded a 429 with Retry-After ${event.retryAfter} that the simulator never announced`);
  }
  return Math.max(...matching.map((c) => c.retryAtMs));
}
