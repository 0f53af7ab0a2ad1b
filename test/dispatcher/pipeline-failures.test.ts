import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

describe('dispatcher pipeline: upstream failures', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      maxFailureAttempts: 10,
      circuitBreakerOpenSeconds: 1,
      lanes: { bulk: { maxConcurrency: 4, batchSize: 1 } },
      simulator: { users: ['u1'] },
      config: (c) => ({ ...c, retries: { ...c.retries, backoffBaseMs: 100, backoffMaxMs: 1000 } }),
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN a burst of 503s WHEN 20 intents are processed THEN all are delivered once and none is dead-lettered', async () => {
    pipeline.env.simulator?.configure({ faults: { errorBurst: { status: 503, count: 6 } } });
    const intents = Array.from({ length: 20 }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      60_000,
    );
    const stats = pipeline.env.simulator?.stats();
    expect({
      statuses: [...new Set(results.map((r) => r.status))],
      burstHappened: stats?.total.byStatus['503'],
      duplicates: stats?.total.duplicatesCreated,
      failuresCounted: results.reduce((sum, r) => sum + r.failureAttempts, 0),
    }).toEqual({ statuses: ['succeeded'], burstHappened: 6, duplicates: 0, failuresCounted: 6 });
  }, 90_000);

  it('GIVEN an enrolment Outreach refuses with 422 THEN it is dead-lettered after exactly one call, with the reason', async () => {
    const before = pipeline.env.simulator?.stats().total.byStatus['422'] ?? 0;
    await pipeline.client.enqueue({
      id: 'enrol-missing-mailbox',
      user: 'u1',
      lane: 'critical',
      operation: { type: 'sequenceState.create', prospectId: 1, sequenceId: 1, mailboxId: 999 },
    });
    const [result] = await pipeline.settle(['enrol-missing-mailbox'], 30_000);
    const { Messages } = await pipeline.env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.env.lanes.critical.deadLetterQueueUrl,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    const attributes = Messages?.[0]?.MessageAttributes ?? {};
    expect({
      status: result?.status,
      reason: result?.deadLetterReason,
      calls: (pipeline.env.simulator?.stats().total.byStatus['422'] ?? 0) - before,
      dlqReason: attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
      dlqOutreachError: attributes[DEAD_LETTER_ATTRIBUTES.outreachErrorId]?.StringValue,
    }).toEqual({
      status: 'dead-lettered',
      reason: 'rejected',
      calls: 1,
      dlqReason: 'rejected',
      dlqOutreachError: 'validationError',
    });
  }, 60_000);
});
