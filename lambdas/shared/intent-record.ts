import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatIssuePath, type Intent, OPERATION_TYPES } from './intent';
import { ITEM_PREFIX, intentKey, LANES, TABLE_KEYS } from './names';

/**
 * The intent record: the gate table item (`intent#<id>`) in which the dispatcher tracks one intent from its
 * first attempt to its settlement, and from which producers read the outcome. It is a state machine checked on
 * every receive: no record (pending) → `in-progress` (owned by one SQS message until `ownerExpiresAt`) →
 * `succeeded` (with the result) or `dead-lettered` (with the reason); `dead-lettered` → `in-progress` only
 * through a redrive of the dead-letter copy that carries the record's `deadLetterId`. Every transition is a
 * conditional write from an expected state, so a terminal record is never overwritten.
 */

/** Where an intent stands. An intent with no record yet is `pending` (see {@link IntentResult}). */
export const INTENT_RECORD_STATUSES = ['in-progress', 'succeeded', 'dead-lettered'] as const;

/** Where an intent with a record stands. */
export type IntentRecordStatus = (typeof INTENT_RECORD_STATUSES)[number];

/** Largest `result.summary` kept in a record, in bytes of JSON: a summary, not the response body. */
export const MAX_RESULT_SUMMARY_BYTES = 4096;

/** What a settled intent produced upstream. */
export const intentOutcomeSchema = z.strictObject({
  /** HTTP status of the response that settled the intent. */
  httpStatus: z.number().int().min(100).max(599),
  /** JSON:API type of the resource created or changed, e.g. `prospect`. */
  resourceType: z.string().min(1).optional(),
  /** Outreach id of that resource. */
  resourceId: z.number().int().positive().optional(),
  /** A few fields of the response worth returning to the producer. */
  summary: z
    .json()
    .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_RESULT_SUMMARY_BYTES, {
      error: `must be at most ${MAX_RESULT_SUMMARY_BYTES} bytes of JSON`,
    })
    .optional(),
});

/** What a settled intent produced upstream. */
export type IntentOutcome = z.infer<typeof intentOutcomeSchema>;

/** The most recent thing that went wrong with an intent. */
export const intentErrorSchema = z.strictObject({
  /** What kind of failure, e.g. `http`, `timeout`, `network`, `invalid`, `expired`. */
  kind: z.string().min(1),
  /** HTTP status, when there was a response. */
  status: z.number().int().min(100).max(599).optional(),
  /** Outreach's JSON:API error id, e.g. `validationError`. */
  outreachErrorId: z.string().min(1).optional(),
  /** A human-readable explanation. */
  detail: z.string().optional(),
});

/** The most recent thing that went wrong with an intent. */
export type IntentError = z.infer<typeof intentErrorSchema>;

/**
 * An intent record as stored. Attributes the dispatcher adds for its own bookkeeping are kept, not refused,
 * so that reading a record never depends on the writer's private fields.
 */
export const intentRecordSchema = z.looseObject({
  [TABLE_KEYS.partitionKey]: z
    .string()
    .startsWith(ITEM_PREFIX.intent, { error: `must start with "${ITEM_PREFIX.intent}"` }),
  status: z.enum(INTENT_RECORD_STATUSES, { error: `must be one of ${INTENT_RECORD_STATUSES.join(', ')}` }),
  lane: z.enum(LANES, { error: `must be one of ${LANES.join(', ')}` }),
  user: z.string().min(1),
  operationType: z.enum(OPERATION_TYPES, { error: `must be one of ${OPERATION_TYPES.join(', ')}` }),
  result: intentOutcomeSchema.optional(),
  /** Attempts that really failed (5xx, timeouts); deferrals are not counted. */
  failureAttempts: z.number().int().nonnegative(),
  lastError: intentErrorSchema.optional(),
  /**
   * Epoch milliseconds of the first failed attempt counted in {@link failureAttempts}: the failure budget is spent
   * only when both the count and the time since this are. Cleared by a redrive, which starts a fresh budget.
   */
  firstFailedAt: z.number().int().nonnegative().optional(),
  /** Why the intent was dead-lettered, e.g. `expired`, `rejected`, `attempts-exhausted`. */
  deadLetterReason: z.string().min(1).optional(),
  /** {@link payloadHashOf} the intent the record was made for: the same id with another payload is refused. */
  payloadHash: z.string().min(1).optional(),
  /** SQS message id of the message working on the intent now; absent when none is. */
  owner: z.string().min(1).optional(),
  /** Epoch milliseconds after which another message may take the intent from {@link owner} (its invocation ended). */
  ownerExpiresAt: z.number().int().nonnegative().optional(),
  /**
   * A request that may create something was sent, or may be about to be, and its answer was not seen: the next
   * attempt reads back before creating, or dead-letters as `ambiguous` when nothing can be read back.
   */
  unconfirmedSend: z.boolean().optional(),
  /** Names one dead-lettering: its dead-letter copy carries it, and only a redrive of that copy re-opens the record. */
  deadLetterId: z.string().min(1).optional(),
  /** SQS message id of the message that dead-lettered the intent. */
  deadLetteredBy: z.string().min(1).optional(),
  /** How many times the intent was redriven from its dead-letter queue. */
  redrives: z.number().int().nonnegative().optional(),
  /** Epoch milliseconds. */
  createdAt: z.number().int().nonnegative(),
  /** Epoch milliseconds. */
  updatedAt: z.number().int().nonnegative(),
  /** Epoch seconds: DynamoDB's TTL deletes the record some time after this. */
  [TABLE_KEYS.ttlAttribute]: z.number().int().positive(),
});

