import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';
import { UpstreamTrace } from '../support/upstream-trace';

describe('dispatcher pipeline: shared cool-down under penalty mode', () => {
  let pipeline: Pipeline;
  const trace = new UpstreamTrace();

  beforeAll(async () => {
    // Outreach allows 5 requests per 10 s but sends no rate-limit headers, so the gate, configured for more, meets a
    // 429: its six dispatch loops exceed the budget in their first round however slow the machine. Penalty mode
    // punishes any request made during the cool-down by lengthening it.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      budgetPerWindow: 100,
      budgetWindowSeconds: 10,
      lanes: { bulk: { maxConcurrency: 6, batchSize: 1 } },
      simulator: {
        users: ['u1'],
        budget: 5,
        windowSeconds: 10,
        timeScale: 0.2,
        rateLimitHeaders: false,
        retryAfter: 'epoch',
        penalty: { enabled: true },
        faults: { latencyMs: 20 },
      },
      wrapDispatcher: { fetch: trace.fetch, decorateGate: trace.decorateGate },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN a 429 with an epoch Retry-After WHEN the work needs several windows THEN no request is sent once the gate has recorded the cool-down until it ends, and all intents succeed once', async () => {
    const intents = Array.from({ length: 20 }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      240_000,
    );
    const u1 = pipeline.env.simulator?.stats().users.u1;
    const announced = u1?.cooldowns ?? [];
    process.stdout.write(
      `cool-down test: 429s ${u1?.status429}, announced waits ${announced.map((c) => `${c.waitMs} (${c.reason})`).join(', ')} ms; requests arriving during a cool-down ${u1?.callsDuringCooldown}\n`,
    );
    expect({
      succeeded: results.filter((r) => r.status === 'succeeded').length,
      cooldownsRecorded: trace.events.some((e) => e.kind === 'cooldown-recorded'),
      sentDuringRecordedCooldowns: trace.sendsDuringRecordedCooldowns(announced),
      duplicates: u1?.duplicatesCreated,
    }).toEqual({ succeeded: 20, cooldownsRecorded: true, sentDuringRecordedCooldowns: [], duplicates: 0 });
  }, 300_000);
});
