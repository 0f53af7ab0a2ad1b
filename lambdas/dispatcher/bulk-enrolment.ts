import { cooldownUntilFor429, type UpstreamResult } from '../gate';
import { backoffDelayMs } from '../gate/backoff';
import type { OutreachApi, OutreachRequest } from '../outreach/client';
import type { GateConfig } from '../shared/config';
import type { Intent } from '../shared/intent';
import type { IntentError } from '../shared/intent-record';
import { classifyReply } from './classify';
import {
  type BatchItemView,
  batchItemsOf,
  coalesceOwner,
  itemsComplete,
  mayLetGoAfterStopping,
  pollDelayMs,
  runTimeNeededMs,
  settlementOf,
  stopReserveMs,
} from './coalesce-rules';
import { type DispatchLogger, type IntentDispatcher, MAX_DEFERRAL_SECONDS, timeNeededMs } from './dispatch';
import type { BatchMember, GateMetrics, IntentStore, LaneQueues, Release, TokenProvider } from './ports';

/** Items read per `GET /batchItems` page (Outreach accepts up to 1,000). */
const ITEMS_PAGE_SIZE = '1000';

/** Everything a bulk enrolment's runner works with. */
export interface BulkEnrolmentDependencies {
  /** Admission through the gate, lease returns and settling members, shared with the single path. */
  readonly dispatcher: IntentDispatcher;
  readonly outreach: OutreachApi;
  readonly tokens: TokenProvider;
  readonly intents: IntentStore;
  readonly queues: LaneQueues;
  readonly metrics: GateMetrics;
  readonly logger: DispatchLogger;
  readonly config: GateConfig;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** One member with the intent its message carries. */
export interface BulkEntry {
  readonly member: BatchMember;
  readonly intent: Intent;
}

/** A sealed batch: one user's enrolments into one sequence from one mailbox. */
export interface SealedBatch {
  readonly user: string;
  readonly sequenceId: number;
  readonly mailboxId: number;
  readonly entries: readonly BulkEntry[];
}

/** The answer to one follow-up request: its body, a wait (cool-down, budget, token), a failure, or no time left. */
type Read =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'wait'; readonly untilMs: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'out-of-time' };

/**
 * Runs one sealed batch: one gate admission and one `POST /batches/actions/prospectsAddToSequence` for all its
 * prospects, then follows the batch (each poll and each items page is a request through the gate) and settles
 * every member from its own item. What each outcome does to the members:
 * - 2xx and a finished batch: each member succeeds with its sequence state, or is dead-lettered alone with the
 *   error of its failed item; a member with no usable item is let go with "sent, outcome unknown" and made
 *   visible at once, so its next receive reads back before any create. Settled members' messages are deleted.
 * - 429 on the POST (or a cool-down, the budget, no token before it): nothing was sent; members are let go
 *   without a failure and come back when the wait ends. Waiting is not failing.
 * - Another 4xx on the POST (the request as a whole was refused, e.g. an unknown sequence or mailbox): every
 *   member is dead-lettered with Outreach's error.
 * - 5xx, timeout or reset on the POST: the outcome is unknown and Outreach may still be running it; a failure is
 *   counted and the members stay parked until their park ends, then each comes back through the single path's
 *   read-back (never released early: a read-back before the batch ran would find nothing and create again).
 * - Out of time while following (it keeps back the time to stop): the runner cancels the bulk action and reads
 *   its items once more. After a confirmed cancel nothing more will run: members with a finished item settle
 *   from it, and the rest are let go at once with "sent, outcome unknown", so each is read back and performed
 *   singly (never gathered again). When the cancel fails or its outcome is unknown and some item may still
 *   run, the members stay parked until their ownership expires and then come back through the read-back.
 */
export class BulkEnrolmentRunner {
  constructor(private readonly deps: BulkEnrolmentDependencies) {}

