import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../../lambdas/shared/aws-client-timeouts';
import { IntentValidationError, intentIdSchema } from '../../lambdas/shared/intent';
import { type IntentResult, toIntentResult } from '../../lambdas/shared/intent-record';
import { LANES, type Lane } from '../../lambdas/shared/names';
import {
  compileRequestPolicy,
  DEFAULT_RULE,
  type RequestPolicy,
  RequestPolicyError,
} from '../../lambdas/shared/request-policy';
import { DynamoDbIntentRecordReader, type IntentRecordReader } from './dynamodb-intent-records';
import { type IntentInput, type IntentMessage, planBatches, prepareIntent, prepareIntents } from './intent-message';
import { type IntentQueue, SqsIntentQueue } from './sqs-intent-queue';
import {
  type SettledIntentResult,
  type WaitForResultOptions,
  waitForSettled,
  waitOptionsProblem,
} from './wait-for-result';

/** Options of {@link OutreachGateClient}. */
export interface OutreachGateClientOptions {
  /** Each lane's queue URL (the stack's outputs, or `createLaneQueues` locally). */
  readonly laneUrls: Readonly<Record<Lane, string>>;
  /** The gate table, where the dispatcher records each intent's outcome. */
  readonly tableName: string;
  /** SQS client to send with. @default - one created for this client from the environment's region and credentials, with `DEFAULT_AWS_CLIENT_TIMEOUTS` */
  readonly sqs?: SQSClient;
  /** DynamoDB client to read results with. @default - one created for this client, with `DEFAULT_AWS_CLIENT_TIMEOUTS` */
  readonly dynamodb?: DynamoDBDocumentClient | DynamoDBClient;
  /**
   * The rules generic `request` intents are held to: the same list as the deployment's `requestPolicy`
   * setting, so a request the dispatcher would refuse is refused here, before anything is sent.
   * @default ['default'] (the built-in policy)
   */
  readonly requestPolicy?: readonly string[];
  /** The clock deadlines are checked against, in epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

/** An intent accepted by its lane's queue. */
export interface EnqueuedIntent {
  readonly id: string;
  /** SQS's id of the message (for a de-duplicated re-send, SQS may return the original message's id). */
  readonly messageId: string;
  readonly lane: Lane;
  readonly messageGroupId: string;
}

/** An intent of an {@link OutreachGateClient.enqueueMany} call that was not accepted. */
export interface FailedIntent {
  readonly id: string;
  /** SQS's error code, or the error's name when the whole request failed. */
  readonly code: string;
  readonly message: string;
  /** True when resending the same intent unchanged cannot succeed. */
  readonly senderFault: boolean;
}

/** The outcome of {@link OutreachGateClient.enqueueMany}: every intent is either sent or failed, never dropped. */
export interface EnqueueManyResult {
  readonly sent: readonly EnqueuedIntent[];
  readonly failed: readonly FailedIntent[];
}

/** Raised when the client is configured wrongly or AWS refuses a call; the message says which and why. */
export class OutreachGateClientError extends Error {
  override readonly name = 'OutreachGateClientError';
}

/** Code reported for an intent held back because an earlier intent of its message group failed in the same call. */
export const PRECEDING_INTENT_FAILED = 'PrecedingIntentFailed';

function errorText(error: unknown): { code: string; message: string; senderFault: boolean } {
  const e = error as { name?: unknown; message?: unknown; $fault?: unknown };
  return {
    code: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
    senderFault: e.$fault === 'client',
  };
}

function policyOf(rules: readonly string[] | undefined): RequestPolicy {
  try {
    return compileRequestPolicy(rules ?? [DEFAULT_RULE]);
  } catch (error) {
    if (error instanceof RequestPolicyError) throw new OutreachGateClientError(`requestPolicy: ${error.message}`);
    throw error;
  }
}

function checkOptions(options: OutreachGateClientOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new OutreachGateClientError('options must be an object with laneUrls and tableName');
  }
  for (const lane of LANES) {
    const url = options.laneUrls?.[lane];
    if (typeof url !== 'string' || url.trim() === '') {
      throw new OutreachGateClientError(`laneUrls.${lane} must be the ${lane} lane's queue URL`);
    }
  }
  if (typeof options.tableName !== 'string' || options.tableName.trim() === '') {
    throw new OutreachGateClientError('tableName must name the gate table');
  }
}

