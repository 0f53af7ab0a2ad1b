import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { IntentMessage } from './intent-message';

/** One entry of a batch send: the caller's entry id (unique within the request) and the message. */
export interface BatchEntry {
  readonly entryId: string;
  readonly message: IntentMessage;
}

/** The per-entry outcome of a batch send. */
export interface BatchSendResult {
  readonly successful: readonly { readonly entryId: string; readonly messageId: string }[];
  readonly failed: readonly {
    readonly entryId: string;
    readonly code: string;
    readonly message: string;
    readonly senderFault: boolean;
  }[];
}

/** Where intents are sent: a lane's queue. */
export interface IntentQueue {
  send(queueUrl: string, message: IntentMessage): Promise<{ readonly messageId: string }>;
  sendBatch(queueUrl: string, entries: readonly BatchEntry[]): Promise<BatchSendResult>;
}

function messageAttributes(message: IntentMessage): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

/** {@link IntentQueue} on SQS FIFO queues, with each message's group and de-duplication id as prepared. */
export class SqsIntentQueue implements IntentQueue {
  constructor(private readonly sqs: SQSClient) {}

  async send(queueUrl: string, message: IntentMessage): Promise<{ readonly messageId: string }> {
    const response = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageGroupId: message.messageGroupId,
        MessageDeduplicationId: message.deduplicationId,
        MessageAttributes: messageAttributes(message),
      }),
    );
    if (!response.MessageId) throw new Error('SQS accepted the message but returned no MessageId');
    return { messageId: response.MessageId };
  }

  async sendBatch(queueUrl: string, entries: readonly BatchEntry[]): Promise<BatchSendResult> {
    const response = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: entries.map(({ entryId, message }) => ({
          Id: entryId,
          MessageBody: message.body,
          MessageGroupId: message.messageGroupId,
          MessageDeduplicationId: message.deduplicationId,
          MessageAttributes: messageAttributes(message),
        })),
      }),
    );
    return {
      successful: (response.Successful ?? []).map((entry) => ({
        entryId: entry.Id ?? '',
        messageId: entry.MessageId ?? '',
      })),
      failed: (response.Failed ?? []).map((entry) => ({
        entryId: entry.Id ?? '',
        code: entry.Code ?? 'Unknown',
        message: entry.Message ?? 'SQS gave no reason',
        senderFault: entry.SenderFault ?? false,
      })),
    };
  }
}
