import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createLocalSqsClient, type SqsEmulator, startSqsEmulator } from '../../local/emulators/sqs';

/** A fauxqs emulator started for one test file, and a client pointed at it. */
export interface LocalSqs {
  readonly emulator: SqsEmulator;
  readonly sqs: SQSClient;
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 (a free port) with a client for it. Call `stop()` in `afterAll`. */
export async function startLocalSqs(): Promise<LocalSqs> {
  const emulator = await startSqsEmulator();
  const sqs = createLocalSqsClient(emulator.endpoint);
  return {
    emulator,
    sqs,
    async stop() {
      sqs.destroy();
      await emulator.stop();
    },
  };
}

let prefixCounter = 0;

/** A queue name prefix no other test in this process uses, so tests sharing an emulator never share queues. */
export function uniqueQueuePrefix(name: string): string {
  prefixCounter += 1;
  return `${name}-${process.pid}-${prefixCounter}`;
}

/**
 * Receives and deletes every message on a queue, with all system and message attributes. fauxqs hands out at
 * most one message per FIFO message group per receive (the group stays locked until that message is deleted),
 * so this keeps receiving until a receive comes back empty.
 */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
}

/** Messages on a queue, visible or in flight. */
export async function messagesOnQueue(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
