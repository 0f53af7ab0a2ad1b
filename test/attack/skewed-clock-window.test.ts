import type { GateConfig } from '../../lambdas/shared/config';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import type { RunningSimulator } from '../../local/outreach-sim';
import { HandDriver } from '../support/drive';

/**
 * Two dispatchers whose clocks are 1.5 s apart (the skew `npm run chaos` injects as a fault that heals) share one
 * intent during a 503 outage that heals before the failure window has passed on the slower, correct clock. The
 * clocks are the test's own, so the window's edge is exact: nothing here depends on how fast the machine is.
 */
const WINDOW_SECONDS = 10;
const SKEW_MS = 1500;

describe('attack: the failure window seen by a dispatcher whose clock runs ahead', () => {
  let env: LocalEnvironment;
  let honest: LocalDispatcher;
  let ahead: LocalDispatcher;
  let sim: RunningSimulator;
  /** How far the test has moved both clocks forward. */
  let shiftMs = 0;
  const honestNow = () => Date.now() + shiftMs;

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

  afterAll(async () => {
    honest?.close();
    ahead?.close();
    await env?.stop();
  });

  it(`GIVEN a first failure on the correct clock WHEN the dispatcher ${SKEW_MS} ms ahead fails it again 0.4 s before the window ends and Outreach then heals THEN the intent is not dead-lettered`, async () => {
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
    const firstFailureAt = honestNow();
    await byHonest.invoke('standard', await byHonest.receive('standard'), { revive: true });
    // Both clocks jump to 0.4 s before the window ends on the correct clock; the outage is still on.
    shiftMs += firstFailureAt + WINDOW_SECONDS * 1000 - 400 - honestNow();
    const secondAttemptAt = honestNow();
    await byAhead.invoke('standard', await byAhead.receive('standard'), { revive: true });
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
