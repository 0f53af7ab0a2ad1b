/**
 * When each fault of a chaos run happens and for how long, drawn from a seed so that a run can be repeated. Pure.
 * Times are wall-clock ms from the first enqueue; faults of Outreach last a simulated minute (`simulatedMinuteMs`
 * wall ms), DynamoDB's outage lasts 10 wall seconds.
 */
import { seededRandom } from '../scenarios';

/** Every fault a chaos run injects, once each. */
export const FAULT_KINDS = [
  'dispatcher-killed',
  'dynamodb-stopped',
  'token-endpoint-down',
  'refresh-token-revoked',
  'outreach-503',
  'outreach-unresponsive',
  'clock-skew',
  'bare-429-burst',
] as const;

/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One fault as planned. */
export interface PlannedFault {
  readonly kind: FaultKind;
  /** Wall ms from the first enqueue. */
  readonly atMs: number;
  /** Wall ms it lasts (0: instantaneous; for a burst, the longest it waits to be used up). */
  readonly durationMs: number;
  /** Requests a burst hits. @default - not a burst */
  readonly count?: number;
}

/** Options of {@link faultSchedule}. */
export interface ScheduleOptions {
  readonly seed: number;
  /** Faults start in [fromMs, toMs) wall ms from the first enqueue. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Wall ms of one simulated minute. */
  readonly simulatedMinuteMs: number;
  /** Wall ms DynamoDB Local stays down. @default 10000 */
  readonly dynamodbDownMs?: number;
  /** 429s without headers in the burst. @default 4 */
  readonly bare429Burst?: number;
}

/** Raised for a schedule that cannot be drawn; the message names the option. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

/** Every fault once, at seeded random times, ordered by start. */
export function faultSchedule(options: ScheduleOptions): PlannedFault[] {
  const { seed, fromMs, toMs, simulatedMinuteMs } = options;
  if (!Number.isInteger(seed)) throw new ScheduleError(`seed must be an integer, got ${seed}`);
  if (!(fromMs >= 0 && toMs > fromMs)) {
    throw new ScheduleError(`fromMs must be ≥ 0 and below toMs, got ${fromMs} and ${toMs}`);
  }
  if (!(simulatedMinuteMs > 0)) throw new ScheduleError(`simulatedMinuteMs must be positive, got ${simulatedMinuteMs}`);
  const random = seededRandom(seed);
  const durations: Record<FaultKind, number> = {
    'dispatcher-killed': 0,
    'dynamodb-stopped': options.dynamodbDownMs ?? 10_000,
    'token-endpoint-down': simulatedMinuteMs,
    'refresh-token-revoked': simulatedMinuteMs,
    'outreach-503': simulatedMinuteMs,
    'outreach-unresponsive': simulatedMinuteMs,
    'clock-skew': simulatedMinuteMs,
    'bare-429-burst': 10 * simulatedMinuteMs,
  };
  return FAULT_KINDS.map((kind) => ({
    kind,
    atMs: Math.round(fromMs + random() * (toMs - fromMs)),
    durationMs: durations[kind],
    ...(kind === 'bare-429-burst' ? { count: options.bare429Burst ?? 4 } : {}),
  })).sort((a, b) => a.atMs - b.atMs);
}
