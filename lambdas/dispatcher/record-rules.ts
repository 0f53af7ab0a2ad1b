import { backoffDelayMs } from '../gate/backoff';
import type { GateConfig } from '../shared/config';
import type { Intent } from '../shared/intent';
import type { IntentError, IntentRecord } from '../shared/intent-record';
import { lookupRequest, repeatsHarmfully } from './plan';

/**
 * Pure rules on the intent record: what a receive does when its claim on the record is refused, and whether an
 * intent may be sent, must be read back first, or is ambiguous. The dispatcher acts on these; they are decided
 * from the record alone, never from SQS's receive count.
 */

/** How the writing request of an intent may go out, given what its record says of earlier attempts. */
export type SendPlan = 'send' | 'read-back' | 'ambiguous';

/**
 * - `send`: nothing written may have reached Outreach unseen, or sending twice does no harm (updates, upserts,
 *   generic GET/PATCH/DELETE);
 * - `read-back`: an earlier attempt may have created it and a lookup can tell (prospect by email, sequence
 *   state by prospect and sequence): look first, create only if nothing is found;
 * - `ambiguous`: an earlier attempt may have performed it and nothing can tell (the bulk action, a generic
 *   POST, a prospect with no email): never repeated blindly, dead-lettered for on-call to decide. A redrive is
 *   that decision, so after a redrive it is sent.
 */
export function sendPlan(intent: Intent, previous: IntentRecord | undefined, redriven = false): SendPlan {
  if (!repeatsHarmfully(intent.operation)) return 'send';
  const legacy = (previous as { mayExist?: unknown } | undefined)?.mayExist === true;
  if (previous?.unconfirmedSend !== true && !legacy) return 'send';
  if (lookupRequest(intent) !== undefined) return 'read-back';
  return redriven ? 'send' : 'ambiguous';
}

/** What this receive knows of itself when its claim is refused. */
export interface Claimant {
  /** {@link payloadHashOf} the intent received. */
  readonly payloadHash: string;
  /** Its SQS message id. */
  readonly owner: string;
  /** The dead-letter id the message carries when it is a redrive of a dead-letter copy. */
  readonly redriveOf?: string;
  readonly now: number;
}

/** What to do with a message whose claim on its intent's record was refused. */
export type Refusal =
  /** The id was already used for another payload: dead-letter this message; the record stays as it is. */
  | { readonly kind: 'id-reused'; readonly error: IntentError }
  /** Already succeeded: not performed again; the message is deleted and the stored result kept. */
  | { readonly kind: 'already-settled' }
  /** A redrive of the record's own dead-letter copy: re-open the record (a conditional write) and perform it. */
  | { readonly kind: 'redrive'; readonly deadLetterId: string }
  /**
   * Dead-lettered and this is no redrive of it: send this message to the dead-letter queue too, carrying the
   * record's dead-letter id so that redriving it performs the intent. `reason` is the record's own when this very
   * message dead-lettered it (it came back after a crash), else `already-dead-lettered`.
   */
  | {
      readonly kind: 'dead-letter-again';
      readonly reason: string;
      readonly deadLetterId?: string;
      readonly error?: IntentError;
    }
  /** Another message is working on it: wait (a deferral, not a failure) until it is done or its owner expired. */
  | { readonly kind: 'wait'; readonly untilMs: number };

/** Decides what a refused claim means, from the record as the refusal returned it. */
export function onRefusedClaim(current: IntentRecord, claimant: Claimant): Refusal {
  if (current.payloadHash !== undefined && current.payloadHash !== claimant.payloadHash) {
    return {
      kind: 'id-reused',
      error: {
        kind: 'id-reused',
        detail: `the intent id was already used for another payload (that intent is ${current.status}); use a new id for new work`,
      },
    };
  }
  if (current.status === 'succeeded') return { kind: 'already-settled' };
  if (current.status === 'dead-lettered') {
    if (claimant.redriveOf !== undefined && claimant.redriveOf === current.deadLetterId) {
      return { kind: 'redrive', deadLetterId: claimant.redriveOf };
    }
    const ownCrash = current.deadLetteredBy === claimant.owner;
    const reason = ownCrash ? (current.deadLetterReason ?? 'already-dead-lettered') : 'already-dead-lettered';
    const error: IntentError | undefined = ownCrash
      ? current.lastError
      : {
          kind: 'already-dead-lettered',
          detail: `dead-lettered earlier (${current.deadLetterReason ?? 'no reason recorded'}); redrive a dead-letter copy to perform it again`,
        };
    return {
      kind: 'dead-letter-again',
      reason,
      ...(current.deadLetterId === undefined ? {} : { deadLetterId: current.deadLetterId }),
      ...(error === undefined ? {} : { error }),
    };
  }
  return { kind: 'wait', untilMs: Math.max(claimant.now, current.ownerExpiresAt ?? claimant.now) };
}

/** What the record says of an intent's earlier failed attempts (nothing after a redrive: a fresh budget). */
export interface FailureHistory {
  /** Failed attempts counted before this one. */
  readonly failuresBefore: number;
  /** Epoch ms of the first counted failure; undefined when this is the first (or the record predates it). */
  readonly firstFailedAt?: number;
}

/** What a failed attempt leads to: dead-lettered (the budget is spent) or tried again after a backoff. */
export type AfterFailure =
  | { readonly kind: 'exhausted'; readonly attempts: number }
  | { readonly kind: 'retry'; readonly attempts: number; readonly untilMs: number };

/**
 * The failure budget, in count and time: a failed attempt dead-letters the intent only when it has failed
 * `maxFailureAttempts` times AND its first failure is at least `failureWindowMs` old (a time written by another
 * Lambda, so the clock skew margin is added: never dead-lettered early). Otherwise it is tried again after a
 * full-jitter backoff that keeps growing with the count up to `backoffMaxMs`, and never past the intent's
 * deadline (its next receive then dead-letters it as expired). Pure; the clock and the random source come in.
 */
export function afterFailure(
  history: FailureHistory,
  now: number,
  config: Pick<GateConfig, 'retries' | 'timing'>,
  random: () => number,
  deadlineMs?: number,
): AfterFailure {
  const attempts = history.failuresBefore + 1;
  const windowMs = config.retries.failureWindowMs ?? 0;
  const since = history.firstFailedAt ?? now;
  const windowSpent = windowMs === 0 || now - since >= windowMs + config.timing.clockSkewMs;
  if (attempts >= config.retries.maxFailureAttempts && windowSpent) return { kind: 'exhausted', attempts };
  const untilMs = now + backoffDelayMs(attempts, config, random);
  return { kind: 'retry', attempts, untilMs: deadlineMs === undefined ? untilMs : Math.min(untilMs, deadlineMs) };
}
