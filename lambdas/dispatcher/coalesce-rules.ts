import { MAX_BULK_PROSPECT_IDS } from '../shared/intent';
import type { IntentError, IntentOutcome } from '../shared/intent-record';
import { outreachError } from './classify';

/**
 * Pure rules of coalescing (see coalescer.ts): when a forming batch is stale or sealed, how long a gathered
 * enrolment stays parked, how fast a bulk action is followed, and how one batch item settles its member. The clock
 * comes in as an argument.
 */

/** The coalescing settings these rules read (the `coalescing` block of the gate's configuration). */
export interface CoalescingSettings {
  readonly enabled: boolean;
  readonly maxSize: number;
  readonly maxAgeMs: number;
  readonly parkMs: number;
}

/** Largest message body gathered into a batch; a larger enrolment takes the single path. */
export const MAX_MEMBER_BODY_BYTES = 2048;
/** What a member adds to the forming item besides its body: receipt handle (≤ 1,024), ids, group, names. */
export const MEMBER_OVERHEAD_BYTES = 1536;
/** Room kept for members in one forming item (DynamoDB's item limit is 400 KB). */
export const FORMING_ITEM_BUDGET_BYTES = 380_000;
/** Most members one batch may hold: the bulk action's id limit and the forming item's size both bound it. */
export const MAX_COALESCE_SIZE = Math.min(
  MAX_BULK_PROSPECT_IDS,
  Math.floor(FORMING_ITEM_BUDGET_BYTES / (MAX_MEMBER_BODY_BYTES + MEMBER_OVERHEAD_BYTES)),
);

/** Lambda's longest invocation: no batch owns a member's record longer (the single path's ownership cap). */
export const MAX_PARK_MS = 900_000;

/** First poll of a bulk action after this, plus {@link POLL_MS_PER_ITEM} for each of its prospects. */
export const FIRST_POLL_BASE_MS = 1000;
/** Expected processing time of one item of a bulk action, for the first poll. */
export const POLL_MS_PER_ITEM = 20;
/** Later polls back off by doubling up to this. */
export const MAX_POLL_INTERVAL_MS = 5000;

/**
 * A forming batch older than this is stale: its opener died before sealing it, and the next joiner replaces it
 * (its members come back through their park's expiry). The gathering window plus as much again (at least 1 s).
 */
export function staleAfterMs(settings: Pick<CoalescingSettings, 'maxAgeMs'>): number {
  return settings.maxAgeMs + Math.max(1000, settings.maxAgeMs);
}

/**
 * The shortest park that is safe: a member joins only a batch opened at most {@link JOIN_SLACK_MS} after its claim
 * (see {@link latestOpeningFor}), and the invocation that seals and runs a batch ends at most {@link staleAfterMs}
 * plus one function timeout after the batch opened
 * (it is the opener, or the joiner that filled the batch while it was fresh); the member's record must stay the
 * batch's until then, or a re-received copy could read back before the bulk action made the enrolment.
 */
export function minParkMs(settings: Pick<CoalescingSettings, 'maxAgeMs'>, functionTimeoutMs: number): number {
  return functionTimeoutMs + staleAfterMs(settings) + JOIN_SLACK_MS;
}

/**
 * Longest time from a member's claim to the opening of the batch it joins: a member claimed longer ago takes the
 * single path, so its park (counted from the claim) still outlasts every invocation that can run its batch.
 */
export const JOIN_SLACK_MS = 5000;

/**
 * The latest opening time of a batch that members claimed at `claimedAt` may join. The join's conditional write
 * checks it, so a join that reaches the table late (a slow or retried request) cannot land in a batch opened since
 * and run after the members' park.
 */
export function latestOpeningFor(claimedAt: number): number {
  return claimedAt + JOIN_SLACK_MS;
}

/**
 * The default park: the minimum plus another function timeout for the bulk action to complete upstream after a
 * runner stopped following it, so the read-back of a member that comes back finds the enrolment made.
 */
