import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { prepareIntent } from '../../lib/client/intent-message';
import type { LocalDispatcher } from '../../local/dispatcher';
import type { LocalEnvironment } from '../../local/environment';
import { toRecord } from '../../local/runner/event-source-mapping';
import { receiveAll } from './sqs';

/**
 * Drives the real batch handler by hand, as the event source mapping would: receive a batch from a lane, invoke
 * the handler, delete what it did not report failed. Deferred messages can be made visible again at once, so a
 * test sees the next receive without waiting for the deferral.
 */
export class HandDriver {
  constructor(
    private readonly env: LocalEnvironment,
    private readonly dispatcher: LocalDispatcher,
  ) {}

  /** A Lambda context whose remaining time counts down from `timeoutMs` from now. */
  static context(timeoutMs = 30_000): Context {
    const deadline = Date.now() + timeoutMs;
    return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
  }

  /** Sends an intent to its lane as the producer client would, or with another group or de-duplication id. */
  async send(
    input: unknown,
    options: { groupId?: string; deduplicationId?: string; attributes?: Record<string, MessageAttributeValue> } = {},
  ): Promise<void> {
    const message = prepareIntent(input);
    await this.env.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.env.lanes[message.lane].queueUrl,
        MessageBody: message.body,
        MessageGroupId: options.groupId ?? message.messageGroupId,
        MessageDeduplicationId: options.deduplicationId ?? message.deduplicationId,
        MessageAttributes: {
          ...Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
          ...options.attributes,
        },
      }),
    );
  }

  /** Receives up to `max` messages of a lane with every attribute. */
  async receive(lane: keyof LocalEnvironment['lanes'], max = 10): Promise<Message[]> {
    const { Messages = [] } = await this.env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.env.lanes[lane].queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages;
  }

  /**
   * Runs the handler on `messages` of `lane` and deletes the records it did not report failed. With `revive`,
   * failed (deferred) records are made visible again at once.
   */
  async invoke(
    lane: keyof LocalEnvironment['lanes'],
    messages: Message[],
    options: { context?: Context; revive?: boolean } = {},
  ): Promise<SQSBatchResponse> {
    const { queueUrl, queueArn } = this.env.lanes[lane];
    const records = messages.map((message) => toRecord(message, queueArn));
    const response = (await this.dispatcher.handler(
      { Records: records },
      options.context ?? HandDriver.context(),
    )) as SQSBatchResponse;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const message of messages) {
      const handle = message.ReceiptHandle as string;
      if (!failed.has(message.MessageId as string)) {
        await this.env.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle }));
      } else if (options.revive) {
        // The dispatcher may already have made it visible (a wait of 0 s): then there is nothing to revive.
        await this.env.clients.sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }))
          .catch((error: unknown) => {
            if ((error as { name?: string }).name !== 'MessageNotInflight') throw error;
          });
      }
    }
    return response;
  }

  /** Receives and invokes until the lane is empty, reviving deferred messages; at most `rounds` batches. */
  async drain(lane: keyof LocalEnvironment['lanes'], rounds = 20): Promise<number> {
    let batches = 0;
    for (; batches < rounds; batches++) {
      const messages = await this.receive(lane);
      if (messages.length === 0) return batches;
      await this.invoke(lane, messages, { revive: true });
    }
    throw new Error(`the ${lane} lane still had messages after ${rounds} batches`);
  }

  /** Takes every message off a lane's dead-letter queue, with its attributes. */
  deadLetters(lane: keyof LocalEnvironment['lanes']): Promise<Message[]> {
    return receiveAll(this.env.clients.sqs, this.env.lanes[lane].deadLetterQueueUrl);
  }

  /**
   * Moves dead-letter copies back to their lane as SQS's redrive (`StartMessageMoveTask`) does: same body, same
   * message attributes, a new message.
   */
  async redrive(lane: keyof LocalEnvironment['lanes'], copies: Message[], suffix = 'redrive'): Promise<void> {
    for (const copy of copies) {
      await this.env.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.env.lanes[lane].queueUrl,
          MessageBody: copy.Body,
          MessageGroupId: copy.Attributes?.MessageGroupId,
          MessageDeduplicationId: `${copy.MessageId}-${suffix}`,
          MessageAttributes: copy.MessageAttributes,
        }),
      );
    }
  }
}

/** The reason attribute of a dead-letter copy. */
export const reasonOf = (message: Message): string | undefined =>
  message.MessageAttributes?.['outreach-gate.reason']?.StringValue;
