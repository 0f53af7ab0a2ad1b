import type { SQSMessageAttributes } from 'aws-lambda';
import type { Intent } from '../shared/intent';
import type { IntentError, IntentOutcome, IntentRecord } from '../shared/intent-record';
import type { CompletionDetailType, CredentialCause, Lane } from '../shared/names';

/**
 * The dispatcher's ports besides the gate ({@link GateStore}) and Outreach ({@link OutreachApi}): where intent
 * records live, how messages are put back or dead-lettered, where access tokens come from, and what is
 * measured. Each has one adapter for AWS; tests and the local runner use the same adapters against emulators.
 */

/** What a receive asks of an intent's record when it takes the intent on. */
export interface ClaimRequest {
  /** The SQS message id of the message being processed: the record's owner while it works. */
  readonly owner: string;
  /** Epoch ms until which the ownership holds: the end of the invocation at the latest. */
  readonly ownerExpiresAt: number;
  /** {@link payloadHashOf} the intent received. */
  readonly payloadHash: string;
  /**
   * Marks the record "a send may happen" in the claim itself (for operations that do harm when repeated), so a
   * crash between the send and the settlement leaves the next attempt knowing the outcome is unknown.
   */
  readonly guardSend: boolean;
  /**
   * Refuse the claim while the record is owned by this same owner (a gathered enrolment: a re-receive of its
   * message must never take over the record its bulk enrolment still owns). @default false
   */
  readonly exclusive?: boolean;
}

/** The answer to a claim: taken (with the record as it was before, if any), or refused with the record as it is. */
export type Claim =
  | { readonly kind: 'claimed'; readonly previous?: IntentRecord }
  | { readonly kind: 'refused'; readonly current: IntentRecord };

/** How a receive lets go of an intent it owns without settling it (a deferral, a failed attempt, a recycle). */
export interface Release {
  /** Whether a request that may create something was sent and its answer not seen (see {@link ClaimRequest.guardSend}). */
  readonly unconfirmedSend: boolean;
  /** The failed attempt to count, if this release follows one. */
  readonly failure?: IntentError;
}

/** How a receive dead-letters an intent it owns. */
export interface DeadLetterMark {
  readonly reason: string;
  readonly error?: IntentError;
  /** Names this dead-lettering; the dead-letter copy carries it, and only its redrive re-opens the record. */
  readonly deadLetterId: string;
  /** Whether the dead-lettering follows a failed attempt to count. */
  readonly countFailure: boolean;
}

/**
 * The intent records in the gate table: a conditional state machine (see intent-record.ts). Every write is one
 * conditional UpdateItem from an expected state; a write whose condition fails changes nothing and says so.
 */
export interface IntentStore {
  /** The intent's record (a strongly consistent read), or undefined when it has none. */
  get(id: string): Promise<IntentRecord | undefined>;
  /**
   * Creates the record or takes it over: allowed when it is in progress with the same payload and no live owner
   * other than this message. Refused (nothing written) for a settled record, another payload or a live owner.
   */
  claim(intent: Intent, request: ClaimRequest, now: number): Promise<Claim>;
  /** A redrive: dead-lettered → in progress, only while the record's dead-letter id is `deadLetterId`. */
  reopen(intent: Intent, request: ClaimRequest, deadLetterId: string, now: number): Promise<Claim>;
  /** In progress → succeeded with the result. False when the record is already settled (nothing written). */
  succeed(intent: Intent, owner: string, outcome: IntentOutcome, now: number): Promise<boolean>;
  /** Lets go of an intent this message owns, still in progress. False when it no longer owns it. */
  release(intent: Intent, owner: string, release: Release, now: number): Promise<boolean>;
  /** In progress and owned by this message → dead-lettered with the reason. False when it no longer owns it. */
  deadLetter(intent: Intent, owner: string, mark: DeadLetterMark, now: number): Promise<boolean>;
}

/** What the dispatcher does to a lane's messages besides letting the batch response delete them. */
export interface LaneQueues {
  /** Hides a received message for `delaySeconds` more (a deferral). */
  defer(lane: Lane, receiptHandle: string, delaySeconds: number): Promise<void>;
  /** Makes a received message visible again at once (a record of a group that stopped at a deferral). */
  release(lane: Lane, receiptHandle: string): Promise<void>;
  /** Sends a copy of the message to the lane's dead-letter queue with the reason in its attributes. */
  deadLetter(lane: Lane, message: DeadLetter): Promise<void>;
  /** Sends the message again as a new message (resets its receive count); see the dispatcher's recycling. */
  resend(lane: Lane, message: Resend): Promise<void>;
  /**
   * Deletes received messages whose intents are settled (members of a bulk enrolment, which the batch response
   * does not delete). Returns the receipt handles SQS did not delete; those messages come back and find their
   * record settled.
   */
  delete(lane: Lane, receiptHandles: readonly string[]): Promise<string[]>;
  /**
   * Hides received messages for `delaySeconds` more, ten to a request (members parked in a bulk enrolment).
   * Returns the receipt handles SQS did not hide.
   */
  hide(lane: Lane, receiptHandles: readonly string[], delaySeconds: number): Promise<string[]>;
}

/** One enrolment gathered into a forming bulk enrolment: what its runner needs to settle it and its message. */
export interface BatchMember {
  readonly intentId: string;
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly lane: Lane;
  readonly groupId: string;
  /** The message body as received (the intent; its dead-letter copy carries it). */
  readonly body: string;
  /** Epoch ms SQS received the message, for the queue-wait metric. */
  readonly sentAt: number;
}

