import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../lambdas/adapters/sqs-lane-queues';
import type { LaneEndpoints } from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';

/** A message received from a lane's dead-letter queue, with what the dispatcher recorded on it. */
export interface DeadLetter {
  readonly lane: Lane;
  readonly queueUrl: string;
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly groupId: string;
  /** Every message attribute of the dead-letter copy, as SendMessage takes them. */
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Why the dispatcher dead-lettered it; `unknown` for a message SQS moved after too many receives. */
  readonly reason: string;
  readonly intentId: string | undefined;
  readonly errorKind: string | undefined;
  readonly status: string | undefined;
  readonly outreachErrorId: string | undefined;
  readonly detail: string | undefined;
}

/** How a dead letter whose copy carries no reason is counted (SQS's own redrive after maxReceiveCount). */
export const NO_REASON = 'unknown';

function sendable(value: MessageAttributeValue): MessageAttributeValue {
  return {
    DataType: value.DataType,
    ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
    ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
  };
}

/** Reads a received message as a dead letter of `lane`. */
export function toDeadLetter(lane: Lane, queueUrl: string, message: Message): DeadLetter {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, sendable(value)]),
  );
  const text = (name: string) => attributes[name]?.StringValue;
  return {
    lane,
    queueUrl,
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    groupId: message.Attributes?.MessageGroupId ?? message.MessageId ?? '',
    attributes,
    reason: text(DEAD_LETTER_ATTRIBUTES.reason) ?? NO_REASON,
    intentId: text(DEAD_LETTER_ATTRIBUTES.intentId),
    errorKind: text(DEAD_LETTER_ATTRIBUTES.errorKind),
    status: text(DEAD_LETTER_ATTRIBUTES.status),
    outreachErrorId: text(DEAD_LETTER_ATTRIBUTES.outreachErrorId),
    detail: text(DEAD_LETTER_ATTRIBUTES.detail),
  };
}

/**
 * One receive of up to ten dead letters, hidden from other readers for `visibilitySeconds`. Nothing is
 * deleted: the caller releases or deletes each message.
 */
export async function receiveDeadLetters(
  sqs: SQSClient,
  lane: Lane,
  queueUrl: string,
  visibilitySeconds: number,
): Promise<DeadLetter[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: visibilitySeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages.map((message) => toDeadLetter(lane, queueUrl, message));
}

/** Makes received dead letters visible again at once. */
export async function releaseDeadLetters(sqs: SQSClient, letters: readonly DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += 10) {
    const batch = letters.slice(start, start + 10);
    const queueUrl = batch[0]?.queueUrl;
    if (queueUrl === undefined) continue;
    const sameQueue = batch.filter((letter) => letter.queueUrl === queueUrl);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: sameQueue.map((letter, index) => ({
          Id: String(index),
          ReceiptHandle: letter.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
    const other = batch.filter((letter) => letter.queueUrl !== queueUrl);
    if (other.length > 0) await releaseDeadLetters(sqs, other);
  }
}

/** The lanes a `--lane` option names: that lane, or every lane. */
export function selectedLanes(lane: Lane | undefined): readonly Lane[] {
  return lane === undefined ? LANES : [lane];
}

/**
 * Reads (without deleting) up to `limit` dead letters of the selected lanes, then releases them. A FIFO queue
 * hands out one message group's messages only in order, so what is seen is every group's oldest messages.
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  lanes: LaneEndpoints,
  lane: Lane | undefined,
  limit = 1000,
): Promise<DeadLetter[]> {
  const seen: DeadLetter[] = [];
  try {
    for (const each of selectedLanes(lane)) {
      for (;;) {
        if (seen.length >= limit) break;
        const received = await receiveDeadLetters(sqs, each, lanes[each].deadLetterQueueUrl, 60);
        if (received.length === 0) break;
        seen.push(...received);
      }
    }
  } finally {
    await releaseDeadLetters(sqs, seen);
  }
  return seen;
}
