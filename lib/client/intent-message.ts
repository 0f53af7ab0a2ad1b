import { createHash } from 'node:crypto';
import {
  defaultMessageGroupId,
  formatIssuePath,
  INTENT_SCHEMA_VERSION,
  type Intent,
  type IntentIssue,
  IntentValidationError,
  MAX_INTENT_BYTES,
  safeParseIntent,
  serializeIntent,
} from '../../lambdas/shared/intent';
import { deadlineProblem } from '../../lambdas/shared/intent-limits';
import type { Lane } from '../../lambdas/shared/names';
import { DEFAULT_REQUEST_POLICY, type RequestPolicy, requestPolicyRefusal } from '../../lambdas/shared/request-policy';

/** What a producer passes to the client: an intent whose schema version `v` may be left out (it defaults to 1). */
export type IntentInput = Omit<Intent, 'v'> & { readonly v?: typeof INTENT_SCHEMA_VERSION };

/** Names of the SQS message attributes set on every intent, for filtering and debugging without parsing bodies. */
export const INTENT_MESSAGE_ATTRIBUTE = {
  lane: 'lane',
  user: 'user',
  operation: 'operation',
  correlationId: 'correlationId',
} as const;

/** Most bytes of messages one SendMessageBatch request carries: SQS's classic limit, as for one message. */
export const MAX_BATCH_REQUEST_BYTES = MAX_INTENT_BYTES;

/** Most entries in one SendMessageBatch request (SQS's limit). */
export const MAX_BATCH_ENTRIES = 10;

/** An intent as it will be sent to its lane. */
export interface IntentMessage {
  readonly intent: Intent;
  readonly lane: Lane;
  readonly body: string;
  readonly messageGroupId: string;
  readonly deduplicationId: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Size as SQS counts it: body plus each attribute's name, data type and value, in UTF-8 bytes. */
  readonly sizeBytes: number;
}

/**
 * The SQS MessageDeduplicationId of a message: the lowercase hex SHA-256 of its body's UTF-8 bytes, a rule any
 * language can follow. SQS drops a resend of the same body within its five-minute window; the same id with
 * another payload has another body, so it reaches the dispatcher and is dead-lettered as `id-reused`. The
 * dispatcher never reads the de-duplication id: performing an intent at most once rests on its record.
 */
export function deduplicationIdOfBody(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Builds the message for a valid intent. */
export function toIntentMessage(intent: Intent): IntentMessage {
  const body = serializeIntent(intent);
  const attributes: Record<string, string> = {
    [INTENT_MESSAGE_ATTRIBUTE.lane]: intent.lane,
    [INTENT_MESSAGE_ATTRIBUTE.user]: intent.user,
    [INTENT_MESSAGE_ATTRIBUTE.operation]: intent.operation.type,
  };
  if (intent.correlationId !== undefined) attributes[INTENT_MESSAGE_ATTRIBUTE.correlationId] = intent.correlationId;
  let sizeBytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    sizeBytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength('String', 'utf8') + Buffer.byteLength(value);
  }
  return {
    intent,
    lane: intent.lane,
    body,
    messageGroupId: defaultMessageGroupId(intent),
    deduplicationId: deduplicationIdOfBody(body),
    attributes,
    sizeBytes,
  };
}

/** Array.isArray that answers false for a value it cannot inspect (a revoked proxy) instead of throwing. */
function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

function withDefaultVersion(input: unknown): unknown {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const record = input as Record<string, unknown>;
    return record.v === undefined ? { ...record, v: INTENT_SCHEMA_VERSION } : record;
  } catch {
    // Unreadable (a throwing getter, a revoked proxy): validation names the problem.
    return input;
  }
}

function tooLarge(message: IntentMessage): IntentIssue {
  return {
    path: '(intent)',
    message: `is ${message.sizeBytes} bytes as an SQS message (JSON body and attributes); the limit is ${MAX_INTENT_BYTES} bytes (256 KiB)`,
  };
}

