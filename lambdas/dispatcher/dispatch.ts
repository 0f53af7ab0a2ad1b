import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQSRecord } from 'aws-lambda';
import {
  cooldownUntilFor429,
  type GateStore,
  GateUnavailableError,
  type Lease,
  releaseMayWait,
  type UpstreamResult,
} from '../gate';
import type { OutreachApi, OutreachReply, OutreachRequest } from '../outreach/client';
import { type GateConfig, type LaneEndpoints, SETTLE_MARGIN_MS } from '../shared/config';
import { type Intent, intentIdSchema, MAX_INTENT_BYTES, safeParseIntent } from '../shared/intent';
import { type IntentError, type IntentOutcome, type IntentRecord, payloadHashOf } from '../shared/intent-record';
import { LANES, type Lane } from '../shared/names';
import { requestPolicyOf, requestPolicyRefusal } from '../shared/request-policy';
import { recordOf } from './batch-member';
import { classifyReply, firstResourceId, outcomeOf, type Verdict } from './classify';
import { coalesceOwner, type MemberSettlement } from './coalesce-rules';
import { completionEventOf } from './completion';
import { lookupRequest, performRequest, repeatsHarmfully, upsertWriteRequest } from './plan';
import type {
  BatchMember,
  Claim,
  CompletionEvent,
  CompletionEvents,
  GateMetrics,
  IntentStore,
  LaneQueues,
  TokenProvider,
} from './ports';
import { afterFailure, onRefusedClaim, sendPlan } from './record-rules';

/** How often a caller told to wait for a lease tries again, at most. */
const LEASE_POLL_MS = 100;

/** SQS's longest visibility timeout: the longest a deferral can hide a message. */
export const MAX_DEFERRAL_SECONDS = 43_200;

/** Lambda's longest invocation: no receive owns an intent's record for longer. */
const MAX_OWNERSHIP_MS = 900_000;

/** How many times returning a lease is tried before it is left to expire. */
const RELEASE_TRIES = 3;

/** Message attribute that marks a lane message as a redrive of a dead-letter copy (see sqs-lane-queues.ts). */
export const REDRIVE_ATTRIBUTE = 'outreach-gate.dead-letter-id';

/** Something the dispatcher logs through (Powertools Logger in Lambda). */
export interface DispatchLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Everything the dispatcher works with. */
export interface DispatchDependencies {
  readonly config: GateConfig;
  readonly lanes: LaneEndpoints;
  readonly gate: GateStore;
  readonly outreach: OutreachApi;
  readonly tokens: TokenProvider;
  readonly intents: IntentStore;
  readonly queues: LaneQueues;
  readonly metrics: GateMetrics;
  readonly logger: DispatchLogger;
  /** Where completion events go once an intent's record is settled. @default - none published */
  readonly completions?: CompletionEvents;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * How one record ended; a deferred record is reported failed to SQS, so its message stays. A `recycled` record
 * is deleted (a copy was sent) and stops its message group for the rest of the batch.
 */
export type RecordOutcome = 'succeeded' | 'dead-lettered' | 'already-settled' | 'recycled';

/**
 * How long a deferred message stays hidden. SQS counts whole seconds, so a wait on the gate (a cool-down, the
 * budget's reset, the critical reserve's release) brings the message back a little EARLY — by up to the jitter,
 * spreading deferred messages out, and never by more than the in-process wait — and the dispatcher sleeps the
 * rest: the budget is spent from the moment it is free, not a rounding-up later. A backoff already carries full
 * jitter and is never shortened.
 */
export function deferralSeconds(
  wait: { readonly untilMs: number; readonly reason: string },
  now: number,
  config: GateConfig['deferral'],
  random: () => number,
): number {
  const waitMs = Math.max(0, wait.untilMs - now);
  if (wait.reason === 'backoff') return Math.min(MAX_DEFERRAL_SECONDS, Math.ceil(waitMs / 1000));
  const earlyMs = Math.max(0, Math.min(config.jitterMs, config.maxInProcessWaitMs - 1000)) * random();
  return Math.min(MAX_DEFERRAL_SECONDS, Math.max(0, Math.floor((waitMs - earlyMs) / 1000)));
}

/**
 * The time an invocation must still have to start a record or an upstream request: the request's timeout and
 * the margin to settle after it. With less, the record goes back to its queue at once (a wait, not a failure).
 */
export function timeNeededMs(config: GateConfig): number {
  return config.outreach.requestTimeoutMs + SETTLE_MARGIN_MS;
}

/** Thrown to the batch processor for a record that must stay on its queue (it was deferred). */
export class DeferredError extends Error {
  override readonly name = 'DeferredError';
  constructor(
    readonly reason: string,
    readonly delaySeconds: number,
  ) {
    super(`deferred ${delaySeconds}s (${reason})`);
  }
}

/** A record already claimed by its owner (a gathered enrolment that takes the single path after all). */
export interface PreClaim {
  readonly owner: string;
  /** The record before the claim. */
  readonly previous?: IntentRecord;
}

/** A lease for one request, or the time until one may be had (a cool-down, the budget, a lease, a token). */
export type Admission =
  | { readonly kind: 'lease'; readonly lease: Lease }
  | { readonly kind: 'wait'; readonly untilMs: number; readonly reason: string };

/** A wait discovered while processing: becomes a deferral, never a failure. */
class Wait {
  constructor(
    readonly untilMs: number,
    readonly reason: string,
  ) {}
}

/** A verdict that ends processing of the record. */
class Settle {
  constructor(
    readonly action:
      | { kind: 'dead-letter'; reason: string; error?: IntentError; countFailure?: boolean }
      | { kind: 'defer'; wait: Wait; failure?: IntentError },
  ) {}
}

/** One receive working on an intent whose record it owns. */
interface Attempt {
  readonly record: SQSRecord;
  /** Who owns the record while this receive works: the message id, or its batch's owner for a coalesced one. */
  readonly owner: string;
  readonly lane: Lane;
  readonly intent: Intent;
  /** The record before this receive claimed it. */
  readonly previous: IntentRecord | undefined;
  /** Whether the claim re-opened a dead-lettered record (a redrive). */
  readonly redriven: boolean;
  /** Failed attempts counted before this receive. */
  readonly failuresBefore: number;
  /** Epoch ms of the first of them, when the record holds it. */
  readonly firstFailedAt: number | undefined;
  /**
   * What the record must say if this receive lets go now: a request that does harm when repeated went out and
   * its outcome is not stored yet (true from the send until a definite answer other than a 2xx, or until the 2xx
   * is stored).
   */
  unconfirmed: boolean;
  /** Whether this receive still owns the record. */
  owned: boolean;
}

/** A lease whose return waits for the next admission of its user, to be written with it. */
interface HeldLease {
  readonly lease: Lease;
  readonly result: UpstreamResult;
  readonly intent: Pick<Intent, 'id'>;
}

/** What one invocation carries from record to record: the lease it holds for its next admission, if any. */
interface LeaseCarry {
  held: HeldLease | undefined;
}

/** The upstream answer to one request, and, for a 2xx that settles the intent, the lease still to return. */
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly outcome: IntentOutcome;
  readonly release?: () => Promise<void>;
}

