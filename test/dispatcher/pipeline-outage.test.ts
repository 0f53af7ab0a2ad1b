import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbIntentStore } from '../../lambdas/adapters/dynamodb-intent-store';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';
import type { GateConfig } from '../../lambdas/shared/config';
import { localDispatcher } from '../../local/dispatcher';
import { HandDriver } from '../support/drive';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

/** Short backoffs, so that an outage of a few seconds is many times what the failure count alone allows. */
const shortBackoff = (c: GateConfig): GateConfig => ({
  ...c,
  retries: { ...c.retries, backoffBaseMs: 50, backoffMaxMs: 400 },
});

/** Polls until `done` holds, or fails naming what it waited for. */
async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const status503 = (pipeline: Pipeline) => pipeline.env.simulator?.stats().total.byStatus['503'] ?? 0;

describe('the failure budget in count and time, against the Outreach simulator', () => {
  const maxFailureAttempts = 2;
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      maxFailureAttempts,
      failureWindowSeconds: 600,
      circuitBreakerThreshold: 3,
      circuitBreakerOpenSeconds: 1,
      lanes: { bulk: { maxConcurrency: 4, batchSize: 1 } },
      simulator: { users: ['u1'] },
      config: shortBackoff,
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN every request fails with 503 for many times the attempts the count allows WHEN Outreach recovers THEN every intent succeeds once, none is dead-lettered, and only attempts that reached Outreach were counted', async () => {
    const intents = Array.from({ length: 12 }, (_, n) => prospectCreate(n));
    // The outage lasts until Outreach has refused 8 × maxFailureAttempts requests: the circuit opens and closes
    // again several times, each time letting one probe through.
    const outageFailures = 8 * maxFailureAttempts;
    pipeline.env.simulator?.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    const outageStarted = Date.now();
    await pipeline.client.enqueueMany(intents);
    await waitUntil(`${outageFailures} answers of 503`, () => status503(pipeline) >= outageFailures, 120_000);
    pipeline.env.simulator?.configure({ faults: { errorRate: 0 } });
    const outageMs = Date.now() - outageStarted;
    const refused = status503(pipeline);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      90_000,
    );
    const stats = pipeline.env.simulator?.stats().total;
    const { Messages } = await pipeline.env.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.env.lanes.bulk.deadLetterQueueUrl, WaitTimeSeconds: 1 }),
    );
    const outcome = {
      intents: intents.length,
      succeeded: results.filter((r) => r.status === 'succeeded').length,
      deadLettered: (Messages ?? []).length + pipeline.metrics.count('deadLettered'),
      created: stats?.byStatus['201'],
      duplicates: stats?.duplicatesCreated,
      // Every 503 counted once against the intent whose request it answered, and nothing else counted.
      failuresCounted: results.reduce((sum, r) => sum + r.failureAttempts, 0),
      waitedOnTheCircuit: pipeline.metrics.count('deferral', 'circuit') > 0,
    };
    console.log(`outage: ${JSON.stringify({ ...outcome, outageMs, refused })}`);
    expect(outcome).toEqual({
      intents: 12,
      succeeded: 12,
      deadLettered: 0,
      created: 12,
      duplicates: 0,
      failuresCounted: refused,
      waitedOnTheCircuit: true,
    });
  }, 240_000);

  const windowSeconds = 2;

  it('GIVEN Outreach answers 503 to everything WHEN the window has passed and the count is spent THEN the intent is dead-lettered as attempts-exhausted with the last error, no sooner than the window', async () => {
    // From here the lane is driven by hand, by a dispatcher whose failure window is 2 s.
    await pipeline.runner.stop();
    const { env } = pipeline;
    const config = env.dispatcherEnvironment.config;
    const dispatcher = localDispatcher({
      ...env,
      dispatcherEnvironment: {
        ...env.dispatcherEnvironment,
        config: shortBackoff({ ...config, retries: { ...config.retries, failureWindowMs: windowSeconds * 1000 } }),
      },
    });
    pipeline.env.simulator?.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    const intent = prospectCreate(100, 'standard');
    await pipeline.client.enqueue(intent);
    try {
      await new HandDriver(env, dispatcher).drain('standard', 100);
    } finally {
      dispatcher.close();
    }
    const result = await pipeline.client.getResult(intent.id);
    const documents = DynamoDBDocumentClient.from(pipeline.env.clients.dynamodb);
    const record = await new DynamoDbIntentStore(documents, {
      tableName: pipeline.env.tableName,
      recordTtlSeconds: 3600,
    }).get(intent.id);
    const { Messages } = await pipeline.env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.env.lanes.standard.deadLetterQueueUrl,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    const attributes = Messages?.[0]?.MessageAttributes ?? {};
    const firstFailedAt = record?.firstFailedAt ?? Number.POSITIVE_INFINITY;
    console.log(
      `window: ${JSON.stringify({ failureAttempts: result?.failureAttempts, failingForMs: (record?.updatedAt ?? 0) - firstFailedAt })}`,
    );
    expect({
      status: result?.status,
      reason: result?.deadLetterReason,
      lastError: result?.lastError,
      countSpent: (result?.failureAttempts ?? 0) >= 2,
      windowSpent: (record?.updatedAt ?? 0) - firstFailedAt >= windowSeconds * 1000,
      dlqReason: attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
      dlqStatus: attributes[DEAD_LETTER_ATTRIBUTES.status]?.StringValue,
    }).toEqual({
      status: 'dead-lettered',
      reason: 'attempts-exhausted',
      lastError: expect.objectContaining({ kind: 'http', status: 503 }),
      countSpent: true,
      windowSpent: true,
      dlqReason: 'attempts-exhausted',
      dlqStatus: '503',
    });
  }, 120_000);
});
