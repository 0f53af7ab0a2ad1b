import type { SQSRecord } from 'aws-lambda';
import { backoffDelayMs, cooldownUntilFor429, type GateStore } from '../gate';
import type { OutreachApi, OutreachReply, OutreachRequest } from '../outreach/client';
import type { GateConfig, LaneEndpoints } from '../shared/config';
import { type Intent, intentIdSchema, MAX_INTENT_BYTES, safeParseIntent } from '../shared/intent';
import type { IntentError, IntentOutcome, IntentRecord } from '../shared/intent-record';
import { LANES, type Lane } from '../shared/names';
import { requestPolicyOf, requestPolicyRefusal } from '../shared/request-policy';
import { classifyReply, firstResourceId, outcomeOf, type Verdict } from './classify';
import { isNonIdempotentCreate, lookupRequest, performRequest, upsertWriteRequest } from './plan';
import { CredentialsError, type GateMetrics, type IntentStore, type LaneQueues, type TokenProvider } from './ports';

/** How often a caller told to wait for a lease tries again, at most. */
const LEASE_POLL_MS = 100;

/** SQS's longest visibility timeout: the longest a deferral can hide a message. */
export const MAX_DEFERRAL_SECONDS = 43_200;

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
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** How one record ended; a deferred record is reported failed to SQS, so its message stays. */
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
 * Whether a create must be read back before it is sent: when an earlier receive may have sent it. That is any
 * redelivery, unless the previous receive ended in a recorded deferral (nothing sent) and no earlier attempt
 * failed ambiguously (a timeout, a reset or a 5xx after sending).
 */
export function mustReadBack(intent: Intent, receiveCount: number, existing: IntentRecord | undefined): boolean {
  if (!isNonIdempotentCreate(intent.operation) || receiveCount <= 1) return false;
  const record = existing as (IntentRecord & { mayExist?: boolean; deferredAtReceive?: number }) | undefined;
  return record === undefined || record.mayExist === true || record.deferredAtReceive !== receiveCount - 1;
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
    readonly action: { kind: 'dead-letter'; reason: string; error?: IntentError } | { kind: 'defer'; wait: Wait },
  ) {}
}

/**
 * Processes one SQS record of a lane: validates the intent, skips it when already settled, asks the gate for
 * each upstream request, calls Outreach, and settles the intent (result stored), dead-letters it (with the
 * reason), or defers it (message hidden until it may go; never counted as a failure).
 */
export class IntentDispatcher {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly laneByArn: ReadonlyMap<string, Lane>;

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
   * stay (already hidden for the wait). `remainingMs` is the invocation's time left, for in-process waits.
   */
  async process(record: SQSRecord, remainingMs: () => number = () => Number.POSITIVE_INFINITY): Promise<RecordOutcome> {
    const lane = this.laneOf(record);
    const parsed = this.parse(record, lane);
    if (parsed.kind === 'invalid') {
      await this.deadLetter(record, lane, undefined, parsed.intentId, 'invalid', {
        kind: 'invalid',
        detail: parsed.detail,
      });
      return 'dead-lettered';
    }
    const intent = parsed.intent;
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const existing = receiveCount > 1 ? await this.deps.intents.get(intent.id) : undefined;
    if (existing?.status === 'succeeded' || existing?.status === 'dead-lettered') {
      this.deps.logger.info('intent already settled; not sending it again', {
        intentId: intent.id,
        status: existing.status,
      });
      return 'already-settled';
    }
    if (intent.deadline !== undefined && Date.parse(intent.deadline) <= this.clock()) {
      await this.deadLetter(record, lane, intent, intent.id, 'expired', {
        kind: 'expired',
        detail: `deadline ${intent.deadline} passed`,
      });
      return 'dead-lettered';
    }

    try {
      const outcome = await this.perform(intent, lane, mustReadBack(intent, receiveCount, existing), remainingMs);
      await this.deps.intents.markSucceeded(intent, outcome, this.clock());
      this.deps.metrics.succeeded(lane, this.clock() - Number(record.attributes.SentTimestamp ?? this.clock()));
      return 'succeeded';
    } catch (error) {
      if (!(error instanceof Settle)) throw error;
      if (error.action.kind === 'dead-letter') {
        await this.deadLetter(record, lane, intent, intent.id, error.action.reason, error.action.error);
        return 'dead-lettered';
      }
      return this.defer(record, lane, intent, receiveCount, error.action.wait);
    }
  }

