import { refreshTokenSecretName } from '../../lambdas/shared/config';
import type { SecretStore } from '../../lambdas/tokens/ports';
import { localSecretStore, simulatorCredentials } from '../../local/dispatcher';
import type { RunningSimulator } from '../../local/outreach-sim';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

/**
 * A revocation that lands while a user's intents are in flight, and a storm of header-less 429s longer than the
 * cool-down's escalation: each intent must still be performed exactly once, none dead-lettered, and work resume.
 * Outreach's clock runs 20× (token mint interval 3 s); the cool-down is 1 s, escalating to at most 4 s.
 */
const TIME_SCALE = 20;
const USERS = ['u1', 'u2'] as const;

/** A secret store whose backing store is chosen once the environment (and so the secret names) exists. */
class LateSecretStore implements SecretStore {
  inner: SecretStore | undefined;
  getSecretString(id: string): Promise<string | undefined> {
    return (this.inner as SecretStore).getSecretString(id);
  }
  putSecretString(id: string, value: string): Promise<void> {
    return (this.inner as SecretStore).putSecretString(id, value);
  }
}

/** Polls until `done` holds, or fails naming what it waited for. */
async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('attack: a revocation mid-flight and a storm of header-less 429s', () => {
  const secrets = new LateSecretStore();
  let pipeline: Pipeline;
  let sim: RunningSimulator;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: [...USERS],
      budgetWindowSeconds: 3600 / TIME_SCALE,
      maxFailureAttempts: 2,
      defaultCooldownSeconds: 1,
      maxEscalatedCooldownSeconds: 4,
      lanes: { bulk: { batchSize: 5, maxConcurrency: 4 } },
      simulator: { users: [...USERS], timeScale: 1 / TIME_SCALE },
      config: (c) => ({ ...c, outreach: { ...c.outreach, minMintIntervalMs: 60_000 / TIME_SCALE } }),
      wrapDispatcher: { secrets },
    });
    secrets.inner = localSecretStore(pipeline.env.dispatcherEnvironment, simulatorCredentials([...USERS]));
    sim = pipeline.env.simulator as RunningSimulator;
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  const created = () => sim.stats().total.byStatus['201'] ?? 0;

  it('GIVEN u1 intents are being performed WHEN u1 is revoked mid-flight and re-authorised 2 s later THEN each is performed exactly once and none is dead-lettered', async () => {
    sim.configure({ faults: { latencyMs: 150 } });
    const intents = Array.from({ length: 12 }, (_, n) => ({ ...prospectCreate(n, 'bulk', 'u1'), id: `flight-${n}` }));
    const createdBefore = created();
    await pipeline.client.enqueueMany(intents);
    await waitUntil('the first creates', () => created() - createdBefore >= 2, 60_000);
    sim.revokeUser('u1');
    const createdAtRevocation = created() - createdBefore;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const secretId = refreshTokenSecretName(pipeline.env.dispatcherEnvironment.refreshTokenSecretPrefix, 'u1');
    await secrets.putSecretString(secretId, sim.authorize('u1'));
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    sim.configure({ faults: { latencyMs: 0 } });
    const stats = sim.stats().total;
    console.log(
      `in-flight revocation: ${JSON.stringify({ createdAtRevocation, byStatus: stats.byStatus, oauth: stats.oauthByStatus })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      created: created() - createdBefore,
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({ statuses: intents.map(() => 'succeeded'), created: 12, duplicates: 0, deadLettered: 0 });
  }, 240_000);

  it('GIVEN Outreach answers the next 8 requests 429 without any header WHEN intents of both users arrive THEN every 429 is used up, work resumes and each intent succeeds once', async () => {
    const intents = Array.from({ length: 6 }, (_, n) => ({
      ...prospectCreate(100 + n, 'bulk', USERS[n % 2]),
      id: `storm-${n}`,
    }));
    const createdBefore = created();
    const before429 = sim.stats().total.status429;
    sim.configure({ faults: { bare429Next: 8 } });
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      180_000,
    );
    const stats = sim.stats().total;
    console.log(
      `429 storm: ${JSON.stringify({ status429: stats.status429 - before429, statuses: results.map((r) => r.status) })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      bare429sLeft: sim.stats().config.faults.bare429Next,
      created: created() - createdBefore,
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      bare429sLeft: 0,
      created: 6,
      duplicates: 0,
      deadLettered: 0,
    });
  }, 240_000);
});