/** An intent record as stored in the gate table. */
export type IntentRecord = z.infer<typeof intentRecordSchema>;

/** Raised when an item read back from the table is not a valid intent record; the message names the bad attribute. */
export class IntentRecordError extends Error {
  override readonly name = 'IntentRecordError';
}

/** The record's expiry (epoch seconds, DynamoDB's TTL unit) for a record written at `now` (epoch ms). */
export function intentRecordExpiresAt(now: number, recordTtlSeconds: number): number {
  return Math.ceil(now / 1000) + recordTtlSeconds;
}

/** The record written when the dispatcher first takes an intent on: in progress, no failures yet. */
export function newIntentRecord(intent: Intent, now: number, recordTtlSeconds: number): IntentRecord {
  return {
    [TABLE_KEYS.partitionKey]: intentKey(intent.id),
    status: 'in-progress',
    lane: intent.lane,
    user: intent.user,
    operationType: intent.operation.type,
    failureAttempts: 0,
    createdAt: now,
    updatedAt: now,
    [TABLE_KEYS.ttlAttribute]: intentRecordExpiresAt(now, recordTtlSeconds),
  };
}

/** Sorts object keys at every level, so two equal JSON values serialise to the same text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * What makes two intents with one id the same intent: SHA-256 of the user, the operation and the sparse
 * fieldsets, in canonical JSON. The lane, ordering key, deadline and correlation id are left out: a producer may
 * re-send an intent on another lane or with another deadline and it is still the same piece of work.
 */
export function payloadHashOf(intent: Pick<Intent, 'user' | 'operation' | 'fields'>): string {
  const payload = canonical({ user: intent.user, operation: intent.operation, fields: intent.fields ?? null });
  return createHash('sha256').update(JSON.stringify(payload)).digest('base64url');
}

/** The record as a DynamoDB document item: absent optional attributes are left out rather than stored as null. */
export function toIntentRecordItem(record: IntentRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/**
 * Validates an item read back from the table.
 * @throws IntentRecordError naming each bad attribute.
 */
export function parseIntentRecord(item: unknown): IntentRecord {
  const parsed = intentRecordSchema.safeParse(item);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
    throw new IntentRecordError(`invalid intent record: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The producer's id of the intent a record belongs to. */
export function intentIdOf(record: IntentRecord): string {
  return record[TABLE_KEYS.partitionKey].slice(ITEM_PREFIX.intent.length);
}

/** Where an intent stands, as a producer sees it. */
export type IntentStatus = 'pending' | IntentRecordStatus;

/** The outcome of an intent as the producer client returns it. */
export interface IntentResult {
  readonly id: string;
  /** `pending`: no record yet (queued, or never enqueued, or its record has expired). */
  readonly status: IntentStatus;
  readonly result?: IntentOutcome;
  readonly failureAttempts: number;
  readonly lastError?: IntentError;
  readonly deadLetterReason?: string;
}

/**
 * Maps the record read for intent `id` (undefined when there is none) to the public {@link IntentResult}.
 * @throws IntentRecordError if the item is not a valid intent record or belongs to another intent.
 */
export function toIntentResult(id: string, item: unknown): IntentResult {
  if (item === undefined) return { id, status: 'pending', failureAttempts: 0 };
  const record = parseIntentRecord(item);
  if (intentIdOf(record) !== id) {
    throw new IntentRecordError(
      `intent record ${record[TABLE_KEYS.partitionKey]} does not belong to intent "${id}" (expected ${intentKey(id)})`,
    );
  }
  return {
    id,
    status: record.status,
    failureAttempts: record.failureAttempts,
    ...(record.result !== undefined && { result: record.result }),
    ...(record.lastError !== undefined && { lastError: record.lastError }),
    ...(record.deadLetterReason !== undefined && { deadLetterReason: record.deadLetterReason }),
  };
}