/**
 * The producer side of the gate: validates intents before anything is sent, puts each on its lane's FIFO queue
 * with the SHA-256 of its body as de-duplication id and a per-resource message group, and reads outcomes back.
 *
 * Re-enqueueing the same intent within SQS's five-minute de-duplication window (in the same message group) is
 * dropped by the queue; otherwise the dispatcher's intent record keeps the operation from being performed twice.
 */
export class OutreachGateClient {
  private readonly laneUrls: Readonly<Record<Lane, string>>;
  private readonly queue: IntentQueue;
  private readonly records: IntentRecordReader;
  private readonly policy: RequestPolicy;
  private readonly clock: () => number;

  constructor(options: OutreachGateClientOptions) {
    checkOptions(options);
    this.policy = policyOf(options.requestPolicy);
    this.clock = options.clock ?? Date.now;
    this.laneUrls = { ...options.laneUrls };
    this.queue = new SqsIntentQueue(options.sqs ?? new SQSClient(awsClientConfig()));
    const dynamodb = options.dynamodb ?? new DynamoDBClient(awsClientConfig());
    const documents =
      dynamodb instanceof DynamoDBDocumentClient
        ? dynamodb
        : DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    this.records = new DynamoDbIntentRecordReader(documents, options.tableName);
  }

  /**
   * Validates one intent and sends it to its lane.
   * @throws IntentValidationError naming each bad field, a generic request the request policy refuses, a
   *   deadline already past or more than 14 days ahead, or the size and the limit; nothing is sent.
   * @throws OutreachGateClientError when SQS refuses the message.
   */
  async enqueue(intent: IntentInput): Promise<EnqueuedIntent> {
    const message = prepareIntent(intent, { policy: this.policy, now: this.clock() });
    try {
      const { messageId } = await this.queue.send(this.laneUrls[message.lane], message);
      return { id: message.intent.id, messageId, lane: message.lane, messageGroupId: message.messageGroupId };
    } catch (error) {
      const { code, message: why } = errorText(error);
      throw new OutreachGateClientError(
        `could not enqueue intent "${message.intent.id}" on lane ${message.lane}: ${code}: ${why}`,
        { cause: error },
      );
    }
  }

