import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

describe('dispatcher pipeline: the critical reserve', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    // Outreach allows 40 requests per 1,800 s window; up to a quarter of each window is kept for critical work. The
    // reserve decays with critical's rate: after one request it holds all 10 for the window's first fifth (360 s),
    // longer than this test runs however slow the machine.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      budgetPerWindow: 40,
      budgetWindowSeconds: 1800,
      criticalBudgetShare: 0.25,
      lanes: { bulk: { maxConcurrency: 4, batchSize: 1 } },
      simulator: { users: ['u1'], budget: 40, windowSeconds: 1800 },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  const enrolment = (n: number) => ({
    id: `enrol-${n}`,
    user: 'u1',
    lane: 'critical' as const,
    operation: { type: 'sequenceState.create' as const, prospectId: n + 1, sequenceId: 1, mailboxId: 1 },
  });

  it('GIVEN critical work early in the window and bulk that has spent its share WHEN more critical enrolments arrive THEN they go through in the same window, without a 429', async () => {
    // Critical's first request opens the window: at its rate the whole reserve (10) is held for a while.
    const opening = prospectCreate(100, 'critical');
    await pipeline.client.enqueueMany([opening]);
    const [first] = await pipeline.settle([opening.id], 30_000);
    const bulk = Array.from({ length: 45 }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(bulk);
    // Wait until bulk stops at its share: 40 − 10 reserved − 1 spent by critical = 29 requests (a loaded machine
    // takes more than a minute to make them).
    const deadline = Date.now() + 150_000;
    let bulkDone = 0;
    while (Date.now() < deadline) {
      bulkDone = (await pipeline.readResults(bulk.map((i) => i.id))).filter((r) => r.status === 'succeeded').length;
      if (bulkDone >= 29) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const windowEndsAt = pipeline.env.simulator?.stats().users.u1?.budget.resetAtMs ?? 0;
    const critical = Array.from({ length: 5 }, (_, n) => enrolment(n));
    await pipeline.client.enqueueMany(critical);
    const criticalResults = await pipeline.settle(
      critical.map((i) => i.id),
      60_000,
    );
    const settledAt = Date.now();
    const bulkDuringCritical = (await pipeline.readResults(bulk.map((i) => i.id))).filter(
      (r) => r.status === 'succeeded',
    ).length;
    expect({
      first: first?.status,
      bulkStoppedAtItsShare: bulkDone,
      bulkStillHeldBack: bulkDuringCritical <= 29 || settledAt >= windowEndsAt,
      critical: criticalResults.map((r) => r.status),
      settledBeforeTheWindowEnded: settledAt < windowEndsAt,
      status429: pipeline.env.simulator?.stats().users.u1?.status429,
    }).toEqual({
      first: 'succeeded',
      bulkStoppedAtItsShare: 29,
      bulkStillHeldBack: true,
      critical: ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'],
      settledBeforeTheWindowEnded: true,
      status429: 0,
    });
  }, 300_000);
});