export function defaultParkMs(settings: Pick<CoalescingSettings, 'maxAgeMs'>, functionTimeoutMs: number): number {
  return Math.min(MAX_PARK_MS, minParkMs(settings, functionTimeoutMs) + functionTimeoutMs);
}

/**
 * What a forming batch's key looks like to a joiner: absent, stale (replace it), opened too late for the joiner's
 * members (pass it over, see {@link latestOpeningFor}), or open for `room` more (none when full).
 */
export type FormingState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'late' }
  | { readonly kind: 'open'; readonly room: number };

/** Reads a forming batch as a joiner at `now`, whose members may join a batch opened by `latestOpenedAt`, sees it. */
export function formingStateOf(
  item: { readonly openedAt: number; readonly count: number } | undefined,
  settings: Pick<CoalescingSettings, 'maxAgeMs' | 'maxSize'>,
  now: number,
  latestOpenedAt: number,
): FormingState {
  if (item === undefined) return { kind: 'absent' };
  if (now - item.openedAt > staleAfterMs(settings)) return { kind: 'stale' };
  if (item.openedAt > latestOpenedAt) return { kind: 'late' };
  return { kind: 'open', room: Math.max(0, settings.maxSize - item.count) };
}

/** When the invocation that joined a batch seals it: now (it filled it), at the window's end (it opened it), or never. */
export type SealDecision =
  | { readonly kind: 'seal-now' }
  | { readonly kind: 'seal-at'; readonly atMs: number }
  | { readonly kind: 'leave' };

/** Decides who seals: the joiner that filled the batch at once, its opener when the window ends, nobody else. */
export function sealDecision(
  join: { readonly opened: boolean; readonly count: number; readonly openedAt: number },
  settings: Pick<CoalescingSettings, 'maxAgeMs' | 'maxSize'>,
): SealDecision {
  if (join.count >= settings.maxSize) return { kind: 'seal-now' };
  if (join.opened) return { kind: 'seal-at', atMs: join.openedAt + settings.maxAgeMs };
  return { kind: 'leave' };
}

/**
 * How long to wait before poll number `poll` (0 = the first) of a bulk action of `size` prospects: an estimate
 * of its processing time first, then doubling from 1 s up to {@link MAX_POLL_INTERVAL_MS}; never before a
 * cool-down ends (`cooldownUntil`, epoch ms, as the gate knows it).
 */
export function pollDelayMs(poll: number, size: number, now: number, cooldownUntil = 0): number {
  const paced =
    poll === 0
      ? FIRST_POLL_BASE_MS + POLL_MS_PER_ITEM * size
      : Math.min(MAX_POLL_INTERVAL_MS, 1000 * 2 ** Math.min(poll - 1, 16));
  return Math.max(paced, cooldownUntil - now);
}

/** One batch item as Outreach returns it from `GET /batchItems` (only what settling reads). */
export interface BatchItemView {
  readonly prospectId: number | undefined;
  readonly state: unknown;
  readonly failed: unknown;
  readonly sequenceStateId: number | undefined;
  readonly errors: unknown;
  readonly info: unknown;
}

/** How one member settles from its item. */
export type MemberSettlement =
  | { readonly kind: 'succeeded'; readonly outcome: IntentOutcome }
  | { readonly kind: 'rejected'; readonly error: IntentError }
  /** No finished item names it, or the item names no sequence state: left for its read-back. */
  | { readonly kind: 'unknown' };

/**
 * Settles a member from its batch item: a finished item with a sequence state → succeeded with the same outcome
 * shape as a single create's 201; a failed item → rejected with Outreach's error from the item; anything else
 * (no item, unfinished, or finished without a relationship) → unknown, never guessed.
 */