/**
 * Processes one SQS record of a lane: validates the intent, claims its record (a conditional write, on every
 * receive), asks the gate for each upstream request, calls Outreach, and settles the intent (result stored
 * first), dead-letters it (with the reason), or defers it (message hidden until it may go; never a failure).
 */
export class IntentDispatcher {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly laneByArn: ReadonlyMap<string, Lane>;
  /**
   * Per invocation (see {@link withHeldLeases}), the lease of the last request that succeeded, not yet returned:
   * the next admission of its user returns it in the same write (see `GateStore.acquire`). Returned on its own
   * before another user's admission, before a record waits, and when the invocation's records are done.
   */
  private readonly carries = new AsyncLocalStorage<LeaseCarry>();

  constructor(private readonly deps: DispatchDependencies) {
    this.clock = deps.clock ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.laneByArn = new Map(LANES.map((lane) => [deps.lanes[lane].queueArn, lane]));
  }

  /** The lane a record came from, by its queue ARN. */
  laneOf(record: SQSRecord): Lane {
    const lane = this.laneByArn.get(record.eventSourceARN);
    if (lane === undefined)
      throw new Error(`record ${record.messageId} comes from an unknown queue ${record.eventSourceARN}`);
    return lane;
  }

  /**
   * Processes one record. Resolves when the message may be deleted; throws {@link DeferredError} when it must
   * stay (already hidden for the wait). `remainingMs` is the invocation's time left: no record and no upstream
   * request is started without {@link timeNeededMs} of it.
   */
  async process(
    record: SQSRecord,
    remainingMs: () => number = () => Number.POSITIVE_INFINITY,
    claimed?: PreClaim,
  ): Promise<RecordOutcome> {
    const lane = this.laneOf(record);
    const parsed = this.parse(record, lane);
    if (parsed.kind === 'invalid') {
      await this.sendToDeadLetterQueue(record, lane, {
        reason: parsed.reason ?? 'invalid',
        error: { kind: parsed.reason ?? 'invalid', detail: parsed.detail },
        ...(parsed.intentId === undefined ? {} : { intentId: parsed.intentId }),
      });
      return 'dead-lettered';
    }
    const intent = parsed.intent;
    if (claimed === undefined && remainingMs() < timeNeededMs(this.deps.config)) return this.giveBack(record, lane);
    const early = claimed === undefined ? await this.waitBeforeClaim(intent, lane, remainingMs) : undefined;
    if (early !== undefined) return this.waitUnowned(record, lane, intent, early);
    const taken =
      claimed === undefined
        ? await this.take(record, lane, intent, remainingMs)
        : {
            kind: 'claimed' as const,
            attempt: this.attemptOf(record, lane, intent, claimed.owner, claimed.previous, false),
          };
    if (taken.kind === 'done') return taken.outcome;
    const attempt = taken.attempt;
    try {
      return await this.settle(attempt, remainingMs);
    } catch (error) {
      if (error instanceof Settle) {
        if (error.action.kind === 'dead-letter') {
          await this.deadLetter(attempt, error.action.reason, error.action.error, error.action.countFailure === true);
          return 'dead-lettered';
        }
        return this.defer(attempt, error.action.wait, error.action.failure);
      }
      await this.abandon(attempt);
      throw error;
    }
  }