  async run(batch: SealedBatch, remainingMs: () => number): Promise<void> {
    const entries: BulkEntry[] = [];
    const repeated: BulkEntry[] = [];
    const prospects = new Set<number>();
    for (const entry of batch.entries) {
      const prospectId = this.prospectOf(entry);
      if (prospects.has(prospectId)) repeated.push(entry);
      else {
        prospects.add(prospectId);
        entries.push(entry);
      }
    }
    // Two intents for one prospect cannot be told apart in the items: the later ones go again on their own.
    if (repeated.length > 0) await this.putBack(repeated, { unconfirmedSend: false }, this.deps.clock(), 'repeated');
    if (entries.length === 0) return;
    const batchId = await this.post(batch, entries, remainingMs);
    if (batchId === undefined) return;
    this.deps.logger.info('bulk enrolment posted', { user: batch.user, batchId, members: entries.length });
    const prospectIds = entries.map((entry) => this.prospectOf(entry));
    const reserveMs = stopReserveMs(timeNeededMs(this.deps.config));
    const items = await this.follow(batch, batchId, prospectIds, () => remainingMs() - reserveMs);
    if (items === undefined) {
      await this.stop(batch, batchId, entries, prospectIds, remainingMs);
      return;
    }
    await this.settle(entries, items);
    this.deps.logger.info('bulk enrolment settled', { user: batch.user, batchId, members: entries.length });
  }

  /** The bulk action's POST, through one admission; the batch id when Outreach accepted it. */
  private async post(
    batch: SealedBatch,
    entries: readonly BulkEntry[],
    remainingMs: () => number,
  ): Promise<string | undefined> {
    const request: OutreachRequest = {
      method: 'POST',
      path: '/batches/actions/prospectsAddToSequence',
      body: {
        data: {
          attributes: {
            ids: entries.map((entry) => this.prospectOf(entry)),
            sequenceId: batch.sequenceId,
            mailboxId: batch.mailboxId,
          },
        },
      },
    };
    const requestMs = timeNeededMs(this.deps.config);
    for (let tries = 1; ; tries++) {
      // Never post an action this invocation could not follow: it would have to cancel it at once.
      if (remainingMs() < runTimeNeededMs(requestMs, entries.length)) {
        await this.putBack(entries, { unconfirmedSend: false }, this.deps.clock(), 'time');
        return undefined;
      }
      const grant = await this.deps.tokens.accessToken(batch.user);
      if (grant.kind === 'wait') {
        await this.putBack(entries, { unconfirmedSend: false }, grant.untilMs, 'token');
        return undefined;
      }
      const admission = await this.deps.dispatcher.admitFor(batch.user, 'bulk', remainingMs);
      if (admission.kind === 'wait') {
        await this.putBack(entries, { unconfirmedSend: false }, admission.untilMs, admission.reason);
        return undefined;
      }
      const reply = await this.deps.outreach.send(request, grant.token);
      const now = this.deps.clock();
      const result: UpstreamResult =
        reply.kind === 'response' ? { status: reply.status, headers: reply.headers } : { status: 'timeout' };
      this.deps.metrics.upstream(reply.kind === 'response' ? reply.status : 'timeout', reply.latencyMs, {
        lane: 'bulk',
        user: batch.user,
      });
      await this.deps.dispatcher.returnLeaseFor(admission.lease, result, `bulk:${batch.user}:${batch.sequenceId}`);
      const verdict = classifyReply(reply, now);
      switch (verdict.kind) {
        case 'success': {
          const id = (reply as { body: unknown }).body as { data?: { id?: unknown } } | undefined;
          const batchId = id?.data?.id;
          if (typeof batchId === 'number' || (typeof batchId === 'string' && batchId !== '')) return String(batchId);
          await this.failed(entries, { kind: 'http', status: verdict.outcome.httpStatus, detail: 'no batch id' });
          return undefined;
        }
        case 'throttled': {
          const { untilMs } = cooldownUntilFor429(
            reply.kind === 'response' ? reply.headers : undefined,
            now,
            this.deps.config,
          );
          this.deps.metrics.cooldownRemaining(batch.user, Math.max(0, untilMs - now));
          await this.putBack(entries, { unconfirmedSend: false }, untilMs, 'cooldown');
          return undefined;
        }
        case 'unauthorized':
          if (tries === 1) {
            await this.deps.tokens.invalidate(batch.user, grant.token);
            continue;
          }
          await this.failed(entries, verdict.error, false);
          return undefined;
        case 'rejected':
          await this.settleAll(
            entries.map((entry) => ({ entry, settlement: { kind: 'rejected' as const, error: verdict.error } })),
          );
          await this.deleteMessages(entries);
          return undefined;
        case 'failed':
          await this.failed(entries, verdict.error);
          return undefined;
      }
    }
  }

