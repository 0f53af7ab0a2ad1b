import { GateUnavailableError } from '../../lambdas/gate';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { HandDriver } from '../support/drive';
import { GateFaults } from '../support/gate-faults';

describe('a gate table that throttles or does not answer', () => {
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;
  let drive: HandDriver;
  const outage = new GateFaults(() => new GateUnavailableError('simulated ProvisionedThroughputExceededException', 10));
  const metrics = new RecordingGateMetrics();

  beforeAll(async () => {
    env = await startLocalEnvironment({ outreachUsers: ['u1'], stopOnSignals: false, simulator: { users: ['u1'] } });
    dispatcher = localDispatcher(env, { metrics, decorateGate: (gate) => outage.wrap(gate) });
    drive = new HandDriver(env, dispatcher);
  }, 60_000);

  afterAll(async () => {
    dispatcher?.close();
    await env?.stop();
  });

  it('GIVEN the gate table is unavailable for more admissions than an intent may fail WHEN the intent is dispatched THEN it waits and then succeeds, with no failed attempt counted', async () => {
    const maxFailureAttempts = env.dispatcherEnvironment.config.retries.maxFailureAttempts;
    outage.failures.acquire = maxFailureAttempts + 2;
    const intent = {
      id: 'gate-outage-1',
      user: 'u1',
      lane: 'standard' as const,
      operation: { type: 'prospect.create' as const, attributes: { emails: ['gate-outage-1@example.com'] } },
    };
    await drive.send(intent);
    await drive.drain('standard', maxFailureAttempts + 6);
    const result = await localProducerClient(env).getResult(intent.id);
    expect({
      status: result.status,
      failureAttempts: result.failureAttempts,
      outagesLeft: outage.failures.acquire,
      waitsForTheGate: metrics.count('deferral', 'gate-unavailable'),
      deadLetters: (await drive.deadLetters('standard')).length,
      duplicates: env.simulator?.stats().total.duplicatesCreated,
    }).toEqual({
      status: 'succeeded',
      failureAttempts: 0,
      outagesLeft: 0,
      waitsForTheGate: maxFailureAttempts + 2,
      deadLetters: 0,
      duplicates: 0,
    });
  }, 90_000);
});
