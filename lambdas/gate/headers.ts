import type { GateConfig } from '../shared/config';
import type { HeaderSource, RateLimitObservation } from './types';

/**
 * Reading what Outreach says about its limits. Outreach's headers are loosely specified (Reset as epoch
 * seconds, Retry-After as delta-seconds, an HTTP-date or an epoch alias of Reset), and some responses carry
 * none at all, so every reader here tolerates absent or garbled values and never throws.
 */

/** Numbers above this are epoch seconds rather than delta-seconds (2001-09-09). */
const EPOCH_SECONDS_THRESHOLD = 1e9;
/** Numbers above this are epoch milliseconds rather than epoch seconds (2001-09-09 in ms). */
const EPOCH_MS_THRESHOLD = 1e12;

const DECIMAL = /^\d+(\.\d+)?$/;
const HAS_LETTERS = /[A-Za-z]{3}/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A time a header states: `atMs` as written, and the resolution it was written at. A server that writes a
 * whole-second time (an HTTP-date, epoch seconds) drops the milliseconds, so the true time may be up to
 * `resolutionMs` later than `atMs`.
 */
interface StatedTime {
  readonly atMs: number;
  readonly resolutionMs: number;
}

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

/**
 * A number as Outreach may send it → the time it states: epoch milliseconds above 10¹², epoch seconds above 10⁹
 * (whole seconds have one-second resolution), else delta-seconds from `now` (RFC 9110: counted from receipt).
 */
function numberToTime(value: number, now: number): StatedTime {
  if (value > EPOCH_MS_THRESHOLD) return { atMs: Math.ceil(value), resolutionMs: 0 };
  if (value > EPOCH_SECONDS_THRESHOLD) {
    return Number.isInteger(value)
      ? { atMs: value * 1000, resolutionMs: 1000 }
      : { atMs: Math.ceil(value * 1000), resolutionMs: 0 };
  }
  return { atMs: Math.ceil(now + value * 1000), resolutionMs: 0 };
}

/** The time a header value states (any form Outreach may use), or undefined when it states none. */
function statedTime(value: string | undefined, now: number): StatedTime | undefined {
  const text = value?.split(',')[0]?.trim();
  if (text === undefined || text === '') return undefined;
  if (DECIMAL.test(text)) {
    const parsed = Number(text);
    return Number.isFinite(parsed) ? numberToTime(parsed, now) : undefined;
  }
  if (ISO_WITHOUT_ZONE.test(text)) {
    const parsed = Date.parse(`${text}Z`);
    if (!Number.isFinite(parsed)) return undefined;
    const resolutionMs = text.includes('.') ? 0 : text.length === 16 ? 60_000 : 1000;
    return { atMs: parsed, resolutionMs };
  }
  if (!HAS_LETTERS.test(value?.trim() ?? '')) return undefined;
  const parsed = Date.parse(value?.trim() ?? '');
  // HTTP-dates carry whole seconds only.
  return Number.isFinite(parsed) && parsed >= 0 ? { atMs: parsed, resolutionMs: 1000 } : undefined;
}

/**
 * The epoch ms a `Retry-After` value states, as written: delta-seconds (`"10"`, `"1.5"`, counted from `now`),
 * epoch seconds (above 10⁹, as when Outreach aliases it to X-RateLimit-Reset), epoch milliseconds (above 10¹²)
 * or an HTTP-date; an ISO time without a zone (as in Outreach's "try again at" text) is read as UTC. Absent,
 * negative or unreadable values give undefined. Neither rounded nor bounded: the gate uses
 * {@link retryAfterEnd} and {@link boundHeaderTime}.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  return statedTime(value, now)?.atMs;
}

/**
 * The epoch ms before which a `Retry-After` value certainly has not ended: {@link parseRetryAfter} rounded up to
 * the value's resolution. An HTTP-date or whole epoch seconds drop the milliseconds, so the true end may be up to
 * a second later: waiting until the next whole second never calls before it.
 */
export function retryAfterEnd(value: string | undefined, now: number): number | undefined {
  const stated = statedTime(value, now);
  return stated === undefined ? undefined : stated.atMs + stated.resolutionMs;
}

/** A header-derived time after its bound: `atMs`, and what the header asked for when that was later. */
export interface BoundedTime {
  readonly atMs: number;
  /** Set when the header asked for a later time than the ceiling allows: what it asked for. */
  readonly clampedFromMs?: number;
}

/** Clamps a header-derived time to `now` + `timing.maxHeaderWaitMs`. */
export function boundHeaderTime(atMs: number, now: number, config: Pick<GateConfig, 'timing'>): BoundedTime {
  const ceiling = now + config.timing.maxHeaderWaitMs;
  return atMs > ceiling ? { atMs: ceiling, clampedFromMs: atMs } : { atMs };
}

