/**
 * A chaos run: the local pipeline of `npm start` (DynamoDB Local, the SQS emulator, the Outreach simulator, the
 * event source mappings) with the dispatcher in child processes, a workload of intents, and every fault of
 * {@link FAULT_KINDS} injected at a seeded random time. When everything has settled it accounts for every intent:
 * succeeded, dead-lettered (by reason) or lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LANES } from '../../lambdas/shared/names';
import type { IntentInput, OutreachGateClient } from '../../lib/client';
import { localProducerClient, localSecretStore, simulatorCredentials } from '../dispatcher';
import { createLocalSqsClient } from '../emulators/sqs';
import { type LocalEnvironment, startLocalEnvironment } from '../environment';
import type { RunningSimulator } from '../outreach-sim';
import { compressGateConfig, drainDeadLetters, seedProspects } from '../run';
import { EventSourceMappingRunner } from '../runner/event-source-mapping';
import { OUTREACH_WINDOW_SECONDS, SEED_USER } from '../scenarios';
import { sleep } from '../sleep';
import { DispatcherWorkers } from './dispatcher-workers';
import type { ChaosContext, FaultRecord } from './injector';
import { INJECTORS } from './injectors';
import { ChaosMetrics } from './metrics';
import { CHAOS_PROFILES, type ChaosProfile } from './profiles';
import { FAULT_KINDS, faultSchedule } from './schedule';
import { type ChaosReport, tallyChaos } from './tally';
import { chaosWorkload, seededProspectsFor, type TimedIntent } from './workload';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  readonly mode: 'quick' | 'full';
  readonly seed: number;
  /** Told about each step in one plain line. @default - nothing */
  readonly log?: (line: string) => void;
  /** Replaces parts of the mode's profile (tests use smaller runs). @default - the mode's profile */
  readonly profile?: Partial<ChaosProfile>;
}

export { FAULT_KINDS };

