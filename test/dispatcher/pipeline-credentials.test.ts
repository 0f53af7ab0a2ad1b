import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

/**
 * A user whose refresh-token secret was created empty (the first deploy, before an operator sets it) on the whole
 * local pipeline: its intents wait and it is reported; the other user is unaffected. Every secret read goes through
 * the IAM check against the synthesized stack's one statement on `<prefix>/*`.
 */
describe('dispatcher pipeline: a user whose refresh token is not set yet', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: ['u1', 'u2'],
      simulator: { users: ['u1', 'u2'] },
      wrapDispatcher: {
        credentials: { clientId: 'sim-client', clientSecret: 'sim-secret', refreshTokens: { u1: 'refresh-u1' } },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  /** Waits (bounded) until the dispatcher has reported `u2` as not set, then returns what it found. */
  async function untilReported(): Promise<number> {
    const deadline = Date.now() + 30_000;
    while (pipeline.metrics.count('credentialsPaused', 'u2:not-set') === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return pipeline.metrics.count('credentialsPaused', 'u2:not-set');
  }

  it('GIVEN intents for both users WHEN processed THEN u1 succeeds, u2 is reported as not-set and its intents wait instead of failing', async () => {
    const forU1 = [0, 1, 2].map((n) => prospectCreate(n, 'standard', 'u1'));
    const forU2 = [3, 4].map((n) => prospectCreate(n, 'standard', 'u2'));
    await pipeline.client.enqueueMany([...forU1, ...forU2]);

    const settled = await pipeline.settle(
      forU1.map((i) => i.id),
      60_000,
    );
    const reported = await untilReported();
    const waiting = await pipeline.readResults(forU2.map((i) => i.id));

    expect({
      u1: [...new Set(settled.map((r) => r.status))],
      reported: reported > 0,
      u2: waiting.map((r) => ({ status: r.status, failureAttempts: r.failureAttempts })),
      deadLettered: pipeline.metrics.count('deadLettered'),
      u2Mints: pipeline.metrics.count('tokenMinted', 'u2'),
    }).toEqual({
      u1: ['succeeded'],
      reported: true,
      u2: forU2.map(() => ({ status: expect.not.stringMatching(/succeeded|dead-lettered/), failureAttempts: 0 })),
      deadLettered: 0,
      u2Mints: 0,
    });
  }, 120_000);
});