  /**
   * The deferral the gate already decides for an intent as far as this process knows (a cool-down or the spent
   * budget, longer than an in-process wait; see `GateStore.knownWait`), so that the record waits before it is
   * claimed: such a deferral costs no DynamoDB request, or one read when the gate's image had aged. Undefined when
   * the gate must be asked (or the intent's deadline has passed: it is dead-lettered).
   */
  private async waitBeforeClaim(intent: Intent, lane: Lane, remainingMs: () => number): Promise<Wait | undefined> {
    if (intent.deadline !== undefined && Date.parse(intent.deadline) <= this.clock()) return undefined;
    let wait: Awaited<ReturnType<NonNullable<GateStore['knownWait']>>>;
    try {
      wait = await this.deps.gate.knownWait?.(intent.user, lane);
    } catch {
      return undefined; // the admission will meet the same trouble and say what to do
    }
    if (wait === undefined) return undefined;
    const now = this.clock();
    const waitMs = Math.max(0, wait.untilMs - now);
    const inProcess =
      waitMs <= this.deps.config.deferral.maxInProcessWaitMs &&
      remainingMs() - waitMs >= timeNeededMs(this.deps.config);
    if (inProcess) return undefined;
    if (wait.reason === 'cooldown') this.deps.metrics.cooldownRemaining(intent.user, waitMs);
    return new Wait(wait.untilMs, wait.reason);
  }

  /** The queue ARN of a lane (what its records name as their event source). */
  queueArnOf(lane: Lane): string {
    return this.deps.lanes[lane].queueArn;
  }

  /** The intent a record carries when it is valid for this gate (its lane, user and policy), else undefined. */
  intentOf(record: SQSRecord): Intent | undefined {
    const parsed = this.parse(record, this.laneOf(record));
    return parsed.kind === 'ok' ? parsed.intent : undefined;
  }

  /**
   * One admission through the gate for a request made on behalf of several intents (a bulk enrolment): waits
   * in-process while the wait is short, as for a single intent, and returns a longer wait instead of deferring.
   */
  async admitFor(user: string, lane: Lane, remainingMs: () => number): Promise<Admission> {
    try {
      return { kind: 'lease', lease: await this.admit(user, lane, remainingMs) };
    } catch (error) {
      if (!(error instanceof Settle) || error.action.kind !== 'defer') throw error;
      return { kind: 'wait', untilMs: error.action.wait.untilMs, reason: error.action.wait.reason };
    }
  }

  /** Returns a lease taken with {@link admitFor}, recording what the answer said; never throws. */
  returnLeaseFor(lease: Lease, result: UpstreamResult, label: string): Promise<void> {
    return this.returnLease(lease, result, { id: label });
  }

  /**
   * Settles one member of a bulk enrolment from its batch item, as a single create would have been: succeeded
   * with the sequence state (result stored, counted, announced), or dead-lettered alone with Outreach's error from
   * the item (record first with its owner, then the dead-letter copy of its body, reason `rejected`).
   */
  async settleMember(
    member: BatchMember,
    intent: Intent,
    settlement: Exclude<MemberSettlement, { kind: 'unknown' }>,
  ): Promise<void> {
    const record = recordOf(member, this.deps.lanes[member.lane].queueArn);
    const attempt = this.attemptOf(record, member.lane, intent, coalesceOwner(member.messageId), undefined, false);
    if (settlement.kind === 'rejected') {
      await this.deadLetter(attempt, 'rejected', settlement.error, false);
      return;
    }
    const stored = await this.deps.intents.succeed(intent, attempt.owner, settlement.outcome, this.clock());
    if (!stored) {
      this.deps.logger.error('the bulk enrolment made it but the intent was already settled; its record is kept', {
        intentId: intent.id,
        outcome: settlement.outcome,
      });
    }
    this.deps.metrics.succeeded(member.lane, this.clock() - member.sentAt);
    if (stored) await this.announce(completionEventOf(intent, { status: 'succeeded', outcome: settlement.outcome }));
  }