/** What the producer checks beyond the schema: the request policy, and deadlines against its clock. */
export interface PrepareOptions {
  /** The policy generic requests are held to. @default - the built-in policy */
  readonly policy?: RequestPolicy;
  /** The producer's clock, in epoch milliseconds. @default Date.now() */
  readonly now?: number;
}

/** Problems of a valid intent the schema cannot see: the request policy and the deadline. */
function producerIssues(intent: Intent, options: PrepareOptions): IntentIssue[] {
  const issues: IntentIssue[] = [];
  const op = intent.operation;
  if (op.type === 'request') {
    const refusal = requestPolicyRefusal(options.policy ?? DEFAULT_REQUEST_POLICY, op);
    if (refusal !== undefined) issues.push({ path: 'operation', message: `refused: ${refusal}` });
  }
  if (intent.deadline !== undefined) {
    const problem = deadlineProblem(intent.deadline, options.now ?? Date.now());
    if (problem !== undefined) issues.push({ path: 'deadline', message: problem });
  }
  return issues;
}

/**
 * Validates one producer input and builds its message.
 * @throws IntentValidationError naming each bad field, a generic request the policy refuses, a deadline past
 *   or too far ahead, or the size and the limit when it is too large.
 */
export function prepareIntent(input: unknown, options: PrepareOptions = {}): IntentMessage {
  const parsed = safeParseIntent(withDefaultVersion(input));
  if (!parsed.success) throw parsed.error;
  const issues = producerIssues(parsed.intent, options);
  if (issues.length > 0) throw new IntentValidationError(issues);
  const message = toIntentMessage(parsed.intent);
  if (message.sizeBytes > MAX_INTENT_BYTES) throw new IntentValidationError([tooLarge(message)]);
  return message;
}

/**
 * Validates many producer inputs and builds their messages, all or nothing.
 * @throws IntentValidationError listing every problem of every bad input, each path prefixed with its index
 *   (`intents[3].operation.type: ...`), including ids used twice in the same call.
 */
export function prepareIntents(inputs: unknown, options: PrepareOptions = {}): IntentMessage[] {
  if (!isArray(inputs)) {
    throw new IntentValidationError([{ path: 'intents', message: 'must be an array of intents' }], 'invalid intents');
  }
  const issues: IntentIssue[] = [];
  const messages: IntentMessage[] = [];
  const firstIndexOfId = new Map<string, number>();
  inputs.forEach((input, index) => {
    const at = (path: string) => (path === '(intent)' ? `intents[${index}]` : `intents[${index}].${path}`);
    const parsed = safeParseIntent(withDefaultVersion(input));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: at(issue.path), message: issue.message });
      return;
    }
    for (const issue of producerIssues(parsed.intent, options))
      issues.push({ path: at(issue.path), message: issue.message });
    const message = toIntentMessage(parsed.intent);
    if (message.sizeBytes > MAX_INTENT_BYTES) {
      const issue = tooLarge(message);
      issues.push({ path: at(issue.path), message: issue.message });
    }
    const earlier = firstIndexOfId.get(parsed.intent.id);
    if (earlier !== undefined) {
      issues.push({
        path: at(formatIssuePath(['id'])),
        message: `"${parsed.intent.id}" is also the id of intents[${earlier}]; ids must be unique within one call`,
      });
    } else {
      firstIndexOfId.set(parsed.intent.id, index);
    }
    messages.push(message);
  });
  if (issues.length > 0) throw new IntentValidationError(issues, 'invalid intents');
  return messages;
}

/**
 * Splits one lane's messages, in order, into SendMessageBatch requests of at most {@link MAX_BATCH_ENTRIES}
 * entries and {@link MAX_BATCH_REQUEST_BYTES} bytes.
 */
export function planBatches<T extends { readonly sizeBytes: number }>(
  messages: readonly T[],
  limits = { maxEntries: MAX_BATCH_ENTRIES, maxBytes: MAX_BATCH_REQUEST_BYTES },
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    if (
      current.length > 0 &&
      (current.length >= limits.maxEntries || currentBytes + message.sizeBytes > limits.maxBytes)
    ) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += message.sizeBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
