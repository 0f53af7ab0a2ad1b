import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes } from 'aws-lambda';
import type { DeadLetter, LaneQueues, Resend } from '../dispatcher/ports';
import type { LaneEndpoints } from '../shared/config';
import type { Lane } from '../shared/names';

/** Message attributes a dead-lettered intent carries, so on-call can see why without reading logs. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'outreach-gate.reason',
  errorKind: 'outreach-gate.error-kind',
  status: 'outreach-gate.status',
  outreachErrorId: 'outreach-gate.outreach-error-id',
  detail: 'outreach-gate.detail',
  intentId: 'outreach-gate.intent-id',
  /**
   * The intent record's dead-letter id. SQS keeps message attributes when a dead-letter queue is redriven
   * (`StartMessageMoveTask`), so a lane message carrying it is a redrive, and re-opens the intent exactly once.
   */
  deadLetterId: 'outreach-gate.dead-letter-id',
} as const;

/** Most entries SQS takes in one batch request. */
const SQS_BATCH_ENTRIES = 10;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value.slice(0, 1024) });

/** The lanes' queues over SQS: deferrals change a message's visibility, dead letters go to the lane's DLQ. */
export class SqsLaneQueues implements LaneQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly lanes: LaneEndpoints,
  ) {}

  async defer(lane: Lane, receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.lanes[lane].queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    );
  }

  async release(lane: Lane, receiptHandle: string): Promise<void> {
    await this.defer(lane, receiptHandle, 0);
  }

  async delete(lane: Lane, receiptHandles: readonly string[]): Promise<string[]> {
    const notDeleted: string[] = [];
    for (let start = 0; start < receiptHandles.length; start += SQS_BATCH_ENTRIES) {
      const handles = receiptHandles.slice(start, start + SQS_BATCH_ENTRIES);
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.lanes[lane].queueUrl,
          Entries: handles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })),
        }),
      );
      for (const failed of Failed ?? []) notDeleted.push(handles[Number(failed.Id)] as string);
    }
    return notDeleted;
  }

  async hide(lane: Lane, receiptHandles: readonly string[], delaySeconds: number): Promise<string[]> {
    const notHidden: string[] = [];
    for (let start = 0; start < receiptHandles.length; start += SQS_BATCH_ENTRIES) {
      const handles = receiptHandles.slice(start, start + SQS_BATCH_ENTRIES);
      const { Failed } = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.lanes[lane].queueUrl,
          Entries: handles.map((handle, index) => ({
            Id: String(index),
            ReceiptHandle: handle,
            VisibilityTimeout: delaySeconds,
          })),
        }),
      );
      for (const failed of Failed ?? []) notHidden.push(handles[Number(failed.Id)] as string);
    }
    return notHidden;
  }

  async deadLetter(lane: Lane, message: DeadLetter): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = { [DEAD_LETTER_ATTRIBUTES.reason]: text(message.reason) };
    if (message.intentId !== undefined) attributes[DEAD_LETTER_ATTRIBUTES.intentId] = text(message.intentId);
    if (message.deadLetterId !== undefined) {
      attributes[DEAD_LETTER_ATTRIBUTES.deadLetterId] = text(message.deadLetterId);
    }
    if (message.error !== undefined) {
      attributes[DEAD_LETTER_ATTRIBUTES.errorKind] = text(message.error.kind);
      if (message.error.status !== undefined) {
        attributes[DEAD_LETTER_ATTRIBUTES.status] = { DataType: 'Number', StringValue: String(message.error.status) };
      }
      if (message.error.outreachErrorId !== undefined) {
        attributes[DEAD_LETTER_ATTRIBUTES.outreachErrorId] = text(message.error.outreachErrorId);
      }
      if (message.error.detail !== undefined && message.error.detail !== '') {
        attributes[DEAD_LETTER_ATTRIBUTES.detail] = text(message.error.detail);
      }
    }
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.lanes[lane].deadLetterQueueUrl,
        MessageBody: message.body,
        MessageGroupId: message.groupId,
        MessageDeduplicationId: message.deduplicationId,
        MessageAttributes: attributes,
      }),
    );
  }

  async resend(lane: Lane, message: Resend): Promise<void> {
    const attributes = sqsAttributes(message.attributes ?? {});
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.lanes[lane].queueUrl,
        MessageBody: message.body,
        MessageGroupId: message.groupId,
        MessageDeduplicationId: message.deduplicationId,
        ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
      }),
    );
  }
}

/** The attributes of a received message (the event's form) as SendMessage takes them. */
export function sqsAttributes(attributes: SQSMessageAttributes): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.dataType,
        ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
        ...(value.binaryValue === undefined ? {} : { BinaryValue: Buffer.from(value.binaryValue, 'base64') }),
      },
    ]),
  );
}