  /** Performs a claimed intent and stores its result before anything else. */
  private async settle(attempt: Attempt, remainingMs: () => number): Promise<RecordOutcome> {
    const { intent, lane, record } = attempt;
    if (intent.deadline !== undefined && Date.parse(intent.deadline) <= this.clock()) {
      throw new Settle({
        kind: 'dead-letter',
        reason: 'expired',
        error: { kind: 'expired', detail: `deadline ${intent.deadline} passed` },
      });
    }
    const plan = sendPlan(intent, attempt.previous, attempt.redriven);
    if (plan === 'ambiguous') {
      throw new Settle({
        kind: 'dead-letter',
        reason: 'ambiguous',
        error: attempt.previous?.lastError ?? {
          kind: 'ambiguous',
          detail: 'an earlier attempt may have reached Outreach and its outcome was never seen; it cannot be read back',
        },
      });
    }
    const answer = await this.perform(attempt, plan === 'read-back', remainingMs);
    const stored = await this.deps.intents.succeed(intent, attempt.owner, answer.outcome, this.clock());
    attempt.owned = false;
    if (!stored) {
      this.deps.logger.error('Outreach answered 2xx but the intent was already settled; its record is kept as it is', {
        intentId: intent.id,
        outcome: answer.outcome,
      });
    }
    await answer.release?.();
    this.deps.metrics.succeeded(lane, this.clock() - Number(record.attributes.SentTimestamp ?? this.clock()));
    if (stored) await this.announce(completionEventOf(intent, { status: 'succeeded', outcome: answer.outcome }));
    return 'succeeded';
  }

  /**
   * Claims the intent's record for this message, or decides from the record why not: already settled, another
   * payload, dead-lettered (a redrive re-opens it), or in flight elsewhere (wait).
   */
  private async take(
    record: SQSRecord,
    lane: Lane,
    intent: Intent,
    remainingMs: () => number,
  ): Promise<{ kind: 'claimed'; attempt: Attempt } | { kind: 'done'; outcome: RecordOutcome }> {
    const now = this.clock();
    const request = {
      owner: record.messageId,
      ownerExpiresAt: now + Math.min(remainingMs(), MAX_OWNERSHIP_MS),
      payloadHash: payloadHashOf(intent),
      guardSend: repeatsHarmfully(intent.operation),
    };
    const redriveOf = record.messageAttributes?.[REDRIVE_ATTRIBUTE]?.stringValue;
    let claim: Claim = await this.deps.intents.claim(intent, request, now);
    let redriven = false;
    if (claim.kind === 'refused') {
      const refusal = onRefusedClaim(claim.current, { ...request, now, ...(redriveOf ? { redriveOf } : {}) });
      if (refusal.kind === 'redrive') {
        claim = await this.deps.intents.reopen(intent, request, refusal.deadLetterId, now);
        redriven = claim.kind === 'claimed';
      }
    }
    if (claim.kind === 'refused')
      return { kind: 'done', outcome: await this.refused(record, lane, intent, claim.current) };
    if (redriven) this.deps.logger.info('dead-lettered intent redriven; performing it again', { intentId: intent.id });
    return { kind: 'claimed', attempt: this.attemptOf(record, lane, intent, request.owner, claim.previous, redriven) };
  }

  /** The attempt of a receive that owns the intent's record as `owner`. */
  private attemptOf(
    record: SQSRecord,
    lane: Lane,
    intent: Intent,
    owner: string,
    previous: IntentRecord | undefined,
    redriven: boolean,
  ): Attempt {
    return {
      record,
      owner,
      lane,
      intent,
      previous,
      redriven,
      failuresBefore: redriven ? 0 : (previous?.failureAttempts ?? 0),
      firstFailedAt: redriven ? undefined : previous?.firstFailedAt,
      unconfirmed: previous?.unconfirmedSend === true,
      owned: true,
    };
  }

  /** Acts on a claim refused for good (a redrive that lost its race is decided again, as a plain receive). */
  private async refused(record: SQSRecord, lane: Lane, intent: Intent, current: IntentRecord): Promise<RecordOutcome> {
    // A message dead-lettered by its bulk enrolment (owner `coalesce:<id>`) that came back is this message too.
    const ownCrash = current.deadLetteredBy === coalesceOwner(record.messageId);
    const owner = ownCrash ? coalesceOwner(record.messageId) : record.messageId;
    const refusal = onRefusedClaim(current, { payloadHash: payloadHashOf(intent), owner, now: this.clock() });
    switch (refusal.kind) {
      case 'already-settled':
        this.deps.logger.info('intent already succeeded; not sending it again', { intentId: intent.id });
        return 'already-settled';
      case 'id-reused':
        await this.sendToDeadLetterQueue(record, lane, {
          reason: 'id-reused',
          error: refusal.error,
          intentId: intent.id,
        });
        return 'dead-lettered';
      case 'dead-letter-again':
        await this.sendToDeadLetterQueue(record, lane, {
          reason: refusal.reason,
          intentId: intent.id,
          ...(refusal.error === undefined ? {} : { error: refusal.error }),
          ...(refusal.deadLetterId === undefined ? {} : { deadLetterId: refusal.deadLetterId }),
          // The message that dead-lettered it came back after a crash: the same copy, de-duplicated by SQS.
          ...(current.deadLetteredBy === owner && refusal.deadLetterId !== undefined
            ? { deduplicationId: refusal.deadLetterId }
            : {}),
        });
        return 'dead-lettered';
      case 'wait':
      case 'redrive': {
        const untilMs =
          refusal.kind === 'wait'
            ? Math.min(refusal.untilMs, this.clock() + this.deps.config.deferral.maxInProcessWaitMs)
            : this.clock();
        return this.waitUnowned(record, lane, intent, new Wait(untilMs, 'in-flight'));
      }
    }
  }