  /**
   * Validates every intent, then sends them in batches per lane (≤ 10 entries and ≤ 256 KiB per request),
   * keeping their order within each lane. Once an intent fails, later intents of the same message group in this
   * call are held back (reported failed with {@link PRECEDING_INTENT_FAILED}) so a retry keeps them in order.
   * @throws IntentValidationError listing every bad intent by index and field (as for {@link enqueue}), or ids
   *   used twice; nothing is sent.
   */
  async enqueueMany(intents: readonly IntentInput[]): Promise<EnqueueManyResult> {
    const messages = prepareIntents(intents, { policy: this.policy, now: this.clock() });
    const outcomes = new Map<number, { sent: EnqueuedIntent } | { failed: FailedIntent }>();
    const indexed = messages.map((message, index) => ({ index, message, sizeBytes: message.sizeBytes }));

    await Promise.all(
      LANES.map(async (lane) => {
        const failedGroups = new Set<string>();
        const fail = (index: number, message: IntentMessage, failure: Omit<FailedIntent, 'id'>) => {
          failedGroups.add(message.messageGroupId);
          outcomes.set(index, { failed: { id: message.intent.id, ...failure } });
        };
        for (const batch of planBatches(indexed.filter(({ message }) => message.lane === lane))) {
          const toSend = batch.filter(({ index, message }) => {
            if (!failedGroups.has(message.messageGroupId)) return true;
            fail(index, message, {
              code: PRECEDING_INTENT_FAILED,
              message: `not sent: an earlier intent of message group "${message.messageGroupId}" in this call failed; resend them in order`,
              senderFault: false,
            });
            return false;
          });
          if (toSend.length === 0) continue;
          try {
            const result = await this.queue.sendBatch(
              this.laneUrls[lane],
              toSend.map(({ index, message }) => ({ entryId: String(index), message })),
            );
            const answered = new Set<number>();
            for (const entry of result.successful) {
              const index = Number(entry.entryId);
              const message = messages[index];
              if (message === undefined) continue;
              answered.add(index);
              outcomes.set(index, {
                sent: {
                  id: message.intent.id,
                  messageId: entry.messageId,
                  lane,
                  messageGroupId: message.messageGroupId,
                },
              });
            }
            for (const entry of result.failed) {
              const index = Number(entry.entryId);
              const message = messages[index];
              if (message === undefined) continue;
              answered.add(index);
              fail(index, message, { code: entry.code, message: entry.message, senderFault: entry.senderFault });
            }
            for (const { index, message } of toSend) {
              if (answered.has(index)) continue;
              fail(index, message, {
                code: 'MissingFromResponse',
                message: 'SQS reported neither success nor failure for this entry; it may or may not have been sent',
                senderFault: false,
              });
            }
          } catch (error) {
            const failure = errorText(error);
            for (const { index, message } of toSend) fail(index, message, failure);
          }
        }
      }),
    );

    const sent: EnqueuedIntent[] = [];
    const failed: FailedIntent[] = [];
    for (let index = 0; index < messages.length; index += 1) {
      const outcome = outcomes.get(index);
      if (outcome === undefined) continue;
      if ('sent' in outcome) sent.push(outcome.sent);
      else failed.push(outcome.failed);
    }
    return { sent, failed };
  }

  /**
   * Where intent `id` stands: `pending` until the dispatcher has taken it on (or after its record expired),
   * then `in-progress`, `succeeded` with its result, or `dead-lettered` with the reason.
   * @throws IntentValidationError when `id` is not a valid intent id.
   * @throws IntentRecordError when the stored record is malformed; OutreachGateClientError when DynamoDB fails.
   */
  async getResult(id: string): Promise<IntentResult> {
    const parsedId = intentIdSchema.safeParse(id);
    if (!parsedId.success) {
      throw new IntentValidationError(
        parsedId.error.issues.map((issue) => ({ path: 'id', message: issue.message })),
        'invalid intent id',
      );
    }
    let item: Record<string, unknown> | undefined;
    try {
      item = await this.records.read(id);
    } catch (error) {
      const { code, message } = errorText(error);
      throw new OutreachGateClientError(`could not read the result of intent "${id}": ${code}: ${message}`, {
        cause: error,
      });
    }
    return toIntentResult(id, item);
  }

  /**
   * Waits until intent `id` settles and returns its result: `succeeded` with Outreach's answer, or
   * `dead-lettered` with the reason. Reads with {@link getResult}, first at once, then after waits that start at
   * `pollIntervalMs` and double up to `maxPollIntervalMs`. Meant for scripts; services should not hold a
   * process open per intent.
   * @throws IntentResultTimeoutError naming the id, how long it waited and where the intent stands, when it has
   *   not settled within `timeoutMs`.
   * @throws OutreachGateClientError for unusable options (naming the option) and as {@link getResult} does.
   */
  async waitForResult(id: string, options: WaitForResultOptions): Promise<SettledIntentResult> {
    const problem = waitOptionsProblem(options);
    if (problem !== undefined) throw new OutreachGateClientError(`waitForResult: ${problem}`);
    return waitForSettled(id, options, {
      read: (intentId) => this.getResult(intentId),
      clock: Date.now,
      sleep: (ms) => sleep(ms),
    });
  }
}
