import type { IntentResult } from '../../lambdas/shared/intent-record';

/**
 * Waiting for an intent to settle, for scripts and tests that need the outcome before going on: reads the
 * intent's result, and while it is neither succeeded nor dead-lettered reads again after a wait that doubles
 * each time (so a long wait costs few reads), until the time given is up.
 */

/** Options of a wait for an intent's result. */
export interface WaitForResultOptions {
  /** How long to wait in all, in milliseconds, before giving up with {@link IntentResultTimeoutError}. */
  readonly timeoutMs: number;
  /** The wait after the first read; each later wait is twice the one before, up to `maxPollIntervalMs`. @default 250 */
  readonly pollIntervalMs?: number;
  /** The longest wait between two reads, in milliseconds. @default 5000 */
  readonly maxPollIntervalMs?: number;
}

/** Default of {@link WaitForResultOptions.pollIntervalMs}. */
export const DEFAULT_POLL_INTERVAL_MS = 250;

/** Default of {@link WaitForResultOptions.maxPollIntervalMs}. */
export const DEFAULT_MAX_POLL_INTERVAL_MS = 5000;

/** The result of an intent that has settled: it succeeded (with Outreach's answer) or was dead-lettered (with the reason). */
export type SettledIntentResult = IntentResult & { readonly status: 'succeeded' | 'dead-lettered' };

/** Raised when an intent has not settled within the time given; names the intent, the wait and where it stands. */
export class IntentResultTimeoutError extends Error {
  override readonly name = 'IntentResultTimeoutError';
  constructor(
    readonly id: string,
    /** How long the wait lasted, in milliseconds. */
    readonly waitedMs: number,
    /** The last result read: `pending` or `in-progress`. */
    readonly lastResult: IntentResult,
  ) {
    super(`intent "${id}" did not settle within ${waitedMs} ms: it is still ${describe(lastResult)}`);
  }
}

function describe(result: IntentResult): string {
  if (result.status === 'pending') return 'pending (the dispatcher has not taken it on yet, or it was never enqueued)';
  const failures = result.failureAttempts === 1 ? '1 failed attempt' : `${result.failureAttempts} failed attempts`;
  return `${result.status} (${failures}${result.lastError ? `, last error: ${result.lastError.kind}` : ''})`;
}

/** Whether a result is final. */
export function isSettled(result: IntentResult): result is SettledIntentResult {
  return result.status === 'succeeded' || result.status === 'dead-lettered';
}

/** Why the options cannot be used, naming the option and its value, or undefined when they can. */
export function waitOptionsProblem(options: WaitForResultOptions): string | undefined {
  if (typeof options !== 'object' || options === null) return 'options must be an object with timeoutMs';
  const positive = (name: keyof WaitForResultOptions, value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0
      ? undefined
      : `${name} must be a positive number of milliseconds, got ${String(value)}`;
  const { timeoutMs, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS } = options;
  const maxPollIntervalMs = options.maxPollIntervalMs ?? Math.max(DEFAULT_MAX_POLL_INTERVAL_MS, pollIntervalMs);
  const problem =
    positive('timeoutMs', timeoutMs) ??
    positive('pollIntervalMs', pollIntervalMs) ??
    positive('maxPollIntervalMs', maxPollIntervalMs);
  if (problem !== undefined) return problem;
  if (maxPollIntervalMs < pollIntervalMs) {
    return `maxPollIntervalMs (${maxPollIntervalMs}) must not be less than pollIntervalMs (${pollIntervalMs})`;
  }
  return undefined;
}

/** The wait after read number `attempt` (0 for the first): `pollIntervalMs` doubled per attempt, capped. */
export function pollDelayMs(attempt: number, options: WaitForResultOptions): number {
  const first = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const cap = options.maxPollIntervalMs ?? Math.max(DEFAULT_MAX_POLL_INTERVAL_MS, first);
  return Math.min(cap, first * 2 ** Math.min(attempt, 52));
}

/** What a wait needs: how to read the result, the clock (epoch ms) and how to sleep. */
export interface WaitDependencies {
  readonly read: (id: string) => Promise<IntentResult>;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Reads intent `id`'s result until it settles, backing off between reads; the last wait is cut to the time
 * left, and one more read is made when it ends. Errors of `read` are passed on.
 * @throws IntentResultTimeoutError when the intent has not settled when the time is up.
 */
export async function waitForSettled(
  id: string,
  options: WaitForResultOptions,
  { read, clock, sleep }: WaitDependencies,
): Promise<SettledIntentResult> {
  const started = clock();
  const deadline = started + options.timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    const result = await read(id);
    if (isSettled(result)) return result;
    const now = clock();
    if (now >= deadline) throw new IntentResultTimeoutError(id, now - started, result);
    await sleep(Math.min(pollDelayMs(attempt, options), deadline - now));
  }
}