  /**
   * Follows the batch by reading its items (one page holds a whole batch: `maxSize` ≤ 106) until every member's
   * prospect has a finished item, so a batch costs its POST and, when the first poll's estimate holds, one read.
   * From the third poll on, a batch that says it is finished or canceled ends the wait with the items it has
   * (a member without one is read back). Undefined when time ran out first.
   */
  private async follow(
    batch: SealedBatch,
    batchId: string,
    prospectIds: readonly number[],
    remainingMs: () => number,
  ): Promise<Map<number, BatchItemView> | undefined> {
    let waitUntil = 0;
    for (let poll = 0; ; poll++) {
      const delay = pollDelayMs(poll, prospectIds.length, this.deps.clock(), waitUntil);
      if (remainingMs() - delay < timeNeededMs(this.deps.config)) return undefined;
      await this.deps.sleep(delay);
      const items = await this.readItems(batch.user, batchId, remainingMs);
      if (items.kind === 'out-of-time') return undefined;
      if (items.kind === 'wait') waitUntil = items.untilMs;
      if (items.kind !== 'ok') continue;
      if (itemsComplete(items.items, prospectIds)) return items.items;
      if (poll < 2) continue;
      const status = await this.read(batch.user, { method: 'GET', path: `/batches/${batchId}` }, remainingMs);
      if (status.kind === 'out-of-time') return undefined;
      if (status.kind !== 'ok') continue;
      const state = (status.body as { data?: { attributes?: { state?: unknown } } } | undefined)?.data?.attributes
        ?.state;
      if (state !== 'finished' && state !== 'canceled') continue;
      const last = await this.readItems(batch.user, batchId, remainingMs);
      if (last.kind === 'ok') return last.items;
      if (last.kind === 'out-of-time') return undefined;
    }
  }

  /**
   * Stops following an unfinished bulk action: cancels it (a request through the gate) and reads its items once
   * more. When the cancel is confirmed, or every item is final anyway, the members settle from their items and
   * the rest come back at once to be read back and performed singly; otherwise they stay parked.
   */
  private async stop(
    batch: SealedBatch,
    batchId: string,
    entries: readonly BulkEntry[],
    prospectIds: readonly number[],
    remainingMs: () => number,
  ): Promise<void> {
    const cancel = await this.read(
      batch.user,
      { method: 'POST', path: `/batches/${batchId}/actions/cancel` },
      remainingMs,
    );
    const read = await this.readItems(batch.user, batchId, remainingMs);
    const items = read.kind === 'ok' ? read.items : undefined;
    const cancelled = cancel.kind === 'ok';
    if (!mayLetGoAfterStopping(cancelled, items, prospectIds)) {
      this.deps.logger.warn('stopped following a bulk enrolment; its members come back after their park', {
        user: batch.user,
        batchId,
        members: entries.length,
        cancel: cancel.kind,
      });
      return;
    }
    this.deps.logger.info('stopped following a bulk enrolment; its unfinished members go singly', {
      user: batch.user,
      batchId,
      members: entries.length,
      cancelled,
    });
    await this.settle(entries, items ?? new Map());
  }

