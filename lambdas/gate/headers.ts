import type { GateConfig } from '../shared/config';
import type { HeaderSource, RateLimitObservation } from './types';

/**
 * Reading what Outreach says about its limits. Outreach's headers are loosely specified (Reset as epoch
 * seconds, Retry-After as delta-seconds, an HTTP-date or an epoch alias of Reset), and some responses carry
 * none at all, so every reader here tolerates absent or garbled values and never throws.
 */

/** Numbers above this are epoch seconds rather than delta-seconds (2001-09-09). */
const EPOCH_SECONDS_THRESHOLD = 1e9;

const DECIMAL = /^\d+(\.\d+)?$/;
const HAS_LETTERS = /[A-Za-z]{3}/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** The first value of a header, looked up case-insensitively; undefined when absent or empty. */
export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  let raw: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    raw = (headers as { get(name: string): string | null | undefined }).get(name);
  } else {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === wanted) {
        raw = value;
        break;
      }
    }
  }
  if (Array.isArray(raw)) raw = raw[0];
  if (typeof raw === 'number') raw = String(raw);
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * A non-negative decimal number, or undefined for anything else. Proxies join repeated headers with commas;
 * the first value is the one Outreach sent first.
 */
function decimal(value: string | undefined): number | undefined {
  const first = value?.split(',')[0]?.trim();
  if (first === undefined || !DECIMAL.test(first)) return undefined;
  const parsed = Number(first);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Seconds as Outreach sends them (epoch seconds above 10⁹, else delta-seconds from `now`) → epoch ms. */
function secondsToEpochMs(seconds: number, now: number): number {
  return Math.round(seconds > EPOCH_SECONDS_THRESHOLD ? seconds * 1000 : now + seconds * 1000);
}

/**
 * The epoch ms a `Retry-After` value asks us to wait until. Accepts delta-seconds (`"10"`, `"1.5"`), epoch
 * seconds (a number above 10⁹, as when Outreach aliases it to X-RateLimit-Reset) and an HTTP-date; an ISO
 * time without a zone (as in Outreach's "try again at" text) is read as UTC. Absent, negative or unreadable
 * values give undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  const seconds = DECIMAL.test(text) ? decimal(text) : undefined;
  if (seconds !== undefined) return secondsToEpochMs(seconds, now);
  if (ISO_WITHOUT_ZONE.test(text)) {
    const parsed = Date.parse(`${text}Z`);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  if (!HAS_LETTERS.test(text)) return undefined;
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/**
 * What a response's `X-RateLimit-Limit/-Remaining/-Reset` headers say, with unreadable fields left out;
 * undefined when none is readable. Reset is epoch seconds, or delta-seconds when below 10⁹.
 */
export function readRateLimitHeaders(headers: HeaderSource | undefined, now: number): RateLimitObservation | undefined {
  const limit = decimal(headerValue(headers, 'x-ratelimit-limit'));
  const remaining = decimal(headerValue(headers, 'x-ratelimit-remaining'));
  const reset = decimal(headerValue(headers, 'x-ratelimit-reset'));
  const observation: { -readonly [K in keyof RateLimitObservation]: RateLimitObservation[K] } = { observedAt: now };
  if (limit !== undefined && Number.isInteger(limit) && limit > 0) observation.limit = limit;
  if (remaining !== undefined && Number.isInteger(remaining)) observation.remaining = remaining;
  if (reset !== undefined) observation.resetAtMs = secondsToEpochMs(reset, now);
  const readable = observation.limit !== undefined || observation.remaining !== undefined || reset !== undefined;
  return readable ? observation : undefined;
}

/** Where a 429's cool-down came from. */
export type CooldownSource = 'retry-after' | 'reset' | 'default';

/**
 * How long a 429 keeps everyone away: until its Retry-After, else its X-RateLimit-Reset, else the configured
 * default wait. A value at or before `now` is not a usable wait (a 429 means "not now"), so the next source
 * is tried; the result is always after `now`.
 */
export function cooldownUntilFor429(
  headers: HeaderSource | undefined,
  now: number,
  config: Pick<GateConfig, 'cooldown'>,
): { untilMs: number; source: CooldownSource } {
  const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  if (retryAfter !== undefined && retryAfter > now) return { untilMs: retryAfter, source: 'retry-after' };
  const reset = readRateLimitHeaders(headers, now)?.resetAtMs;
  if (reset !== undefined && reset > now) return { untilMs: reset, source: 'reset' };
  return { untilMs: now + config.cooldown.defaultWaitMs, source: 'default' };
}
