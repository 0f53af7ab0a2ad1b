import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTarget, readLocalRun } from '../../cli/local-target';
import { buildProgram } from '../../cli/program';
import { readStatus } from '../../cli/status';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import type { OutreachGateClient } from '../../lib/client';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { publishLocalRun } from '../../local/local-run-file';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';
import { prospectCreate } from '../support/pipeline';

const INTENTS = 100;
/** Requests per window for u1, at the gate and at the simulator alike: less than the redrive needs at once. */
const BUDGET = 60;
const WINDOW_SECONDS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outreach-gate dlq redrive --rate auto --local, end to end with the simulator', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'outreach-gate-redrive-'));
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;
  let runner: EventSourceMappingRunner;
  let client: OutreachGateClient;
  const ids = Array.from({ length: INTENTS }, (_, n) => prospectCreate(n + 1, 'bulk').id);
  let deadLettered: IntentResult[] = [];
  let final: IntentResult[] = [];
  /** Each redrive run: what it moved and the budget the gate had left for u1 just before it. */
  const rounds: { moved: number; remainingBefore: number }[] = [];
  let status429DuringRedrive = -1;

  /** Polls every intent's result until `done` holds for all of them or the time is up. */
  async function resultsWhen(done: (result: IntentResult) => boolean, timeoutMs: number): Promise<IntentResult[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const results = await Promise.all(ids.map((id) => client.getResult(id)));
      if (results.every(done) || Date.now() > deadline) return results;
      await sleep(500);
    }
  }

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      budgetPerWindow: BUDGET,
      budgetWindowSeconds: WINDOW_SECONDS,
      stopOnSignals: false,
    });
    // One failed attempt dead-letters an intent at once (no failure window), and failures never open the circuit:
    // the fault fills the dead-letter queue fast.
    const config = {
      ...env.dispatcherEnvironment.config,
      retries: { ...env.dispatcherEnvironment.config.retries, maxFailureAttempts: 1, failureWindowMs: 0 },
      circuitBreaker: { ...env.dispatcherEnvironment.config.circuitBreaker, failureThreshold: 10_000 },
    };
    dispatcher = localDispatcher({ ...env, dispatcherEnvironment: { ...env.dispatcherEnvironment, config } });
    runner = new EventSourceMappingRunner({
      sqs: publishLocalRun(env, reportDir, dispatcher.sqs),
      settings: env.settings,
      queues: env.lanes,
      handler: dispatcher.handler,
      onError: () => {},
    });
    client = localProducerClient(env);
    runner.start();

    // GIVEN 100 creates dead-lettered by a fault: Outreach answers every request with a 500.
    env.simulator?.configure({ faults: { errorRate: 1, errorRateStatus: 500 } });
    await client.enqueueMany(ids.map((_, n) => prospectCreate(n + 1, 'bulk')));
    // Each failed attempt spends budget (60 per 10 s), so a loaded machine can need minutes to fail all 100.
    deadLettered = await resultsWhen((result) => result.status === 'dead-lettered', 240_000);
    env.simulator?.configure({ faults: { errorRate: 0 } });
    const before429 = env.simulator?.stats().users.u1?.status429 ?? 0;

    // WHEN on-call redrives at --rate auto, through the CLI against the local run, again after each reset.
    const target = localTarget(readLocalRun(reportDir));
    try {
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        const remainingBefore = (await readStatus(target)).users.find((u) => u.user === 'u1')?.budget.remaining ?? -1;
        const out: string[] = [];
        const program = buildProgram({ out: (text) => out.push(text), err: () => undefined });
        await program.exitOverride().parseAsync(['--local', reportDir, 'dlq', 'redrive', '--rate', 'auto'], {
          from: 'user',
        });
        const moved = Number(/^moved (\d+)/.exec(out.join(''))?.[1] ?? Number.NaN);
        rounds.push({ moved, remainingBefore });
        final = await resultsWhen((result) => result.status !== 'in-progress', 30_000);
        if (final.every((result) => result.status === 'succeeded')) break;
        await sleep(1_000);
      }
    } finally {
      target.close();
    }
    status429DuringRedrive = (env.simulator?.stats().users.u1?.status429 ?? 0) - before429;
    process.stdout.write(
      `redrive: ${rounds.map((r) => `moved ${r.moved} with ${r.remainingBefore} left`).join('; ')}\n`,
    );
  }, 540_000);

  afterAll(async () => {
    await runner?.stop();
    dispatcher?.close();
    await env?.stop();
    rmSync(reportDir, { recursive: true, force: true });
  }, 60_000);

  it('GIVEN a fault on every request THEN all 100 intents were dead-lettered first', () => {
    expect(deadLettered.filter((result) => result.status === 'dead-lettered')).toHaveLength(INTENTS);
  });

  it('WHEN redriven at auto THEN all 100 succeed and Outreach created none of them twice', () => {
    expect({
      succeeded: final.filter((result) => result.status === 'succeeded').length,
      createdTwice: env.simulator?.stats().users.u1?.duplicatesCreated,
    }).toEqual({ succeeded: INTENTS, createdTwice: 0 });
  });

  it('WHEN redriven at auto THEN no run moved more than the budget left, and Outreach never refused for budget', () => {
    expect({
      overBudget: rounds.filter((round) => !(round.moved <= round.remainingBefore)),
      movedInAll: rounds.reduce((sum, round) => sum + round.moved, 0),
      status429DuringRedrive,
    }).toEqual({ overBudget: [], movedInAll: INTENTS, status429DuringRedrive: 0 });
  });
});