  /** The invocation is nearly out of time: the record goes back to its queue at once, untouched. */
  private async giveBack(record: SQSRecord, lane: Lane): Promise<never> {
    await this.returnHeld();
    this.deps.metrics.deferral('time', { lane });
    await this.deps.queues.defer(lane, record.receiptHandle, 0);
    throw new DeferredError('time', 0);
  }

  private parse(
    record: SQSRecord,
    lane: Lane,
  ):
    | { kind: 'ok'; intent: Intent }
    | { kind: 'invalid'; detail: string; intentId?: string; reason?: 'refused-by-policy' } {
    // Bounded before parsing: an intent is at most MAX_INTENT_BYTES, whatever the queue accepted.
    const bytes = Buffer.byteLength(record.body, 'utf8');
    if (bytes > MAX_INTENT_BYTES) {
      return { kind: 'invalid', detail: `body is ${bytes} bytes; an intent is at most ${MAX_INTENT_BYTES} bytes` };
    }
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch (error) {
      return { kind: 'invalid', detail: `body is not JSON: ${(error as Error).message}` };
    }
    const id = (json as { id?: unknown } | null)?.id;
    const intentId = intentIdSchema.safeParse(id).success ? (id as string) : undefined;
    const result = safeParseIntent(json);
    if (!result.success) return { kind: 'invalid', detail: result.error.message, intentId };
    const intent = result.intent;
    if (intent.lane !== lane) {
      return { kind: 'invalid', detail: `intent names lane ${intent.lane} but was sent to the ${lane} lane`, intentId };
    }
    if (!this.deps.config.users.includes(intent.user)) {
      return {
        kind: 'invalid',
        detail: `user "${intent.user}" is not one of the gate's users (${this.deps.config.users.join(', ')})`,
        intentId,
      };
    }
    if (intent.operation.type === 'request') {
      const refusal = requestPolicyRefusal(requestPolicyOf(this.deps.config.requestPolicy), intent.operation);
      if (refusal !== undefined)
        return {
          kind: 'invalid',
          reason: 'refused-by-policy',
          detail: `refused by the request policy: ${refusal}`,
          intentId,
        };
    }
    return { kind: 'ok', intent };
  }

  private async perform(attempt: Attempt, readBack: boolean, remainingMs: () => number): Promise<Answer> {
    const { intent, lane } = attempt;
    const op = intent.operation;
    if (op.type === 'prospect.upsert') {
      const lookup = await this.call(attempt, lane, lookupRequest(intent) as OutreachRequest, false, remainingMs);
      const found = firstResourceId(lookup.body);
      return this.call(attempt, lane, upsertWriteRequest(intent, found), true, remainingMs);
    }
    const lookup = readBack ? lookupRequest(intent) : undefined;
    if (lookup !== undefined) {
      const found = await this.call(attempt, lane, lookup, false, remainingMs);
      if (firstResourceId(found.body) !== undefined) {
        this.deps.logger.info('an earlier attempt already created it; reusing the resource', { intentId: intent.id });
        return { status: found.status, body: found.body, outcome: outcomeOf(found.status, found.body) };
      }
      // Nothing was created: the earlier attempt's outcome is known now.
      attempt.unconfirmed = false;
    }
    return this.call(attempt, lane, performRequest(intent), true, remainingMs);
  }

  /**
   * One upstream request through the gate, with one token refresh on a 401. The lease is returned before acting
   * on the answer, except after the 2xx of the request that performs the intent: that result is stored first.
   */
  private async call(
    attempt: Attempt,
    lane: Lane,
    request: OutreachRequest,
    performs: boolean,
    remainingMs: () => number,
  ): Promise<Answer> {
    const { intent } = attempt;
    const guarded = performs && repeatsHarmfully(intent.operation);
    for (let tries = 1; ; tries++) {
      if (remainingMs() < timeNeededMs(this.deps.config)) {
        throw new Settle({ kind: 'defer', wait: new Wait(this.clock(), 'time') });
      }
      const token = await this.token(attempt);
      const lease = await this.admit(intent.user, lane, remainingMs);
      if (guarded) attempt.unconfirmed = true;
      const reply = await this.deps.outreach.send(request, token);
      const result: UpstreamResult =
        reply.kind === 'response' ? { status: reply.status, headers: reply.headers } : { status: 'timeout' };
      this.deps.metrics.upstream(reply.kind === 'response' ? reply.status : 'timeout', reply.latencyMs, {
        lane,
        user: intent.user,
      });
      const verdict = classifyReply(reply, this.clock());
      // Until a 2xx is stored, or while the answer is unknown, a harmful repeat must be avoided.
      if (guarded) attempt.unconfirmed = verdict.kind === 'success' || verdict.kind === 'failed';
      if (verdict.kind === 'success' && performs) {
        return { ...this.answerOf(reply, verdict.outcome), release: () => this.handBack(lease, result, intent) };
      }
      await this.handBack(lease, result, intent);
      if (verdict.kind === 'unauthorized' && tries === 1) {
        await this.deps.tokens.invalidate(intent.user, token);
        continue;
      }
      return this.act(attempt, verdict, reply, guarded);
    }
  }