  private parse(
    record: SQSRecord,
    lane: Lane,
  ): { kind: 'ok'; intent: Intent } | { kind: 'invalid'; detail: string; intentId?: string } {
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
        return { kind: 'invalid', detail: `refused by the request policy: ${refusal}`, intentId };
    }
    return { kind: 'ok', intent };
  }

  private async perform(
    intent: Intent,
    lane: Lane,
    readBack: boolean,
    remainingMs: () => number,
  ): Promise<IntentOutcome> {
    const op = intent.operation;
    if (op.type === 'prospect.upsert') {
      const lookup = await this.call(intent, lane, lookupRequest(intent) as OutreachRequest, false, remainingMs);
      const found = firstResourceId(lookup.body);
      const write = upsertWriteRequest(intent, found);
      return (await this.call(intent, lane, write, found === undefined, remainingMs)).outcome;
    }
    if (readBack) {
      const lookup = lookupRequest(intent);
      if (lookup !== undefined) {
        const found = await this.call(intent, lane, lookup, false, remainingMs);
        if (firstResourceId(found.body) !== undefined) {
          this.deps.logger.info('an earlier attempt already created it; reusing the resource', { intentId: intent.id });
          return outcomeOf(found.status, found.body);
        }
      }
    }
    return (await this.call(intent, lane, performRequest(intent), isNonIdempotentCreate(op), remainingMs)).outcome;
  }

  /** One upstream request through the gate, with one token refresh on a 401. */
  private async call(
    intent: Intent,
    lane: Lane,
    request: OutreachRequest,
    isCreate: boolean,
    remainingMs: () => number,
  ): Promise<{ status: number; body: unknown; outcome: IntentOutcome }> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.token(intent);
      const lease = await this.admit(intent.user, lane, remainingMs);
      const reply = await this.deps.outreach.send(request, token);
      await this.deps.gate.release(lease, {
        status: reply.kind === 'response' ? reply.status : 'timeout',
        ...(reply.kind === 'response' ? { headers: reply.headers } : {}),
      });
      this.deps.metrics.upstream(reply.kind === 'response' ? reply.status : 'timeout', reply.latencyMs);
      const verdict = classifyReply(reply);
      if (verdict.kind === 'unauthorized' && attempt === 1) {
        await this.deps.tokens.invalidate(intent.user, token);
        continue;
      }
      return this.act(intent, lane, verdict, reply, isCreate);
    }
  }

  private async act(
    intent: Intent,
    lane: Lane,
    verdict: Verdict,
    reply: OutreachReply,
    isCreate: boolean,
  ): Promise<{ status: number; body: unknown; outcome: IntentOutcome }> {
    switch (verdict.kind) {
      case 'success':
        return {
          status: (reply as { status: number }).status,
          body: (reply as { body: unknown }).body,
          outcome: verdict.outcome,
        };
      case 'throttled': {
        const now = this.clock();
        const { untilMs } = cooldownUntilFor429(
          reply.kind === 'response' ? reply.headers : undefined,
          now,
          this.deps.config,
        );
        this.deps.metrics.cooldownRemaining(intent.user, Math.max(0, untilMs - now));
        throw new Settle({ kind: 'defer', wait: new Wait(untilMs, 'cooldown') });
      }
      case 'rejected':
        throw new Settle({ kind: 'dead-letter', reason: 'rejected', error: verdict.error });
      case 'unauthorized':
      case 'failed':
        return this.fail(intent, lane, verdict.error, isCreate && verdict.kind === 'failed');
    }
  }

  /** Counts a real failure; dead-letters after the configured attempts, else backs off with full jitter. */
  private async fail(intent: Intent, lane: Lane, error: IntentError, mayExist: boolean): Promise<never> {
    const attempts = await this.deps.intents.recordFailure(intent, error, mayExist, this.clock());
    this.deps.metrics.failure(lane);
    this.deps.logger.warn('upstream attempt failed', { intentId: intent.id, attempts, error });
    if (attempts >= this.deps.config.retries.maxFailureAttempts) {
      throw new Settle({ kind: 'dead-letter', reason: 'attempts-exhausted', error });
    }
    const delay = backoffDelayMs(attempts, this.deps.config, this.random);
    throw new Settle({ kind: 'defer', wait: new Wait(this.clock() + delay, 'backoff') });
  }

  private async token(intent: Intent): Promise<string> {
    try {
      const grant = await this.deps.tokens.accessToken(intent.user);
      if (grant.kind === 'wait') throw new Settle({ kind: 'defer', wait: new Wait(grant.untilMs, 'token') });
      return grant.token;
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      return this.fail(intent, intent.lane, { kind: 'credentials', detail: error.message }, false);
    }
  }

  /**
   * Takes a lease, waiting in-process while the wait is short (leases free up within one upstream request's
   * time); a longer wait becomes a deferral.
   */
  private async admit(user: string, lane: Lane, remainingMs: () => number) {
    const { maxInProcessWaitMs } = this.deps.config.deferral;
    // Leave time for the upstream request and settling after any in-process wait.
    const reserveMs = this.deps.config.outreach.requestTimeoutMs + 2000;
    const started = this.clock();
    for (;;) {
      const admission = await this.deps.gate.acquire(user, lane);
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

  private async defer(
    record: SQSRecord,
    lane: Lane,
    intent: Intent,
    receiveCount: number,
    wait: Wait,
  ): Promise<RecordOutcome> {
    this.deps.metrics.deferral(wait.reason);
    if (receiveCount >= this.deps.config.deferral.recycleAtReceiveCount) {
      // SQS would dead-letter the message at maxReceiveCount: send it again as a new message instead. Waiting
      // must never look like failing. (A FIFO message cannot carry its own delay, so the copy is visible at once
      // and the next receive defers it again; it moves to the back of its message group.)
      await this.deps.queues.resend(lane, {
        body: record.body,
        groupId: record.attributes.MessageGroupId ?? intent.id,
        deduplicationId: `${intent.id.slice(0, 100)}-r${record.messageId.slice(0, 20)}`,
      });
      this.deps.logger.info('deferred intent recycled as a new message', { intentId: intent.id, receiveCount });
      return 'recycled';
    }
    const delaySeconds = deferralSeconds(wait, this.clock(), this.deps.config.deferral, this.random);
    await this.deps.queues.defer(lane, record.receiptHandle, delaySeconds);
    if (isNonIdempotentCreate(intent.operation))
      await this.deps.intents.markDeferred(intent, receiveCount, this.clock());
    throw new DeferredError(wait.reason, delaySeconds);
  }

  private async deadLetter(
    record: SQSRecord,
    lane: Lane,
    intent: Intent | undefined,
    intentId: string | undefined,
    reason: string,
    error: IntentError | undefined,
  ): Promise<void> {
    await this.deps.queues.deadLetter(lane, {
      body: record.body,
      groupId: record.attributes.MessageGroupId ?? record.messageId,
      deduplicationId: record.attributes.MessageDeduplicationId ?? record.messageId,
      reason,
      ...(error === undefined ? {} : { error }),
      ...(intentId === undefined ? {} : { intentId }),
    });
    if (intent !== undefined) await this.deps.intents.markDeadLettered(intent, reason, error, this.clock());
    this.deps.metrics.deadLettered(lane);
    this.deps.logger.warn('intent dead-lettered', { intentId, reason, error });
  }
}