/** Runs the pipeline under every fault and accounts for every intent. Everything started is stopped before it resolves. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const profile = { ...CHAOS_PROFILES[options.mode], ...options.profile };
  const log = options.log ?? (() => {});
  const { timeScale, users } = profile;
  const windowSeconds = OUTREACH_WINDOW_SECONDS / timeScale;
  const inFlightCap = 6;
  const dbPath = mkdtempSync(join(tmpdir(), 'outreach-gate-chaos-'));
  log(`seed ${options.seed}; Outreach runs ${timeScale}× real time (its faults and cool-downs are in simulated time)`);
  const env = await startLocalEnvironment({
    outreachUsers: [...users],
    budgetPerWindow: profile.budgetPerWindow,
    budgetWindowSeconds: windowSeconds,
    inFlightCap,
    dispatcherTimeoutSeconds: 6,
    upstreamTimeoutMs: 2000,
    lanes: {
      critical: { batchSize: 1, maxConcurrency: 2 },
      standard: { batchSize: 5, maxConcurrency: 2 },
      bulk: { batchSize: 10, maxConcurrency: 4 },
    },
    dynamodb: { dbPath, readyTimeoutMs: 60_000 },
    simulator: {
      users: [...users, SEED_USER],
      timeScale: 1 / timeScale,
      retryAfter: 'delta',
      concurrencyCap: inFlightCap,
      penalty: { enabled: true, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 },
    },
  });
  const pollSqs = createLocalSqsClient(env.endpoints.sqs);
  let workers: DispatcherWorkers | undefined;
  let runner: EventSourceMappingRunner | undefined;
  try {
    const simulator = env.simulator as RunningSimulator;
    const seeded = seededProspectsFor(profile.intents);
    await seedProspects(simulator, seeded);
    simulator.configure({ faults: { latencyMs: 20, latencyJitterMs: 20 } });
    const config = compressGateConfig(env.dispatcherEnvironment.config, timeScale);
    const dispatcherEnvironment = { ...env.dispatcherEnvironment, config };
    const secrets = localSecretStore(dispatcherEnvironment, simulatorCredentials(users));
    const metrics = new ChaosMetrics();
    workers = new DispatcherWorkers({
      count: 2,
      init: { dispatcherEnvironment, endpoints: { dynamodb: env.endpoints.dynamodb, sqs: env.endpoints.sqs } },
      secrets,
      metrics,
    });
    log('starting two dispatcher worker processes');
    await workers.start();
    let mappingErrors = 0;
    runner = new EventSourceMappingRunner({
      sqs: pollSqs,
      settings: env.settings,
      queues: env.lanes,
      handler: workers.handler,
      onError: () => {
        mappingErrors += 1;
      },
    });
    runner.start();

    const workload = chaosWorkload({ ...profile, seed: options.seed, seededProspects: seeded });
    const schedule = faultSchedule({
      seed: options.seed,
      fromMs: profile.faultsFromMs,
      toMs: profile.faultsToMs,
      simulatedMinuteMs: 60_000 / timeScale,
      bare429Burst: profile.bare429Burst,
    });
    const startedAt = Date.now();
    const context: ChaosContext = {
      env,
      simulator,
      workers,
      secrets,
      dispatcherEnvironment,
      users,
      startedAt,
      log: (line) => log(`${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  ${line}`),
    };
    log(
      `enqueueing ${workload.length} intents over ${profile.periodMs / 1000} s; faults: ${schedule.map((f) => `${f.kind} at ${(f.atMs / 1000).toFixed(1)} s`).join(', ')}`,
    );
    const faults = Promise.all(
      schedule.map(async (fault) => {
        await sleep(startedAt + fault.atMs - Date.now());
        return INJECTORS[fault.kind](context, fault);
      }),
    );
    const producer = localProducerClient(env);
    const enqueuedIds = await enqueueOnSchedule(producer, workload, startedAt, context.log);
    const records: FaultRecord[] = await faults;
    context.log(`every intent enqueued (${enqueuedIds.length}) and every fault healed; draining`);
    await drain(env, pollSqs, Date.now() + profile.drainMs, context.log);
    const wallMs = Date.now() - startedAt;

    await runner.stop();
    const deadLettered = await drainDeadLetters(pollSqs, env.lanes);
    const succeededIds = new Set<string>();
    const open = enqueuedIds.filter((id) => !deadLettered.has(id));
    for (let i = 0; i < open.length; i += 16) {
      const results = await Promise.all(open.slice(i, i + 16).map((id) => producer.getResult(id)));
      for (const result of results) if (result.status === 'succeeded') succeededIds.add(result.id);
    }
    const tally = tallyChaos({
      enqueuedIds,
      succeededIds,
      deadLettered,
      stats: simulator.stats(),
      users,
      longestCooldownWallMs: metrics.longestCooldownMs,
      timeScale,
    });
    context.log(
      `settled: ${tally.succeeded} succeeded, ${tally.deadLettered} dead-lettered, ${tally.lost} lost (${mappingErrors} mapping errors)`,
    );
    return {
      mode: options.mode,
      seed: options.seed,
      timeScale,
      startedAt: new Date(startedAt).toISOString(),
      wallMs,
      faults: records,
      tally,
      workerRestarts: workers.restarts,
    };
  } finally {
    await runner?.stop().catch(() => undefined);
    await workers?.stop().catch(() => undefined);
    pollSqs.destroy();
    await env.stop().catch(() => undefined);
    rmSync(dbPath, { recursive: true, force: true });
  }
}

/** Enqueues each intent at its time; ones the lanes refuse for a passing reason are retried until accepted. */
async function enqueueOnSchedule(
  producer: OutreachGateClient,
  workload: readonly TimedIntent[],
  startedAt: number,
  log: (line: string) => void,
): Promise<string[]> {
  const enqueued: string[] = [];
  let pending: IntentInput[] = [];
  let next = 0;
  let retries = 0;
  while (next < workload.length || pending.length > 0) {
    while (next < workload.length && startedAt + (workload[next] as TimedIntent).atMs <= Date.now()) {
      pending.push((workload[next] as TimedIntent).intent);
      next += 1;
    }
    if (pending.length > 0) {
      const { sent, failed } = await producer.enqueueMany(pending).catch((error: unknown) => ({
        sent: [],
        failed: pending.map((intent) => ({ id: intent.id, senderFault: false, message: String(error) })),
      }));
      enqueued.push(...sent.map((s) => s.id));
      const refused = failed.filter((f) => f.senderFault);
      if (refused.length > 0) log(`the lanes refused ${refused.length} intents: ${refused[0]?.message}`);
      const retry = new Set(failed.filter((f) => !f.senderFault).map((f) => f.id));
      if (retry.size > 0) retries += 1;
      pending = pending.filter((intent) => retry.has(intent.id));
    }
    await sleep(pending.length > 0 ? 500 : 100);
  }
  if (retries > 0) log(`enqueue retried ${retries} times while a fault lasted`);
  return enqueued;
}

/** Waits until every lane is empty (nothing visible, nothing in flight) twice in a row, or the deadline. */
async function drain(
  env: LocalEnvironment,
  sqs: ReturnType<typeof createLocalSqsClient>,
  deadline: number,
  log: (line: string) => void,
): Promise<void> {
  let emptyInARow = 0;
  let last: number[] = [];
  while (Date.now() < deadline) {
    const depths = await Promise.all(
      LANES.map(async (lane) => {
        const { Attributes: a = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: env.lanes[lane].queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
      }),
    );
    emptyInARow = depths.every((depth) => depth === 0) ? emptyInARow + 1 : 0;
    if (emptyInARow >= 2) return;
    last = depths;
    await sleep(1000);
  }
  log(
    `stopped waiting for the lanes to drain (${LANES.map((lane, i) => `${lane} ${last[i]}`).join(', ')} messages left): what is still open counts as lost`,
  );
}