  private answerOf(reply: OutreachReply, outcome: IntentOutcome): Answer {
    const response = reply as { status: number; body: unknown };
    return { status: response.status, body: response.body, outcome };
  }

  private async act(attempt: Attempt, verdict: Verdict, reply: OutreachReply, guarded: boolean): Promise<Answer> {
    switch (verdict.kind) {
      case 'success':
        return this.answerOf(reply, verdict.outcome);
      case 'throttled': {
        const now = this.clock();
        const { untilMs } = cooldownUntilFor429(
          reply.kind === 'response' ? reply.headers : undefined,
          now,
          this.deps.config,
        );
        this.deps.metrics.cooldownRemaining(attempt.intent.user, Math.max(0, untilMs - now));
        throw new Settle({ kind: 'defer', wait: new Wait(untilMs, 'cooldown') });
      }
      case 'rejected':
        throw new Settle({ kind: 'dead-letter', reason: 'rejected', error: verdict.error });
      case 'failed':
        if (guarded && lookupRequest(attempt.intent) === undefined) {
          // Outreach may have performed it and nothing can tell: on-call decides, never a blind repeat.
          this.deps.metrics.failure(attempt.lane);
          throw new Settle({ kind: 'dead-letter', reason: 'ambiguous', error: verdict.error, countFailure: true });
        }
        return this.fail(attempt, verdict.error);
      case 'unauthorized':
        return this.fail(attempt, verdict.error);
    }
  }

  /**
   * Counts a real failure; dead-letters once the failure budget is spent in count and time (see
   * {@link afterFailure}), else backs off with full jitter.
   */
  private fail(attempt: Attempt, error: IntentError): never {
    const { intent } = attempt;
    const deadline = intent.deadline === undefined ? undefined : Date.parse(intent.deadline);
    const step = afterFailure(attempt, this.clock(), this.deps.config, this.random, deadline);
    this.deps.metrics.failure(attempt.lane);
    this.deps.logger.warn('upstream attempt failed', { intentId: intent.id, attempts: step.attempts, error });
    if (step.kind === 'exhausted') {
      throw new Settle({ kind: 'dead-letter', reason: 'attempts-exhausted', error, countFailure: true });
    }
    throw new Settle({ kind: 'defer', wait: new Wait(step.untilMs, 'backoff'), failure: error });
  }

  /** The user's access token; credential trouble (a failed refresh, a revoked token) is a wait, never a failure. */
  private async token(attempt: Attempt): Promise<string> {
    const grant = await this.deps.tokens.accessToken(attempt.intent.user);
    if (grant.kind === 'wait') throw new Settle({ kind: 'defer', wait: new Wait(grant.untilMs, 'token') });
    return grant.token;
  }

  /**
   * Runs one invocation's records (`work`, which processes them one after another): the lease of a request that
   * succeeded is returned with the next admission of the same user instead of on its own, saving one DynamoDB
   * request per intent. Whatever is still held when `work` ends or throws is returned before this resolves, so no
   * lease outlives its invocation (a crash leaves it to its expiry).
   */
  async withHeldLeases<T>(work: () => Promise<T>): Promise<T> {
    const carry: LeaseCarry = { held: undefined };
    try {
      return await this.carries.run(carry, work);
    } finally {
      await this.returnHeld(carry);
    }
  }

  /** Returns the invocation's held lease, if any, on its own; never throws. */
  private async returnHeld(carry: LeaseCarry | undefined = this.carries.getStore()): Promise<void> {
    const held = carry?.held;
    if (carry === undefined || held === undefined) return;
    carry.held = undefined;
    await this.returnLease(held.lease, held.result, held.intent);
  }

  /**
   * Hands a lease back after its answer: held for the next admission of its user when only its own process needs
   * to know yet (a 2xx, see `releaseMayWait`), else returned at once (a 429's cool-down, a failure).
   */
  private async handBack(lease: Lease, result: UpstreamResult, intent: Pick<Intent, 'id'>): Promise<void> {
    const carry = this.carries.getStore();
    if (carry === undefined || !releaseMayWait(result, this.clock(), this.deps.config)) {
      return this.returnLease(lease, result, intent);
    }
    while (carry.held !== undefined) await this.returnHeld(carry);
    carry.held = { lease, result, intent };
  }

