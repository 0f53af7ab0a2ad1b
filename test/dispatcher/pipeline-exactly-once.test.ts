import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import type { GateConfig } from '../../lambdas/shared/config';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { toRecord } from '../../local/runner/event-source-mapping';
import { HandDriver, reasonOf } from '../support/drive';
import { GateFaults } from '../support/gate-faults';

const create = (id: string, email: string, user = 'u1') => ({
  id,
  user,
  lane: 'bulk' as const,
  operation: { type: 'prospect.create' as const, attributes: { emails: [email] } },
});

const bulkAction = (id: string, prospectIds: number[]) => ({
  id,
  user: 'u1',
  lane: 'bulk' as const,
  operation: { type: 'batch.prospectsAddToSequence' as const, prospectIds, sequenceId: 1, mailboxId: 1 },
});

describe('exactly once and never lost, on every path an intent takes', () => {
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;
  let drive: HandDriver;
  const releases = new GateFaults(() => new Error('simulated DynamoDB error while returning the lease'));
  const config = (base: GateConfig): GateConfig => ({
    ...base,
    retries: { ...base.retries, maxFailureAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 20, failureWindowMs: 0 },
  });

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: ['u1', 'u2', 'u3'],
      stopOnSignals: false,
      simulator: { users: ['u1', 'u2', 'u3'], batches: { startDelaySeconds: 0, secondsPerItem: 0 } },
    });
    dispatcher = localDispatcher(
      {
        ...env,
        dispatcherEnvironment: { ...env.dispatcherEnvironment, config: config(env.dispatcherEnvironment.config) },
      },
      { decorateGate: (gate) => releases.wrap(gate) },
    );
    drive = new HandDriver(env, dispatcher);
  }, 60_000);

  afterAll(async () => {
    dispatcher?.close();
    await env?.stop();
  });

  const stats = () =>
    env.simulator?.stats().total as NonNullable<
      ReturnType<NonNullable<LocalEnvironment['simulator']>['stats']>
    >['total'];
  const created = () => stats().byStatus['201'] ?? 0;
  const result = (id: string) => localProducerClient(env).getResult(id);

  it('GIVEN a succeeded intent WHEN its id is sent again in another message group and after the de-duplication window THEN it is not performed again and its result is kept', async () => {
    const intent = create('settled-1', 'settled-1@example.com');
    await drive.send(intent);
    await drive.drain('bulk');
    const first = await result(intent.id);
    const createdBefore = created();
    await drive.send(intent, { groupId: 'another-group', deduplicationId: 'resent-later' });
    await drive.send(intent, { deduplicationId: 'resent-same-group' });
    await drive.drain('bulk');
    expect({
      status: (await result(intent.id)).status,
      sameResult: (await result(intent.id)).result?.resourceId === first.result?.resourceId,
      createdAgain: created() - createdBefore,
      duplicates: stats().duplicatesCreated,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({ status: 'succeeded', sameResult: true, createdAgain: 0, duplicates: 0, deadLetters: 0 });
  }, 60_000);

  it('GIVEN a dead-lettered intent WHEN it is sent again without a redrive THEN it is dead-lettered again with a reason, not performed and not dropped', async () => {
    env.simulator?.configure({ faults: { errorBurst: { status: 500, count: 2 } } });
    const intent = create('dead-1', 'dead-1@example.com');
    await drive.send(intent);
    await drive.drain('bulk');
    const first = await drive.deadLetters('bulk');
    const createdBefore = created();
    await drive.send(intent, { groupId: 'another-group', deduplicationId: 'dead-1-resent' });
    await drive.drain('bulk');
    const again = await drive.deadLetters('bulk');
    expect({
      first: first.map(reasonOf),
      again: again.map(reasonOf),
      againCarriesDeadLetterId:
        again[0]?.MessageAttributes?.['outreach-gate.dead-letter-id']?.StringValue ===
        first[0]?.MessageAttributes?.['outreach-gate.dead-letter-id']?.StringValue,
      status: (await result(intent.id)).status,
      createdAgain: created() - createdBefore,
    }).toEqual({
      first: ['attempts-exhausted'],
      again: ['already-dead-lettered'],
      againCarriesDeadLetterId: true,
      status: 'dead-lettered',
      createdAgain: 0,
    });
  }, 60_000);

  it('GIVEN a dead-lettered intent WHEN its dead-letter copy is redriven twice THEN it is performed exactly once and succeeds', async () => {
    env.simulator?.configure({ faults: { errorBurst: { status: 500, count: 2 } } });
    const intent = create('redrive-1', 'redrive-1@example.com');
    await drive.send(intent);
    await drive.drain('bulk');
    const copies = await drive.deadLetters('bulk');
    const createdBefore = created();
    await drive.redrive('bulk', copies, 'first');
    await drive.redrive('bulk', copies, 'second');
    await drive.drain('bulk');
    const after = await result(intent.id);
    expect({
      copies: copies.map(reasonOf),
      status: after.status,
      failureAttempts: after.failureAttempts,
      created: created() - createdBefore,
      duplicates: stats().duplicatesCreated,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({
      copies: ['attempts-exhausted'],
      status: 'succeeded',
      failureAttempts: 0,
      created: 1,
      duplicates: 0,
      deadLetters: 0,
    });
  }, 60_000);

  it('GIVEN a dead-lettered intent WHEN its copy is redriven during a cool-down the dispatcher knows of THEN it waits without its record being touched, and after the cool-down it is performed once', async () => {
    env.simulator?.configure({ faults: { errorBurst: { status: 500, count: 2 } } });
    const intent = create('redrive-cooling-1', 'redrive-cooling-1@example.com', 'u2');
    await drive.send(intent);
    await drive.drain('bulk');
    const copies = await drive.deadLetters('bulk');
    const lease = await dispatcher.gate.acquire('u2', 'bulk');
    if (lease.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(lease)}`);
    await dispatcher.gate.release(lease, { status: 429, headers: { 'retry-after': '6' } });
    const createdBefore = created();
    await drive.redrive('bulk', copies, 'cooling');
    const requestsBefore = dispatcher.dynamodbRequests();
    const during = await drive.invoke('bulk', await drive.receive('bulk'), { revive: true });
    const requestsDuring = dispatcher.dynamodbRequests() - requestsBefore;
    const statusDuring = (await result(intent.id)).status;
    const { cooldownUntil = 0 } = await dispatcher.gate.snapshot('u2');
    const skewMs = env.dispatcherEnvironment.config.timing.clockSkewMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cooldownUntil + skewMs + 200 - Date.now())));
    await drive.drain('bulk');
    expect({
      copies: copies.map(reasonOf),
      waitedDuring: during.batchItemFailures.length,
      dynamodbRequestsDuring: requestsDuring,
      statusDuring,
      status: (await result(intent.id)).status,
      created: created() - createdBefore,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({
      copies: ['attempts-exhausted'],
      waitedDuring: 1,
      dynamodbRequestsDuring: 0,
      statusDuring: 'dead-lettered',
      status: 'succeeded',
      created: 1,
      deadLetters: 0,
    });
  }, 60_000);

  it('GIVEN a succeeded intent WHEN its id is sent with another payload THEN the message is dead-lettered as id-reused and the record is untouched', async () => {
    const intent = create('reused-1', 'reused-1@example.com');
    await drive.send(intent);
    await drive.drain('bulk');
    const before = await result(intent.id);
    await drive.send(create('reused-1', 'someone-else@example.com'), { deduplicationId: 'reused-1-other' });
    await drive.drain('bulk');
    const letters = await drive.deadLetters('bulk');
    expect({
      reasons: letters.map(reasonOf),
      record: await result(intent.id),
      createdTwice: stats().duplicatesCreated,
    }).toEqual({ reasons: ['id-reused'], record: before, createdTwice: 0 });
  }, 60_000);

  it('GIVEN an intent enqueued with the client WHEN the same id is enqueued with another payload within the de-duplication window THEN the second is dead-lettered as id-reused, not dropped', async () => {
    const client = localProducerClient(env);
    await client.enqueue(create('reused-2', 'reused-2@example.com'));
    await drive.drain('bulk');
    await client.enqueue(create('reused-2', 'someone-else-2@example.com'));
    await drive.drain('bulk');
    expect({
      reasons: (await drive.deadLetters('bulk')).map(reasonOf),
      status: (await result('reused-2')).status,
      createdTwice: stats().duplicatesCreated,
    }).toEqual({ reasons: ['id-reused'], status: 'succeeded', createdTwice: 0 });
  }, 60_000);

  it('GIVEN one intent in two message groups at once WHEN two invocations take them together THEN one performs it, the other waits, and it is created once', async () => {
    env.simulator?.configure({ faults: { latencyMs: 500 } });
    const intent = create('twice-1', 'twice-1@example.com');
    await drive.send(intent, { groupId: 'group-a', deduplicationId: 'twice-1-a' });
    await drive.send(intent, { groupId: 'group-b', deduplicationId: 'twice-1-b' });
    const createdBefore = created();
    const waitsBefore = (dispatcher.metrics as RecordingGateMetrics).count('deferral', 'in-flight');
    const [a, b] = [await drive.receive('bulk', 1), await drive.receive('bulk', 1)];
    const responses = await Promise.all([
      drive.invoke('bulk', a ?? [], { revive: true }),
      drive.invoke('bulk', b ?? [], { revive: true }),
    ]);
    env.simulator?.configure({ faults: { latencyMs: 0 } });
    await drive.drain('bulk');
    expect({
      messages: [a?.length, b?.length],
      waited: responses.flatMap((r) => r.batchItemFailures).length,
      inFlightWaits: (dispatcher.metrics as RecordingGateMetrics).count('deferral', 'in-flight') - waitsBefore,
      status: (await result(intent.id)).status,
      created: created() - createdBefore,
      duplicates: stats().duplicatesCreated,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({
      messages: [1, 1],
      waited: 1,
      inFlightWaits: 1,
      status: 'succeeded',
      created: 1,
      duplicates: 0,
      deadLetters: 0,
    });
  }, 60_000);

  it('GIVEN the lease cannot be returned (DynamoDB errors) WHEN Outreach answers 2xx THEN the result is stored, the message deleted and nothing is performed twice', async () => {
    const intents = [create('release-1', 'release-1@example.com'), bulkAction('release-2', [1])];
    const requestsBefore = stats().requests;
    for (const intent of intents) await drive.send(intent);
    releases.failures.release = 1_000;
    try {
      await drive.drain('bulk');
    } finally {
      releases.failures.release = 0;
    }
    expect({
      statuses: await Promise.all(intents.map(async (i) => (await result(i.id)).status)),
      upstreamRequests: stats().requests - requestsBefore,
      duplicates: stats().duplicatesCreated,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({ statuses: ['succeeded', 'succeeded'], upstreamRequests: 2, duplicates: 0, deadLetters: 0 });
  }, 60_000);

  it('GIVEN a 429 WHEN returning its lease fails twice THEN the cool-down is still recorded and the intent waits, not failed', async () => {
    // Outreach allows u3 one request and sends no rate-limit headers, so only a 429 can tell the gate.
    env.simulator?.configure({ budget: 1, rateLimitHeaders: false });
    try {
      const first = create('cooldown-1', 'cooldown-1@example.com', 'u3');
      const second = create('cooldown-2', 'cooldown-2@example.com', 'u3');
      await drive.send(first);
      await drive.drain('bulk');
      await drive.send(second);
      const messages = await drive.receive('bulk');
      releases.failures.release = 2;
      const response = await drive.invoke('bulk', messages);
      const gate = await dispatcher.gate.snapshot('u3');
      expect({
        waited: response.batchItemFailures.length,
        failuresLeft: releases.failures.release,
        coolingDown: (gate.cooldownUntil ?? 0) > Date.now(),
        status: (await result(second.id)).status,
        failureAttempts: (await result(second.id)).failureAttempts,
      }).toEqual({ waited: 1, failuresLeft: 0, coolingDown: true, status: 'in-progress', failureAttempts: 0 });
    } finally {
      releases.failures.release = 0;
      env.simulator?.configure({ budget: 10_000, rateLimitHeaders: true });
    }
  }, 60_000);

  it('GIVEN a bulk action whose connection resets after Outreach performed it WHEN the answer is lost THEN it is dead-lettered as ambiguous, never sent again', async () => {
    const intent = bulkAction('ambiguous-1', [2]);
    await drive.send(intent);
    const requestsBefore = stats().requests;
    env.simulator?.configure({ faults: { resetNext: 1, resetPhase: 'after' } });
    await drive.drain('bulk');
    const letters = await drive.deadLetters('bulk');
    expect({
      reasons: letters.map(reasonOf),
      errorKind: letters[0]?.MessageAttributes?.['outreach-gate.error-kind']?.StringValue,
      status: (await result(intent.id)).status,
      upstreamRequests: stats().requests - requestsBefore,
    }).toEqual({ reasons: ['ambiguous'], errorKind: 'reset', status: 'dead-lettered', upstreamRequests: 1 });
  }, 60_000);

  it('GIVEN a create whose connection resets after Outreach created it WHEN it is tried again THEN it is read back, not created twice', async () => {
    const intent = create('reset-create-1', 'reset-create-1@example.com');
    await drive.send(intent);
    env.simulator?.configure({ faults: { resetNext: 1, resetPhase: 'after' } });
    await drive.drain('bulk');
    const after = await result(intent.id);
    expect({
      status: after.status,
      failureAttempts: after.failureAttempts,
      // 200: the result is the prospect found by the read-back, not a second 201.
      resultStatus: after.result?.httpStatus,
      duplicates: stats().duplicatesCreated,
    }).toEqual({ status: 'succeeded', failureAttempts: 1, resultStatus: 200, duplicates: 0 });
  }, 60_000);

  it('GIVEN a recycled record WHEN its group has later records in the batch THEN they are not processed, and the copy keeps the message attributes', async () => {
    const recycling = localDispatcher(
      {
        ...env,
        dispatcherEnvironment: {
          ...env.dispatcherEnvironment,
          config: {
            ...env.dispatcherEnvironment.config,
            deferral: { ...env.dispatcherEnvironment.config.deferral, recycleAtReceiveCount: 1 },
          },
        },
      },
      {},
    );
    try {
      // Outreach told u2 to wait an hour: every u2 intent defers.
      const lease = await recycling.gate.acquire('u2', 'bulk');
      if (lease.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(lease)}`);
      await recycling.gate.release(lease, { status: 429, headers: { 'retry-after': '3600' } });
      const head = {
        ...create('order-a', 'order-a@example.com', 'u2'),
        orderingKey: 'customer-9',
        correlationId: 'c-9',
      };
      await drive.send(head);
      const [message] = await drive.receive('bulk', 1);
      if (message === undefined) throw new Error('the head of the group was not received');
      // SQS hands a consumer several messages of one group in one batch; the emulator one at a time, so the two
      // behind the head are built alongside it.
      const behind = ['order-b', 'order-c'].map((id, n) => ({
        ...toRecord(message, env.lanes.bulk.queueArn),
        messageId: `behind-${n}`,
        receiptHandle: `behind-${n}`,
        body: JSON.stringify({ v: 1, ...create(id, `${id}@example.com`, 'u2'), orderingKey: 'customer-9' }),
      }));
      const response = await recycling.handler(
        { Records: [toRecord(message, env.lanes.bulk.queueArn), ...behind] },
        HandDriver.context(),
      );
      // The event source mapping deletes the record not reported failed: the head, now recycled.
      await env.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: env.lanes.bulk.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      const [copy] = await drive.receive('bulk', 1);
      expect({
        failed: response?.batchItemFailures.map((f) => f.itemIdentifier),
        copyIsHead: copy?.Body === message.Body,
        copyAttributes: copy?.MessageAttributes?.correlationId?.StringValue,
        behindClaimed: await Promise.all(['order-b', 'order-c'].map(async (id) => (await result(id)).status)),
        headStatus: (await result('order-a')).status,
        upstreamRequests: recycling.metrics instanceof RecordingGateMetrics ? recycling.metrics.count('upstream') : -1,
      }).toEqual({
        failed: ['behind-0', 'behind-1'],
        copyIsHead: true,
        copyAttributes: 'c-9',
        behindClaimed: ['pending', 'pending'],
        // The gate had just told the dispatcher to wait an hour: the head was recycled before its record was claimed.
        headStatus: 'pending',
        upstreamRequests: 0,
      });
    } finally {
      recycling.close();
    }
  }, 60_000);
});