export function settlementOf(item: BatchItemView | undefined): MemberSettlement {
  if (item === undefined || item.state !== 'finished') return { kind: 'unknown' };
  if (item.failed === true) {
    const fromErrors = outreachError({ errors: Array.isArray(item.errors) ? item.errors : [] });
    const info = typeof item.info === 'string' && item.info !== '' ? item.info : undefined;
    return {
      kind: 'rejected',
      error: {
        kind: 'batch-item',
        ...(fromErrors.outreachErrorId === undefined ? {} : { outreachErrorId: fromErrors.outreachErrorId }),
        ...(fromErrors.detail !== undefined
          ? { detail: fromErrors.detail }
          : info === undefined
            ? {}
            : { detail: info }),
      },
    };
  }
  if (item.sequenceStateId === undefined) return { kind: 'unknown' };
  return {
    kind: 'succeeded',
    outcome: { httpStatus: 201, resourceType: 'sequenceState', resourceId: item.sequenceStateId },
  };
}

/** Whether every prospect of a batch has an item in a final state (`finished` or `canceled`): nothing more will come. */
export function itemsComplete(items: ReadonlyMap<number, BatchItemView>, prospectIds: readonly number[]): boolean {
  return prospectIds.every((id) => {
    const state = items.get(id)?.state;
    return state === 'finished' || state === 'canceled';
  });
}

/**
 * Time a runner keeps back while it follows a bulk action, so that when it must stop it can still cancel the
 * action and read its items once more (two requests of `requestMs`, each with its settling margin).
 */
export function stopReserveMs(requestMs: number): number {
  return 2 * requestMs;
}

/**
 * Time a sealed batch's runner needs to be worth starting: its POST, the first poll's wait, one read of the items
 * and the time to stop ({@link stopReserveMs}), each request counted at `requestMs` (its timeout and settling
 * margin). A runner with less would post an action it must cancel at once, and every member would then go singly.
 */
export function runTimeNeededMs(requestMs: number, size: number): number {
  return requestMs + pollDelayMs(0, size, 0) + requestMs + stopReserveMs(requestMs);
}

/**
 * Time an invocation needs to gather enrolments and open a batch: the window it waits out, then a run of a full
 * batch ({@link runTimeNeededMs}). The dispatcher timeout must allow it, and an invocation with less left does not
 * gather.
 */
export function openTimeNeededMs(
  requestMs: number,
  settings: Pick<CoalescingSettings, 'maxAgeMs' | 'maxSize'>,
): number {
  return settings.maxAgeMs + runTimeNeededMs(requestMs, settings.maxSize);
}

/**
 * Whether a runner that stopped following a bulk action may let its members go (settle those with a finished
 * item, read back the rest, singly): when Outreach confirmed the cancel (nothing more will run), or when every
 * member's item is final anyway. Otherwise something may still run, and the members stay parked.
 */
export function mayLetGoAfterStopping(
  cancelled: boolean,
  items: ReadonlyMap<number, BatchItemView> | undefined,
  prospectIds: readonly number[],
): boolean {
  return cancelled || (items !== undefined && itemsComplete(items, prospectIds));
}

/** Reads the batch items of one `GET /batchItems` page, by prospect id. */
export function batchItemsOf(body: unknown): BatchItemView[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data.map((raw) => {
    const item = (raw ?? {}) as {
      attributes?: Record<string, unknown>;
      relationships?: Record<string, { data?: { id?: unknown } } | undefined>;
      meta?: { errors?: unknown };
    };
    const idOf = (name: string): number | undefined => {
      const id = item.relationships?.[name]?.data?.id;
      return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
    };
    return {
      prospectId: idOf('prospect'),
      state: item.attributes?.state,
      failed: item.attributes?.failed,
      sequenceStateId: idOf('sequenceState'),
      errors: item.meta?.errors,
      info: item.attributes?.info,
    };
  });
}

/** What an enrolment's record is owned by while its bulk enrolment gathers and runs: never its message id. */
export const COALESCE_OWNER_PREFIX = 'coalesce:';

/**
 * The owner a gathered message's record gets: unlike the message id, a re-receive of the same message cannot
 * take it over while the batch owns it.
 */
export function coalesceOwner(messageId: string): string {
  return `${COALESCE_OWNER_PREFIX}${messageId}`;
}
