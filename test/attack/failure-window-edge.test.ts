import type { GateConfig } from '../../lambdas/shared/config';
import { attackPipeline } from '../support/attack-harness';
import { HandDriver, reasonOf } from '../support/drive';
import { prospectCreate } from '../support/pipeline';

/**
 * The failure budget's two edges, attacked on the whole local pipeline with a 10 s failure window and a count of 2:
 * an outage that heals before the window ends dead-letters nothing, even while the same ids are re-sent; one that
 * outlasts it dead-letters each intent with its last error, and a redrive (twice) then performs each once.
 */
const WINDOW_SECONDS = 10;

const shortBackoff = (c: GateConfig): GateConfig => ({
  ...c,
  retries: { ...c.retries, backoffBaseMs: 50, backoffMaxMs: 400 },
});

describe('attack: the failure window, at and past its edge', () => {
  const attack = attackPipeline({
    users: ['u1'],
    lanes: { standard: { batchSize: 2, maxConcurrency: 4 } },
    config: shortBackoff,
    maxFailureAttempts: 2,
    failureWindowSeconds: WINDOW_SECONDS,
    circuitBreakerThreshold: 3,
    circuitBreakerOpenSeconds: 1,
  });

  const { created } = attack;

  it('GIVEN a 503 outage that heals before the failure window ends, with every id re-sent during it WHEN Outreach recovers THEN each intent succeeds once and none is dead-lettered', async () => {
    const { pipeline, sim } = attack;
    const driver = new HandDriver(pipeline.env, pipeline.dispatcher);
    const intents = Array.from({ length: 6 }, (_, n) => ({ ...prospectCreate(n, 'standard'), id: `edge-${n}` }));
    const createdBefore = created();
    sim.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    const outageStarted = Date.now();
    await pipeline.client.enqueueMany(intents);
    // A re-send of every id in the middle of the outage, as a producer retrying its own send would.
    await new Promise((resolve) => setTimeout(resolve, (WINDOW_SECONDS * 1000) / 2));
    for (const intent of intents) await driver.send(intent, { deduplicationId: `${intent.id}-again` });
    // Heal with 20% of the window to spare: every counted failure came after the outage started, so no intent's
    // window can have ended before Outreach answers again.
    const healAt = outageStarted + WINDOW_SECONDS * 800;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, healAt - Date.now())));
    sim.configure({ faults: { errorRate: 0 } });
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      120_000,
    );
    const stats = sim.stats().total;
    console.log(
      `edge: ${JSON.stringify({ refused: stats.byStatus['503'], statuses: results.map((r) => r.status), failures: results.map((r) => r.failureAttempts) })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      created: created() - createdBefore,
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
      sawTheOutage: (stats.byStatus['503'] ?? 0) > 0,
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      created: 6,
      duplicates: 0,
      deadLettered: 0,
      sawTheOutage: true,
    });
  }, 180_000);

  it('GIVEN a 503 outage that outlasts the failure window WHEN it persists THEN each intent is dead-lettered as attempts-exhausted with the last error, not held', async () => {
    const { pipeline, sim } = attack;
    const intents = [100, 101].map((n) => ({ ...prospectCreate(n, 'standard'), id: `past-${n}` }));
    sim.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    console.log(
      `past the window: ${JSON.stringify(results.map((r) => [r.status, r.deadLetterReason, r.failureAttempts]))}`,
    );
    expect(results.map((r) => ({ status: r.status, reason: r.deadLetterReason, lastError: r.lastError }))).toEqual(
      intents.map(() => ({
        status: 'dead-lettered',
        reason: 'attempts-exhausted',
        lastError: expect.objectContaining({ status: 503 }),
      })),
    );
  }, 180_000);

  it('GIVEN those dead letters WHEN every copy is redriven twice while the outage lasts and Outreach heals inside the fresh window THEN each intent is performed exactly once and not dead-lettered again', async () => {
    const { pipeline, sim } = attack;
    const driver = new HandDriver(pipeline.env, pipeline.dispatcher);
    const copies = (await driver.deadLetters('standard')).filter((m) => reasonOf(m) === 'attempts-exhausted');
    const createdBefore = created();
    const deadLetteredBefore = pipeline.metrics.count('deadLettered');
    const redrivenAt = Date.now();
    await driver.redrive('standard', copies, 'first');
    await driver.redrive('standard', copies, 'second');
    // The outage is still on: a redrive starts a fresh budget, so healing with 20% of that window to spare loses nothing.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, redrivenAt + WINDOW_SECONDS * 800 - Date.now())));
    sim.configure({ faults: { errorRate: 0 } });
    const ids = ['past-100', 'past-101'];
    const results = await pipeline.settle(ids, 120_000);
    // Give the second copies time to be received and settled too before counting creates.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const later = await driver.deadLetters('standard');
    console.log(
      `redriven during the outage: ${JSON.stringify({ statuses: results.map((r) => r.status), failures: results.map((r) => r.failureAttempts), laterDeadLetters: later.map(reasonOf) })}`,
    );
    expect({
      copies: copies.length,
      statuses: results.map((r) => r.status),
      created: created() - createdBefore,
      duplicates: sim.stats().total.duplicatesCreated,
      deadLetteredAgain: pipeline.metrics.count('deadLettered') - deadLetteredBefore,
    }).toEqual({ copies: 2, statuses: ['succeeded', 'succeeded'], created: 2, duplicates: 0, deadLetteredAgain: 0 });
  }, 180_000);
});
