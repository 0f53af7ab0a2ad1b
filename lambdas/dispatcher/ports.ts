import type { Intent } from '../shared/intent';
import type { IntentError, IntentOutcome, IntentRecord } from '../shared/intent-record';
import type { Lane } from '../shared/names';

/**
 * The dispatcher's ports besides the gate ({@link GateStore}) and Outreach ({@link OutreachApi}): where intent
 * records live, how messages are put back or dead-lettered, where access tokens come from, and what is
 * measured. Each has one adapter for AWS; tests and the local runner use the same adapters against emulators.
 */

/** The intent records in the gate table. */
export interface IntentStore {
  /** The intent's record (a strongly consistent read), or undefined when it has none. */
  get(id: string): Promise<IntentRecord | undefined>;
  /** Settles the intent with its result. */
  markSucceeded(intent: Intent, outcome: IntentOutcome, now: number): Promise<void>;
  /**
   * Counts one failed attempt and returns the count so far. `mayExist` records that a create may have reached
   * Outreach without us seeing the answer, so every later attempt reads back before creating.
   */
  recordFailure(intent: Intent, error: IntentError, mayExist: boolean, now: number): Promise<number>;
  /** Notes that receive number `receiveCount` ended in a deferral without sending anything that writes. */
  markDeferred(intent: Intent, receiveCount: number, now: number): Promise<void>;
  /** Records that the intent went to its dead-letter queue, and why. */
  markDeadLettered(intent: Intent, reason: string, error: IntentError | undefined, now: number): Promise<void>;
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
  resend(lane: Lane, message: { body: string; groupId: string; deduplicationId: string }): Promise<void>;
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

/** Raised when a user's credentials cannot produce a token (no refresh token, or Outreach refused it). */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** What the dispatcher measures; names and dimensions are those of `METRIC` in names.ts. */
export interface GateMetrics {
  upstream(status: number | 'timeout', latencyMs: number): void;
  deferral(reason: string): void;
  failure(lane: Lane): void;
  deadLettered(lane: Lane): void;
  succeeded(lane: Lane, queueWaitMs: number): void;
  inFlight(user: string, count: number): void;
  remainingBudget(user: string, remaining: number): void;
  cooldownRemaining(user: string, ms: number): void;
  tokenMinted(user: string): void;
}
