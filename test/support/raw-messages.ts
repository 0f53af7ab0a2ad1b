import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';

/**
 * Lane messages as plain SQS calls make and read them: a body sent as it is, by a producer that does not use the
 * client, and the dead-letter copies on-call reads back.
 */

/** A message body sent as it is, with its FIFO message group and de-duplication id. */
export interface RawMessage {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
}

/** Sends `message` to the queue at `queueUrl` with a plain SendMessage. */
export async function sendRawMessage(sqs: SQSClient, queueUrl: string, message: RawMessage): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.deduplicationId,
    }),
  );
}

/** A dead-letter copy as on-call sees it: the body it carries, the reason and its detail. */
export interface DeadLetterCopy {
  readonly body: string | undefined;
  readonly reason: string | undefined;
  readonly detail: string | undefined;
}

/**
 * Receives the dead-letter copies on the queue at `queueUrl` until `expected` have come or `timeoutMs` has passed;
 * the copies received, in the order they came. Received copies stay on the queue, hidden for its visibility timeout.
 */
export async function receiveDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<DeadLetterCopy[]> {
  const copies: DeadLetterCopy[] = [];
  const deadline = Date.now() + timeoutMs;
  while (copies.length < expected && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    for (const message of Messages) {
      copies.push({
        body: message.Body,
        reason: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
        detail: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.detail]?.StringValue,
      });
    }
  }
  return copies;
}
