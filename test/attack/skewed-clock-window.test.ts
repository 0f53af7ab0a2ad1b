import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { GateConfig } from '../../lambdas/shared/config';
import { intentKey, TABLE_KEYS } from '../../lambdas/shared/names';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { dynamoDbLocalClient } from '../../local/emulators/dynamodb';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import type { RunningSimulator } from '../../local/outreach-sim';
import { HandDriver } from '../support/drive';

/**
 * Two dispatchers whose clocks are 1.5 s apart (the skew `npm run chaos` injects as a fault that heals) share one
 * intent during a 503 outage that heals before the failure window has passed on the slower, correct clock. The
 * clocks are the test's own and the window is measured from the first failure the record holds, so the edge is
 * exact: nothing here depends on how fast the machine is (the clocks stand still during the second attempt). The
 * second failure comes 0.6 s before the window's end on the correct clock: 0.9 s past it on the fast one, inside the
 * gate's 1 s allowance for clock skew.
 */
const WINDOW_SECONDS = 10;
const SKEW_MS = 1500;
const BEFORE_END_MS = 600;

describe('attack: the failure window seen by a dispatcher whose clock runs ahead', () => {
  let env: LocalEnvironment;
  let honest: LocalDispatcher;
  let ahead: LocalDispatcher;
  let sim: RunningSimulator;
  /** How far the test has moved both clocks forward. */
  let shiftMs = 0;
  /** While set, both clocks stand still at it (the second attempt happens at one exact instant). */
  let frozenAt: number | undefined;
  const honestNow = () => frozenAt ?? Date.now() + shiftMs;

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      stopOnSignals: false,
      maxFailureAttempts: 2,
      failureWindowSeconds: WINDOW_SECONDS,
      simulator: { users: ['u1'] },
    });
    const config: GateConfig = env.dispatcherEnvironment.config;
    const dispatcherEnvironment = {
      ...env.dispatcherEnvironment,
      config: { ...config, retries: { ...config.retries, backoffBaseMs: 50, backoffMaxMs: 400 } },
    };
    const local = { ...env, dispatcherEnvironment };
    honest = localDispatcher(local, { clock: honestNow });
    ahead = localDispatcher(local, { clock: () => honestNow() + SKEW_MS });
    sim = env.simulator as RunningSimulator;
  }, 120_000);

  /** When the intent's record says its first counted failure happened, on the clock that counted it. */
  async function firstFailedAt(id: string): Promise<number> {
    const documents = DynamoDBDocumentClient.from(dynamoDbLocalClient(env.endpoints.dynamodb));
    try {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: env.tableName,
          Key: { [TABLE_KEYS.partitionKey]: intentKey(id) },
          ConsistentRead: true,
        }),
      );
      const at = Item?.firstFailedAt;
      if (typeof at !== 'number')
        throw new Error(`intent ${id} has no first failure recorded: ${JSON.stringify(Item)}`);
      return at;
    } finally {
      documents.destroy();
    }
  }

  afterAll(async () => {
    honest?.close();
    ahead?.close();
    await env?.stop();
  });

  it(`GIVEN a first failure on the correct clock WHEN the dispatcher ${SKEW_MS} ms ahead fails it again ${BEFORE_END_MS / 1000} s before the window ends and Outreach then heals THEN the intent is not dead-lettered`, async () => {
    const skewAllowedMs = env.dispatcherEnvironment.config.timing.clockSkewMs;
    const intent = {
      id: 'skew-edge-1',
      user: 'u1',
      lane: 'standard' as const,
      operation: { type: 'prospect.create' as const, attributes: { emails: ['skew-edge-1@example.com'] } },
    };
    sim.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    const byHonest = new HandDriver(env, honest);
    const byAhead = new HandDriver(env, ahead);
    await byHonest.send(intent);
    await byHonest.invoke('standard', await byHonest.receive('standard'), { revive: true });
    const firstFailureAt = await firstFailedAt(intent.id);
    const second = await byAhead.receive('standard');
    // Both clocks jump to 0.6 s before the window ends on the correct clock; the outage is still on.
    shiftMs += firstFailureAt + WINDOW_SECONDS * 1000 - BEFORE_END_MS - honestNow();
    const secondAttemptAt = honestNow();
    frozenAt = secondAttemptAt;
    try {
      await byAhead.invoke('standard', second, { revive: true });
    } finally {
      frozenAt = undefined;
    }
    sim.configure({ faults: { errorRate: 0 } });
    await byHonest.drain('standard', 10);
    const result = await localProducerClient(env).getResult(intent.id);
    console.log(
      `skew: ${JSON.stringify({ skewAllowedMs, skewMs: SKEW_MS, secondAttemptAfterMs: secondAttemptAt - firstFailureAt, status: result.status, reason: result.deadLetterReason, failureAttempts: result.failureAttempts })}`,
    );
    expect({ status: result.status, reason: result.deadLetterReason }).toEqual({
      status: 'succeeded',
      reason: undefined,
    });
  }, 120_000);
});
