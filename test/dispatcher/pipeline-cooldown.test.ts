import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

describe('dispatcher pipeline: shared cool-down under penalty mode', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    // Outreach allows 20 requests per 20 s but sends no rate-limit headers, so the gate, configured for more,
    // meets a 429. Penalty mode punishes any request made during the cool-down by lengthening it.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      budgetPerWindow: 100,
      budgetWindowSeconds: 20,
      lanes: { bulk: { maxConcurrency: 6, batchSize: 1 } },
      simulator: {
        users: ['u1'],
        budget: 20,
        windowSeconds: 20,
        timeScale: 0.2,
        rateLimitHeaders: false,
        retryAfter: 'epoch',
        penalty: { enabled: true },
        faults: { latencyMs: 20 },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN a 429 with an epoch Retry-After WHEN the work needs two windows THEN nobody calls during the cool-down: announced cool-downs never grow, and all intents succeed', async () => {
    const intents = Array.from({ length: 35 }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      120_000,
    );
    const u1 = pipeline.env.simulator?.stats().users.u1;
    const waits = (u1?.cooldowns ?? []).map((c) => c.waitMs);
    process.stdout.write(`cool-down test: 429s ${u1?.status429}, announced waits ${waits.join(', ')} ms\n`);
    expect({
      succeeded: results.filter((r) => r.status === 'succeeded').length,
      firstCooldownAnnounced: waits.length >= 1,
      neverGrew: waits.every((w) => w <= (waits[0] ?? 0)),
      penaltyStrikes: u1?.penaltyStrikes ?? 0,
      duplicates: u1?.duplicatesCreated,
    }).toEqual({ succeeded: 35, firstCooldownAnnounced: true, neverGrew: true, penaltyStrikes: 0, duplicates: 0 });
  }, 150_000);
});
