import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { toRecord } from '../../local/runner/event-source-mapping';
import { prospectCreate } from '../support/pipeline';

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

describe('a deferral the gate’s cached item already decides', () => {
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;

  beforeAll(async () => {
    env = await startLocalEnvironment({ outreachUsers: ['u1'], stopOnSignals: false });
    dispatcher = localDispatcher(env, { metrics: new RecordingGateMetrics() });
  }, 60_000);

  afterAll(async () => {
    dispatcher?.close();
    await env?.stop();
  });

  it('GIVEN a ten-minute cool-down the dispatcher has just written WHEN an intent of that user arrives THEN it is deferred for the cool-down without a DynamoDB request and its record is not claimed', async () => {
    const lease = await dispatcher.gate.acquire('u1', 'bulk');
    if (lease.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(lease)}`);
    await dispatcher.gate.release(lease, { status: 429, headers: { 'retry-after': '600' } });
    const client = localProducerClient(env);
    const intent = prospectCreate(1, 'bulk', 'u1');
    await client.enqueue(intent);
    const { Messages = [] } = await env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.lanes.bulk.queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 5,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const before = dispatcher.dynamodbRequests();

    const response = (await dispatcher.handler(
      { Records: Messages.map((m) => toRecord(m, env.lanes.bulk.queueArn)) },
      context,
    )) as SQSBatchResponse;

    expect({
      deferred: response.batchItemFailures.length,
      dynamodbRequests: dispatcher.dynamodbRequests() - before,
      record: (await client.getResult(intent.id)).status,
      cooldownDeferrals: (dispatcher.metrics as RecordingGateMetrics).count('deferral', 'cooldown'),
    }).toEqual({ deferred: 1, dynamodbRequests: 0, record: 'pending', cooldownDeferrals: 1 });
  }, 60_000);
});