  /** Every item of the batch, page by page; the first read that is not an answer ends it. */
  private async readItems(
    user: string,
    batchId: string,
    remainingMs: () => number,
  ): Promise<{ kind: 'ok'; items: Map<number, BatchItemView> } | Exclude<Read, { kind: 'ok' }>> {
    const items = new Map<number, BatchItemView>();
    let request: OutreachRequest | undefined = {
      method: 'GET',
      path: '/batchItems',
      query: { 'filter[batch][id]': batchId, 'page[size]': ITEMS_PAGE_SIZE },
    };
    while (request !== undefined) {
      const read = await this.read(user, request, remainingMs);
      if (read.kind !== 'ok') return read;
      for (const item of batchItemsOf(read.body)) {
        if (item.prospectId !== undefined) items.set(item.prospectId, item);
      }
      request = this.nextPage(read.body);
    }
    return { kind: 'ok', items };
  }

  /** The request for the next page a collection answer links to, relative to the API's base URL. */
  private nextPage(body: unknown): OutreachRequest | undefined {
    const next = (body as { links?: { next?: unknown } } | undefined)?.links?.next;
    if (typeof next !== 'string' || next === '') return undefined;
    const url = new URL(next);
    const base = new URL(this.deps.config.outreach.baseUrl).pathname.replace(/\/+$/, '');
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    return { method: 'GET', path, query: Object.fromEntries(url.searchParams) };
  }

  /** One follow-up request (a read, or the cancel) through the gate: admission, request, lease returned with its answer. */
  private async read(user: string, request: OutreachRequest, remainingMs: () => number): Promise<Read> {
    if (remainingMs() < timeNeededMs(this.deps.config)) return { kind: 'out-of-time' };
    const grant = await this.deps.tokens.accessToken(user);
    if (grant.kind === 'wait') return { kind: 'wait', untilMs: grant.untilMs };
    const admission = await this.deps.dispatcher.admitFor(user, 'bulk', remainingMs);
    if (admission.kind === 'wait') return { kind: 'wait', untilMs: admission.untilMs };
    const reply = await this.deps.outreach.send(request, grant.token);
    const now = this.deps.clock();
    const result: UpstreamResult =
      reply.kind === 'response' ? { status: reply.status, headers: reply.headers } : { status: 'timeout' };
    this.deps.metrics.upstream(reply.kind === 'response' ? reply.status : 'timeout', reply.latencyMs, {
      lane: 'bulk',
      user,
    });
    await this.deps.dispatcher.returnLeaseFor(admission.lease, result, `bulk:${user}:${request.path}`);
    const verdict = classifyReply(reply, now);
    if (verdict.kind === 'success') return { kind: 'ok', body: (reply as { body: unknown }).body };
    if (verdict.kind === 'throttled') {
      const headers = reply.kind === 'response' ? reply.headers : undefined;
      return { kind: 'wait', untilMs: cooldownUntilFor429(headers, now, this.deps.config).untilMs };
    }
    if (verdict.kind === 'unauthorized') await this.deps.tokens.invalidate(user, grant.token);
    return { kind: 'failed' };
  }

  /** Settles every member from its item; members without a usable item come back at once through a read-back. */
  private async settle(entries: readonly BulkEntry[], items: ReadonlyMap<number, BatchItemView>): Promise<void> {
    const unknown: BulkEntry[] = [];
    const known = [];
    for (const entry of entries) {
      const settlement = settlementOf(items.get(this.prospectOf(entry)));
      if (settlement.kind === 'unknown') unknown.push(entry);
      else known.push({ entry, settlement });
    }
    const settled = await this.settleAll(known);
    await this.deleteMessages(settled);
    if (unknown.length > 0) {
      this.deps.logger.warn('bulk enrolment items said nothing of some members; they are read back', {
        intentIds: unknown.map((entry) => entry.intent.id),
      });
      await this.putBack(unknown, { unconfirmedSend: true }, this.deps.clock(), 'read-back');
    }
  }

