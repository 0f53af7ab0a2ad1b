import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

describe('dispatcher pipeline: in-flight cap', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    // 20 dispatch loops (10 standard + 10 bulk) share one user whose cap is 4.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      inFlightCap: 4,
      criticalLeaseShare: 0.25,
      lanes: { standard: { maxConcurrency: 10, batchSize: 1 }, bulk: { maxConcurrency: 10, batchSize: 1 } },
      simulator: { users: ['u1'], faults: { latencyMs: 40, latencyJitterMs: 20 } },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN 20 concurrent dispatch loops WHEN 60 intents are processed THEN Outreach never sees more than the cap in flight, and every intent succeeds once', async () => {
    const intents = Array.from({ length: 60 }, (_, n) => prospectCreate(n, n % 2 === 0 ? 'bulk' : 'standard'));
    const sent = await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      240_000,
    );
    const stats = pipeline.env.simulator?.stats();
    const peak = stats?.users.u1?.peakInFlight ?? Number.POSITIVE_INFINITY;
    process.stdout.write(
      `cap test: peak in flight ${peak}, upstream calls ${stats?.users.u1?.requests}, deferrals ${pipeline.metrics.count('deferral')} (${[...pipeline.metrics.counts].filter(([k]) => k.startsWith('deferral:')).join(' ')}), DynamoDB requests ${pipeline.dispatcher.dynamodbRequests()}\n`,
    );
    expect({
      sent: sent.sent.length,
      succeeded: results.filter((r) => r.status === 'succeeded').length,
      peakWithinCap: peak <= 4,
      duplicates: stats?.total.duplicatesCreated,
      loopsRanConcurrently: pipeline.runner.counters().total.peakConcurrency > 4,
    }).toEqual({
      sent: 60,
      succeeded: 60,
      peakWithinCap: true,
      duplicates: 0,
      loopsRanConcurrently: true,
    });
  }, 300_000);
});