  /**
   * Returns a lease and records what the answer said (a 429's cool-down among it). Tried a few times; if it still
   * fails the lease frees itself at its expiry. Never throws: the answer is never lost to it.
   */
  private async returnLease(lease: Lease, result: UpstreamResult, intent: Pick<Intent, 'id'>): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await this.deps.gate.release(lease, result);
        return;
      } catch (error) {
        if (tries >= RELEASE_TRIES) {
          this.deps.logger.error('could not return a lease; it frees itself at its expiry', {
            intentId: intent.id,
            user: lease.user,
            status: result.status,
            leaseExpiresAt: lease.expiresAt,
            error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          });
          return;
        }
        await this.sleep(50 * tries);
      }
    }
  }

  /**
   * One admission attempt, returning the held lease with it when it is the same user's (another user's is returned
   * first, on its own); DynamoDB throttling or an outage on the gate path is a wait, not a failure.
   */
  private async acquire(user: string, lane: Lane) {
    const carry = this.carries.getStore();
    let held = carry?.held;
    if (carry !== undefined) carry.held = undefined;
    if (held !== undefined && held.lease.user !== user) {
      await this.returnLease(held.lease, held.result, held.intent);
      held = undefined;
    }
    try {
      return await this.deps.gate.acquire(
        user,
        lane,
        undefined,
        held === undefined ? undefined : { lease: held.lease, result: held.result },
      );
    } catch (error) {
      // The gate may not have returned it: once more on its own (a lease already returned is left as it is).
      if (held !== undefined) await this.returnLease(held.lease, held.result, held.intent);
      if (!(error instanceof GateUnavailableError)) throw error;
      this.deps.logger.warn('the gate table is unavailable; the intent waits', { user, error: error.message });
      throw new Settle({ kind: 'defer', wait: new Wait(this.clock() + error.retryAfterMs, 'gate-unavailable') });
    }
  }

  /**
   * Takes a lease, waiting in-process while the wait is short (leases free up within one upstream request's
   * time); a longer wait becomes a deferral.
   */
  private async admit(user: string, lane: Lane, remainingMs: () => number) {
    const { maxInProcessWaitMs } = this.deps.config.deferral;
    // Leave time for the upstream request and settling after any in-process wait.
    const reserveMs = timeNeededMs(this.deps.config);
    const started = this.clock();
    for (;;) {
      const admission = await this.acquire(user, lane);
      if (admission.kind === 'lease') {
        this.deps.metrics.inFlight(user, admission.inFlight);
        this.deps.metrics.remainingBudget(user, admission.remainingEstimate);
        return admission;
      }
      const now = this.clock();
      const budgetLeft = maxInProcessWaitMs - (now - started);
      if (admission.reason === 'cooldown')
        this.deps.metrics.cooldownRemaining(user, Math.max(0, admission.untilMs - now));
      if (admission.reason === 'lease') {
        // Leases are released in other processes too: poll briefly rather than wait for the earliest expiry.
        const pollMs = Math.min(admission.untilMs - now, budgetLeft, LEASE_POLL_MS);
        if (pollMs <= 0 || remainingMs() - pollMs < reserveMs) {
          throw new Settle({
            kind: 'defer',
            wait: new Wait(Math.min(admission.untilMs, now + maxInProcessWaitMs), 'lease'),
          });
        }
        await this.deps.gate.waitForRelease(user, pollMs);
        continue;
      }
      const waitMs = Math.max(0, admission.untilMs - now);
      if (waitMs > budgetLeft || remainingMs() - waitMs < reserveMs) {
        throw new Settle({ kind: 'defer', wait: new Wait(admission.untilMs, admission.reason) });
      }
      await this.sleep(waitMs);
    }
  }

  /**
   * Defers an owned intent: lets go of its record when that matters (a failure to count, a harmful repeat to
   * guard, a recycled copy that must be able to claim it) and hides the message for the wait, or recycles it.
   * An intent whose repeat is harmless keeps its owner until the invocation ends; its next receive is the same
   * message, which may claim it again.
   */
  private async defer(attempt: Attempt, wait: Wait, failure?: IntentError): Promise<RecordOutcome> {
    const { intent, record } = attempt;
    const recycle = this.receiveCount(record) >= this.deps.config.deferral.recycleAtReceiveCount;
    if (recycle || failure !== undefined || repeatsHarmfully(intent.operation)) {
      await this.deps.intents.release(
        intent,
        attempt.owner,
        { unconfirmedSend: attempt.unconfirmed, ...(failure === undefined ? {} : { failure }) },
        this.clock(),
      );
      attempt.owned = false;
    }
    return this.waitUnowned(record, attempt.lane, intent, wait);
  }

  /** Hides a message for a wait, or, near SQS's maxReceiveCount, sends it again as a new message (recycling). */
  private async waitUnowned(record: SQSRecord, lane: Lane, intent: Intent, wait: Wait): Promise<RecordOutcome> {
    await this.returnHeld();
    this.deps.metrics.deferral(wait.reason, { lane, user: intent.user });
    const receiveCount = this.receiveCount(record);
    if (receiveCount >= this.deps.config.deferral.recycleAtReceiveCount) {
      // SQS would dead-letter the message at maxReceiveCount: send it again as a new message instead. Waiting
      // must never look like failing. (A FIFO message cannot carry its own delay, so the copy is visible at once
      // and the next receive defers it again; it moves to the back of its message group, and the batch stops
      // that group.) The copy keeps the message's attributes.
      await this.deps.queues.resend(lane, {
        body: record.body,
        groupId: record.attributes.MessageGroupId ?? intent.id,
        deduplicationId: `${intent.id.slice(0, 100)}-r${record.messageId.slice(0, 20)}`,
        attributes: record.messageAttributes ?? {},
      });
      this.deps.logger.info('deferred intent recycled as a new message', { intentId: intent.id, receiveCount });
      return 'recycled';
    }
    const delaySeconds = deferralSeconds(wait, this.clock(), this.deps.config.deferral, this.random);
    await this.deps.queues.defer(lane, record.receiptHandle, delaySeconds);
    throw new DeferredError(wait.reason, delaySeconds);
  }

  private receiveCount(record: SQSRecord): number {
    return Number(record.attributes.ApproximateReceiveCount ?? '1');
  }

  /**
   * Dead-letters an owned intent: the record first (dead-lettered, with a dead-letter id naming this
   * dead-lettering), then the copy on the dead-letter queue carrying that id. A crash between the two brings the
   * message back, and the record tells it to send the same copy again.
   */
  private async deadLetter(
    attempt: Attempt,
    reason: string,
    error: IntentError | undefined,
    countFailure: boolean,
  ): Promise<void> {
    const { intent, record, lane } = attempt;
    const now = this.clock();
    const deadLetterId = `${record.messageId.slice(0, 100)}.${now}`;
    const written = await this.deps.intents.deadLetter(
      intent,
      attempt.owner,
      { reason, deadLetterId, countFailure, ...(error === undefined ? {} : { error }) },
      now,
    );
    attempt.owned = false;
    if (!written) {
      this.deps.logger.error('the intent record was no longer this message’s; dead-lettering the message anyway', {
        intentId: intent.id,
        reason,
      });
    }
    await this.sendToDeadLetterQueue(record, lane, {
      reason,
      intentId: intent.id,
      deduplicationId: deadLetterId,
      ...(error === undefined ? {} : { error }),
      ...(written ? { deadLetterId } : {}),
    });
    if (written) {
      await this.announce(
        completionEventOf(intent, { status: 'dead-lettered', reason, ...(error === undefined ? {} : { error }) }),
      );
    }
  }

  /**
   * Publishes a completion event for a record already settled. A failure is logged and counted, never thrown:
   * the intent stays settled and is never performed again for it.
   */
  private async announce(event: CompletionEvent): Promise<void> {
    if (this.deps.completions === undefined) return;
    try {
      await this.deps.completions.publish(event);
    } catch (error) {
      this.deps.metrics.completionEventFailed?.(event.detailType);
      this.deps.logger.error('could not publish the completion event; the intent stays settled', {
        intentId: event.detail.id,
        detailType: event.detailType,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
  }

  /** Sends a copy of the message to its lane's dead-letter queue with the reason; nothing is ever just dropped. */
  private async sendToDeadLetterQueue(
    record: SQSRecord,
    lane: Lane,
    letter: {
      reason: string;
      error?: IntentError;
      intentId?: string;
      deadLetterId?: string;
      deduplicationId?: string;
    },
  ): Promise<void> {
    const { deduplicationId, ...rest } = letter;
    await this.deps.queues.deadLetter(lane, {
      body: record.body,
      groupId: record.attributes.MessageGroupId ?? record.messageId,
      // One copy per message (or per dead-lettering): a re-sent or redriven intent is never de-duplicated away.
      deduplicationId: deduplicationId ?? record.messageId,
      ...rest,
    });
    this.deps.metrics.deadLettered(lane);
    this.deps.logger.warn('intent dead-lettered', {
      intentId: letter.intentId,
      reason: letter.reason,
      error: letter.error,
    });
  }

  /**
   * After an unexpected error (an AWS call failed), lets go of the record so the redelivery, or another copy,
   * can claim it; keeps "sent, outcome unknown" if a harmful request may have gone out. Best effort: if this write
   * fails too, the ownership lapses at the invocation's end and the record still says what may have been sent.
   */
  private async abandon(attempt: Attempt): Promise<void> {
    if (!attempt.owned) return;
    try {
      await this.deps.intents.release(
        attempt.intent,
        attempt.owner,
        { unconfirmedSend: attempt.unconfirmed },
        this.clock(),
      );
    } catch (error) {
      this.deps.logger.warn('could not let go of the intent record after an error', {
        intentId: attempt.intent.id,
        error: String(error),
      });
    }
  }
}
