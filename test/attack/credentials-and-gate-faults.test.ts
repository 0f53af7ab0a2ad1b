import { GateUnavailableError } from '../../lambdas/gate';
import { attackPipeline } from '../support/attack-harness';
import { GateFaults } from '../support/gate-faults';
import { prospectCreate } from '../support/pipeline';

/**
 * Two more healing faults on the whole local pipeline: a user whose refresh-token secret is not set when the
 * dispatcher starts and is set later, and a gate table that throttles admissions and lease returns. Neither may
 * lose, repeat or dead-letter an intent.
 */
const TIME_SCALE = 20;

describe('attack: a refresh token set late and a throttled gate table', () => {
  const gateFaults = new GateFaults(
    () => new GateUnavailableError('simulated ProvisionedThroughputExceededException', 10),
  );
  const attack = attackPipeline({
    users: ['u1', 'u2'],
    timeScale: TIME_SCALE,
    lanes: { standard: { batchSize: 2, maxConcurrency: 4 } },
    wrapDispatcher: { decorateGate: (gate) => gateFaults.wrap(gate) },
    // u2's secret exists but holds nothing yet, as after the first deploy.
    refreshTokenUsers: ['u1'],
    maxFailureAttempts: 2,
    dispatcherTimeoutSeconds: 6,
    upstreamTimeoutMs: 2000,
  });

  const { created } = attack;
  const intent = (n: number, user: string) => ({ ...prospectCreate(n, 'standard', user), id: `late-${user}-${n}` });

  it('GIVEN u2 has intents waiting because its refresh token is not set WHEN an operator sets it THEN each succeeds once and none is dead-lettered', async () => {
    const { pipeline, sim } = attack;
    const forU2 = [0, 1, 2].map((n) => intent(n, 'u2'));
    const forU1 = [3, 4].map((n) => intent(n, 'u1'));
    await pipeline.client.enqueueMany([...forU2, ...forU1]);
    const u1 = await pipeline.settle(
      forU1.map((i) => i.id),
      60_000,
    );
    const waiting = await pipeline.readResults(forU2.map((i) => i.id));
    await pipeline.setRefreshToken('u2', 'refresh-u2');
    const u2 = await pipeline.settle(
      forU2.map((i) => i.id),
      150_000,
    );
    console.log(
      `late secret: ${JSON.stringify({ waiting: waiting.map((r) => r.status), u2: u2.map((r) => r.status) })}`,
    );
    expect({
      u1: u1.map((r) => r.status),
      u2WaitedOpen: waiting.every((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered'),
      u2: u2.map((r) => r.status),
      created: created(),
      duplicates: sim.stats().total.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({
      u1: ['succeeded', 'succeeded'],
      u2WaitedOpen: true,
      u2: ['succeeded', 'succeeded', 'succeeded'],
      created: 5,
      duplicates: 0,
      deadLettered: 0,
    });
  }, 240_000);

  it('GIVEN the gate table throttles admissions and lease returns WHEN intents of both users flow THEN each succeeds once, none is dead-lettered and no failure is counted', async () => {
    const { pipeline, sim } = attack;
    const intents = [10, 11, 12, 13].flatMap((n) => [intent(n, 'u1'), intent(n + 50, 'u2')]);
    const createdBefore = created();
    gateFaults.failures.acquire = 6;
    gateFaults.failures.release = 6;
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    console.log(
      `throttled gate: ${JSON.stringify({ left: gateFaults.failures, statuses: results.map((r) => r.status), failures: results.map((r) => r.failureAttempts) })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      faultsUsed: gateFaults.failures,
      failuresCounted: results.reduce((sum, r) => sum + r.failureAttempts, 0),
      created: created() - createdBefore,
      duplicates: sim.stats().total.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      faultsUsed: { acquire: 0, release: 0 },
      failuresCounted: 0,
      created: 8,
      duplicates: 0,
      deadLettered: 0,
    });
  }, 240_000);
});