/** What one join did: the members taken in (into a batch it opened or one already forming) and those left out. */
export interface JoinResult {
  readonly joined: readonly BatchMember[];
  /** Members that did not fit (the batch was full or changed under the join); they take the single path. */
  readonly left: readonly BatchMember[];
  /** The batch joined, when any member was taken in. */
  readonly batch?: {
    /** The forming item joined: the key asked for, or one of its further slots when that one was full. */
    readonly key: string;
    readonly batchKey: string;
    readonly openedAt: number;
    /** Members in the batch after the join. */
    readonly count: number;
    /** Whether this join opened the batch (its invocation seals it when the window ends). */
    readonly opened: boolean;
  };
}

/**
 * The forming bulk enrolments in the gate table: one item per user, sequence and mailbox, joined by conditional
 * writes from every invocation, sealed by exactly one of them.
 */
export interface FormingBatches {
  /**
   * Adds members to a forming batch under `key` (opening a fresh one when there is none, or a stale one; the batch
   * joined may be under a further slot of `key`, see {@link JoinResult}). Only a batch opened by `latestOpenedAt`
   * is joined, however late the join reaches the table: one opened later could run after the members' park ends.
   */
  join(key: string, members: readonly BatchMember[], now: number, latestOpenedAt: number): Promise<JoinResult>;
  /** Seals the batch `batchKey` under `key`; its members, or undefined when another sealer won or it was replaced. */
  seal(key: string, batchKey: string, now: number): Promise<BatchMember[] | undefined>;
}

/** A message sent again on its lane, with the attributes it arrived with. */
export interface Resend {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  /** Message attributes of the original, as the event carries them. @default - none */
  readonly attributes?: SQSMessageAttributes;
}

/** A message bound for a dead-letter queue. */
export interface DeadLetter {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  /** Short machine-readable reason: `invalid`, `expired`, `rejected`, `attempts-exhausted`, … */
  readonly reason: string;
  readonly error?: IntentError;
  readonly intentId?: string;
  /** The record's dead-letter id: redriving this copy re-opens the intent (see {@link IntentStore.reopen}). */
  readonly deadLetterId?: string;
}

/** A user's access token, or when one can be had. */
export type TokenGrant =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'wait'; readonly untilMs: number };

/** Where access tokens come from: one shared token per user, refreshed single-flight. */
export interface TokenProvider {
  /** A valid access token for `user`, or a wait when none can be minted yet (Outreach allows one a minute). */
  accessToken(user: string): Promise<TokenGrant>;
  /** Forgets `token` after Outreach refused it (401), so the next call gets a fresh one. */
  invalidate(user: string, token: string): Promise<void>;
}

/** Where a measured call or wait came from: its lane, and its user when the intent was read. */
export interface MetricSource {
  readonly lane: Lane;
  /** @default - unknown (the message was not parsed); the by-user series is not published */
  readonly user?: string;
}

/**
 * What the dispatcher measures; names and dimensions are those of `METRIC`, `METRIC_DIMENSION` and
 * `METRIC_BREAKDOWNS` in names.ts.
 */
export interface GateMetrics {
  /** An upstream answer; a 429 is also counted by the lane and user it came from. */
  upstream(status: number | 'timeout', latencyMs: number, source: MetricSource): void;
  /** An intent put back to wait, by reason, lane and user. */
  deferral(reason: string, source: MetricSource): void;
  failure(lane: Lane): void;
  deadLettered(lane: Lane): void;
  succeeded(lane: Lane, queueWaitMs: number): void;
  inFlight(user: string, count: number): void;
  remainingBudget(user: string, remaining: number): void;
  cooldownRemaining(user: string, ms: number): void;
  tokenMinted(user: string): void;
  /** Records gathered into a bulk enrolment (hidden, not deferred: they wait for their batch). @default - not counted */
  coalesced?(lane: Lane, count: number): void;
  /** A completion event was not accepted (logged too; the intent stays settled). @default - not counted */
  completionEventFailed?(detailType: CompletionDetailType): void;
  /**
   * The user cannot get a token and its intents wait: its refresh token was refused (`invalid-grant`) or was
   * never stored (`not-set`). Published as `CREDENTIAL_METRIC` (names.ts) with the user and the cause.
   */
  credentialsPaused(user: string, cause: CredentialCause): void;
}

/**
 * What subscribers learn of a settled intent: who, which lane, and a summary of the outcome. Never a token,
 * never the request body or the result's fields.
 */
export interface CompletionDetail {
  readonly id: string;
  readonly user: string;
  readonly lane: Lane;
  readonly outcome: {
    readonly status: 'succeeded' | 'dead-lettered';
    /** HTTP status of the answer that settled it, when there was one. */
    readonly httpStatus?: number;
    /** Dead-lettered: why (`rejected`, `attempts-exhausted`, `expired`, …). */
    readonly reason?: string;
    /** Dead-lettered: Outreach's JSON:API error id, when it gave one. */
    readonly outreachErrorId?: string;
    /** Succeeded: the JSON:API type and id of the resource created or changed. */
    readonly resourceType?: string;
    readonly resourceId?: number;
  };
}

/** One completion event: an intent's record was settled. */
export interface CompletionEvent {
  readonly detailType: CompletionDetailType;
  readonly detail: CompletionDetail;
}

/**
 * Where completion events go (EventBridge in AWS, a recording locally). Published after the record is settled;
 * a failed publish is the caller's to log and count, and never un-settles or re-performs the intent.
 */
export interface CompletionEvents {
  publish(event: CompletionEvent): Promise<void>;
}
