import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { toRecord } from '../../local/runner/event-source-mapping';
import { messagesOnQueue } from '../support/sqs';

const context = { getRemainingTimeInMillis: () => 30_000 } as Context;

describe('deferrals never dead-letter an intent', () => {
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;

  beforeAll(async () => {
    // SQS would dead-letter a message at its 100th receive; the dispatcher recycles it at the 50th.
    env = await startLocalEnvironment({ outreachUsers: ['u1'], maxReceiveCount: 100, stopOnSignals: false });
    dispatcher = localDispatcher(env);
  }, 60_000);

  afterAll(async () => {
    dispatcher?.close();
    await env?.stop();
  });

  async function receiveOne(): Promise<Message | undefined> {
    const { Messages } = await env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.lanes.bulk.queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages?.[0];
  }

  it('GIVEN a user cooling down for an hour WHEN one intent is received and deferred 120 times THEN it is never in the dead-letter queue and is still waiting', async () => {
    // Outreach said "wait an hour": the gate records the cool-down.
    const lease = await dispatcher.gate.acquire('u1', 'bulk');
    if (lease.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(lease)}`);
    await dispatcher.gate.release(lease, { status: 429, headers: { 'retry-after': '3600' } });
    const client = localProducerClient(env);
    await client.enqueue({
      id: 'patient-intent',
      user: 'u1',
      lane: 'bulk',
      operation: { type: 'prospect.update', prospectId: 1, attributes: { title: 'CTO' } },
    });

    let deferred = 0;
    let recycled = 0;
    for (let receive = 0; receive < 120; receive++) {
      const message = await receiveOne();
      if (message === undefined) throw new Error(`the intent disappeared after ${receive} receives`);
      const response = (await dispatcher.handler(
        { Records: [toRecord(message, env.lanes.bulk.queueArn)] },
        context,
      )) as {
        batchItemFailures: unknown[];
      };
      if (response.batchItemFailures.length === 1) {
        deferred++;
        // Skip the wait the dispatcher asked for, to receive it again at once.
        await env.clients.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: env.lanes.bulk.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      } else {
        recycled++;
        // A record not reported failed is deleted by the event source mapping.
        await env.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: env.lanes.bulk.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
    const result = await client.getResult('patient-intent');
    expect({
      deferred,
      recycled,
      inDeadLetterQueue: await messagesOnQueue(env.clients.sqs, env.lanes.bulk.deadLetterQueueUrl),
      stillQueued: await messagesOnQueue(env.clients.sqs, env.lanes.bulk.queueUrl),
      status: result.status,
      upstreamCalls: env.simulator?.stats().total.requests,
    }).toEqual({
      deferred: 118,
      recycled: 2,
      inDeadLetterQueue: 0,
      stillQueued: 1,
      // The gate had told the dispatcher to wait an hour: deferred on every receive before its record was claimed.
      status: 'pending',
      upstreamCalls: 0,
    });
  }, 180_000);
});