  /** Settles members (ten at a time); returns those settled. A member whose settling failed stays parked. */
  private async settleAll(
    work: ReadonlyArray<{
      entry: BulkEntry;
      settlement: Parameters<IntentDispatcher['settleMember']>[2];
    }>,
  ): Promise<BulkEntry[]> {
    const settled: BulkEntry[] = [];
    for (let start = 0; start < work.length; start += 10) {
      await Promise.all(
        work.slice(start, start + 10).map(async ({ entry, settlement }) => {
          try {
            await this.deps.dispatcher.settleMember(entry.member, entry.intent, settlement);
            settled.push(entry);
          } catch (error) {
            this.deps.logger.warn('could not settle a bulk enrolment member; it comes back after its park', {
              intentId: entry.intent.id,
              error: String(error),
            });
          }
        }),
      );
    }
    return settled;
  }

  /**
   * A failed POST, counted once per member. When its outcome is unknown (5xx, timeout, reset) Outreach may still
   * be running the batch: the members stay parked, owned by the batch, until their park ends (it covers the
   * batch's completion), and then each is read back by prospect and sequence before any create. When nothing was
   * performed (a second 401), they are let go with the failure and come back after a backoff.
   */
  private async failed(entries: readonly BulkEntry[], error: IntentError, unconfirmedSend = true): Promise<void> {
    for (const entry of entries) this.deps.metrics.failure(entry.member.lane);
    this.deps.logger.warn('bulk enrolment failed; its members go again one by one', {
      members: entries.length,
      outcomeUnknown: unconfirmedSend,
      error,
    });
    if (unconfirmedSend) return;
    const untilMs = this.deps.clock() + backoffDelayMs(1, this.deps.config, this.deps.random);
    await this.putBack(entries, { unconfirmedSend, failure: error }, untilMs, 'backoff');
  }

  /**
   * Lets go of members' records (owner removed, what may have been sent kept) and shows their messages again at
   * `visibleAt`. A member whose release fails stays parked and comes back at its park's end.
   */
  private async putBack(
    entries: readonly BulkEntry[],
    release: Release,
    visibleAt: number,
    reason: string,
  ): Promise<void> {
    const now = this.deps.clock();
    this.deps.logger.info('bulk enrolment members put back', {
      reason,
      members: entries.length,
      inMs: visibleAt - now,
    });
    const seconds = Math.min(MAX_DEFERRAL_SECONDS, Math.max(0, Math.ceil((visibleAt - now) / 1000)));
    await Promise.all(
      entries.map(async ({ member, intent }) => {
        try {
          await this.deps.intents.release(intent, coalesceOwner(member.messageId), release, now);
          this.deps.metrics.deferral(reason, { lane: member.lane, user: intent.user });
          await this.deps.queues.defer(member.lane, member.receiptHandle, seconds);
        } catch (error) {
          this.deps.logger.warn('could not put a bulk enrolment member back; it comes back after its park', {
            intentId: intent.id,
            error: String(error),
          });
        }
      }),
    );
  }

  /** Deletes settled members' messages; one that is not deleted comes back and finds its record settled. */
  private async deleteMessages(entries: readonly BulkEntry[]): Promise<void> {
    const byLane = new Map<BatchMember['lane'], string[]>();
    for (const { member } of entries)
      byLane.set(member.lane, [...(byLane.get(member.lane) ?? []), member.receiptHandle]);
    for (const [lane, handles] of byLane) {
      try {
        const left = await this.deps.queues.delete(lane, handles);
        if (left.length > 0)
          this.deps.logger.info('some settled members’ messages were not deleted', { left: left.length });
      } catch (error) {
        this.deps.logger.warn('could not delete settled members’ messages; they come back settled', {
          error: String(error),
        });
      }
    }
  }

  private prospectOf(entry: BulkEntry): number {
    const op = entry.intent.operation;
    if (op.type !== 'sequenceState.create') throw new Error(`intent ${entry.intent.id} is not an enrolment`);
    return op.prospectId;
  }
}
