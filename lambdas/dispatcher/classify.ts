import { maintenanceUntil } from '../gate/maintenance';
import type { OutreachReply } from '../outreach/client';
import type { IntentError, IntentOutcome } from '../shared/intent-record';

/**
 * What one upstream reply means for the intent. Pure: the dispatcher acts on the verdict.
 * - `success`: a 2xx; the intent can be settled with its result.
 * - `throttled`: a 429, or a 503 with a future Retry-After (Outreach's scheduled maintenance, `reason:
 *   'maintenance'`); wait for the cool-down (the gate has recorded it). Never a failure.
 * - `unauthorized`: a 401; refresh the user's token once and try again.
 * - `rejected`: a 4xx Outreach will give again (403, 404, 422, …); dead-letter now, with Outreach's reason.
 * - `failed`: a 5xx, a 408, a timeout or a reset; retry with backoff, counting a failure attempt.
 */
export type Verdict =
  | { readonly kind: 'success'; readonly outcome: IntentOutcome }
  | { readonly kind: 'throttled'; readonly reason?: 'maintenance' }
  | { readonly kind: 'unauthorized'; readonly error: IntentError }
  | { readonly kind: 'rejected'; readonly error: IntentError }
  | { readonly kind: 'failed'; readonly error: IntentError };

/** Statuses worth retrying even though they are 4xx. */
const RETRYABLE_4XX = new Set([408, 425]);

/** How far ahead a maintenance Retry-After is read (the verdict only needs to know it names a future time). */
const UNBOUNDED = { timing: { maxHeaderWaitMs: Number.MAX_SAFE_INTEGER, clockSkewMs: 0 } };

/** Classifies one reply received at `now` (which tells a future maintenance Retry-After from a stale one). */
export function classifyReply(reply: OutreachReply, now: number = Date.now()): Verdict {
  if (reply.kind === 'no-response') return { kind: 'failed', error: { kind: reply.reason, detail: reply.detail } };
  const { status } = reply;
  if (status >= 200 && status < 300) return { kind: 'success', outcome: outcomeOf(reply.status, reply.body) };
  if (status === 429) return { kind: 'throttled' };
  if (maintenanceUntil(status, reply.headers, now, UNBOUNDED) !== undefined) {
    return { kind: 'throttled', reason: 'maintenance' };
  }
  const error: IntentError = { kind: 'http', status, ...outreachError(reply.body) };
  if (status === 401) return { kind: 'unauthorized', error };
  if (status >= 500 || RETRYABLE_4XX.has(status)) return { kind: 'failed', error };
  return { kind: 'rejected', error };
}

/** Outreach's error id and detail from a JSON:API error body (or a non-JSON:API one, as some 401s are). */
export function outreachError(body: unknown): Pick<IntentError, 'outreachErrorId' | 'detail'> {
  if (typeof body === 'string') return body.trim() === '' ? {} : { detail: truncate(body.trim()) };
  if (body === null || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const first = Array.isArray(record.errors) ? (record.errors[0] as Record<string, unknown> | undefined) : undefined;
  if (first !== undefined) {
    const id = typeof first.id === 'string' ? first.id : undefined;
    const detail = [first.detail, first.details, first.title].find((v): v is string => typeof v === 'string');
    const pointer = (first.source as { pointer?: unknown } | undefined)?.pointer;
    return {
      ...(id === undefined ? {} : { outreachErrorId: id }),
      ...(detail === undefined
        ? {}
        : { detail: truncate(typeof pointer === 'string' ? `${detail} (${pointer})` : detail) }),
    };
  }
  const error = typeof record.error === 'string' ? record.error : undefined;
  const description = typeof record.description === 'string' ? record.description : undefined;
  return {
    ...(error === undefined ? {} : { outreachErrorId: error }),
    ...(description === undefined ? {} : { detail: truncate(description) }),
  };
}

/** The result worth keeping from a 2xx: the resource's type and id and, for sparse fieldsets, its attributes. */
export function outcomeOf(httpStatus: number, body: unknown): IntentOutcome {
  const data = (body as { data?: unknown } | undefined)?.data;
  const resource = (Array.isArray(data) ? data[0] : data) as
    | { type?: unknown; id?: unknown; attributes?: unknown }
    | undefined;
  const outcome: { httpStatus: number; resourceType?: string; resourceId?: number; summary?: unknown } = { httpStatus };
  if (resource && typeof resource.type === 'string') outcome.resourceType = resource.type;
  if (resource && typeof resource.id === 'number' && Number.isInteger(resource.id) && resource.id > 0) {
    outcome.resourceId = resource.id;
  }
  if (resource && resource.attributes !== undefined && JSON.stringify(resource.attributes).length <= 2048) {
    outcome.summary = resource.attributes;
  }
  return outcome as IntentOutcome;
}

/** The first resource of a collection reply (a read-back), if any. */
export function firstResourceId(body: unknown): number | undefined {
  const data = (body as { data?: unknown } | undefined)?.data;
  const first = Array.isArray(data) ? (data[0] as { id?: unknown } | undefined) : undefined;
  return typeof first?.id === 'number' ? first.id : undefined;
}

function truncate(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