/** One header whose time was clamped to the ceiling: which, what it asked for, and what was used. */
export interface ClampedHeader {
  readonly header: 'retry-after' | 'x-ratelimit-reset';
  readonly statedMs: number;
  readonly usedMs: number;
}

/**
 * The headers of a response that ask for a wait beyond `timing.maxHeaderWaitMs`, for logging and counting:
 * the gate uses the ceiling instead.
 */
export function clampedHeaders(
  headers: HeaderSource | undefined,
  now: number,
  config: Pick<GateConfig, 'timing'>,
): ClampedHeader[] {
  const found: ClampedHeader[] = [];
  for (const header of ['retry-after', 'x-ratelimit-reset'] as const) {
    const stated = statedTime(headerValue(headers, header), now);
    if (stated === undefined) continue;
    const bounded = boundHeaderTime(stated.atMs + stated.resolutionMs, now, config);
    if (bounded.clampedFromMs !== undefined) {
      found.push({ header, statedMs: bounded.clampedFromMs, usedMs: bounded.atMs });
    }
  }
  return found;
}

/**
 * What a response's `X-RateLimit-Limit/-Remaining/-Reset` headers say, with unreadable fields left out;
 * undefined when none is readable. Reset is epoch seconds, epoch ms above 10¹², or delta-seconds below 10⁹; with
 * `config`, it is bounded by `timing.maxHeaderWaitMs`.
 */
export function readRateLimitHeaders(
  headers: HeaderSource | undefined,
  now: number,
  config?: Pick<GateConfig, 'timing'>,
): RateLimitObservation | undefined {
  const limit = decimal(headerValue(headers, 'x-ratelimit-limit'));
  const remaining = decimal(headerValue(headers, 'x-ratelimit-remaining'));
  const reset = decimal(headerValue(headers, 'x-ratelimit-reset'));
  const observation: { -readonly [K in keyof RateLimitObservation]: RateLimitObservation[K] } = { observedAt: now };
  if (limit !== undefined && Number.isInteger(limit) && limit > 0) observation.limit = limit;
  if (remaining !== undefined && Number.isInteger(remaining)) observation.remaining = remaining;
  if (reset !== undefined) {
    const { atMs } = numberToTime(reset, now);
    observation.resetAtMs = config === undefined ? atMs : boundHeaderTime(atMs, now, config).atMs;
  }
  const readable = observation.limit !== undefined || observation.remaining !== undefined || reset !== undefined;
  return readable ? observation : undefined;
}

/** Where a 429's cool-down came from. */
export type CooldownSource = 'retry-after' | 'reset' | 'default';

/** A cool-down a response asks for, bounded by the ceiling; `clampedFromMs` when the header asked for more. */
export interface Cooldown {
  readonly untilMs: number;
  readonly source: CooldownSource;
  readonly clampedFromMs?: number;
}

const cooldown = (bounded: BoundedTime, source: CooldownSource): Cooldown => ({
  untilMs: bounded.atMs,
  source,
  ...(bounded.clampedFromMs === undefined ? {} : { clampedFromMs: bounded.clampedFromMs }),
});

/**
 * The future time a response's `Retry-After` names (rounded up to its resolution, bounded by
 * `timing.maxHeaderWaitMs`), or undefined when it names none after `now`.
 */
export function retryAfterUntil(
  headers: HeaderSource | undefined,
  now: number,
  config: Pick<GateConfig, 'timing'>,
): BoundedTime | undefined {
  const retryAfter = retryAfterEnd(headerValue(headers, 'retry-after'), now);
  return retryAfter !== undefined && retryAfter > now ? boundHeaderTime(retryAfter, now, config) : undefined;
}

/**
 * How long a 429 keeps everyone away: until its Retry-After, else its X-RateLimit-Reset (rounded up to the
 * next second: Reset drops the milliseconds), else the configured default wait. A value at or before `now` is
 * not a usable wait (a 429 means "not now"), so the next source is tried; the result is always after `now` and
 * never beyond `now + timing.maxHeaderWaitMs`.
 */
export function cooldownUntilFor429(
  headers: HeaderSource | undefined,
  now: number,
  config: Pick<GateConfig, 'cooldown' | 'timing'>,
): Cooldown {
  const retryAfter = retryAfterUntil(headers, now, config);
  if (retryAfter !== undefined) return cooldown(retryAfter, 'retry-after');
  const reset = statedTime(headerValue(headers, 'x-ratelimit-reset'), now);
  if (reset !== undefined && reset.atMs > now) {
    return cooldown(boundHeaderTime(reset.atMs + reset.resolutionMs, now, config), 'reset');
  }
  return { untilMs: now + config.cooldown.defaultWaitMs, source: 'default' };
}
