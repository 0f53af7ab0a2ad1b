/**
 * One whole local run: the emulators and the Outreach simulator (or an Outreach you name), the real dispatcher fed
 * the way Lambda's event source mappings feed it, producers enqueueing a scenario's workload on schedule through
 * the producer client, a sample of everything every quarter second, and at the end what happened to every intent,
 * measured rather than assumed: each one is found succeeded or in a dead-letter queue, or it counts as lost.
 */

import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../lambdas/adapters/sqs-lane-queues';
import { minParkMs } from '../lambdas/dispatcher/coalesce-rules';
import type { GateConfig, LaneEndpoints } from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';
import type { IntentInput, OutreachGateClient } from '../lib/client';
import {
  checkedProducerClient,
  type LocalCredentials,
  type LocalDispatcher,
  localDispatcher,
  simulatorCredentials,
} from './dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from './environment';
import { type LocalIamCheck, localIamCheck } from './iam/local-check';
import { demandOf, idealClearanceMs } from './ideal';
import { mapLimit } from './map-limit';
import type { RunningSimulator, SimulatorConfigPatch, SimulatorStats, UserStats } from './outreach-sim';
import { processTreeRssBytes } from './process-tree';
import { RecordingCompletionEvents } from './recording-completion-events';
import { RecordingGateMetrics } from './recording-metrics';
import { type RunObservations, type RunSeries, writeReport } from './report';
import type { IamCounts, TimeoutCounts } from './report/types';
import { deployedMappingSettings } from './runner/deployed-settings';
import { EventSourceMappingRunner, type MappingCounters } from './runner/event-source-mapping';
import { type RunPump, startRunPump } from './runner/run-pump';
import {
  gateSettingsInput,
  meanLatencyMs,
  type Scenario,
  type ScheduledIntent,
  SEED_USER,
  seedProspectEmail,
  simulatorOptions,
} from './scenarios';
import { sleep } from './sleep';

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Write `report.json` and `report.html` here. @default - no report is written */
  readonly reportDir?: string;
  /**
   * Longest wall-clock time to wait, from the first enqueue, for every intent to settle; what is still open then
   * counts as lost. @default - three times the ideal clearance in wall time, plus a minute
   */
  readonly durationSeconds?: number;
  /**
   * An Outreach-compatible endpoint to use instead of the simulator, with the credentials to reach it. When it
   * serves the simulator's `/__sim/stats`, those are used for the upstream figures.
   */
  readonly outreach?: { readonly url: string; readonly credentials: LocalCredentials };
  /** Told about the run every sample (for a live view). */
  readonly onProgress?: (progress: RunProgress) => void;
  /** Told about each step of the run in one plain line. @default - nothing */
  readonly log?: (line: string) => void;
  /** Abort to stop the run early: everything started is stopped, then {@link RunAbortedError} is thrown. */
  readonly signal?: AbortSignal;
  /** Wall ms between samples. @default 250 */
  readonly sampleIntervalMs?: number;
  /** Epoch ms the whole program was launched, for the ready and first-settled figures. @default - now */
  readonly launchedAt?: number;
}

/** One lane's progress. */
export interface LaneProgress {
  /** Intents of the workload on this lane. */
  readonly planned: number;
  readonly enqueued: number;
  /** Succeeded or dead-lettered, as the dispatcher reported. */
  readonly settled: number;
  /** Messages waiting to be received. */
  readonly visible: number;
  /** Messages received and not yet deleted (being handled, or hidden while deferred). */
  readonly inFlight: number;
}

/** One user's state as Outreach sees it (or, without simulator stats, as the gate last saw it). */
export interface UserProgress {
  readonly inFlight: number;
  readonly remaining: number | null;
  /** Simulated ms of cool-down left. */
  readonly cooldownMs: number;
  readonly status429: number;
}

/** A snapshot of the run for a live view. */
export interface RunProgress {
  readonly scenario: string;
  /** Wall ms since the first enqueue. */
  readonly wallMs: number;
  readonly simulatedMs: number;
  readonly inFlightCap: number;
  readonly lanes: Readonly<Record<Lane, LaneProgress>>;
  readonly users: Readonly<Record<string, UserProgress>>;
  readonly deferrals: number;
  readonly deadLettered: number;
  readonly upstreamCalls: number;
  readonly status429: number;
}

/** Figures about the run itself rather than the gate. */
export interface RunFigures {
  /** Wall ms from launch until the emulators, the seed data and the dispatcher were ready. */
  readonly readyMs: number;
  /** Wall ms from launch until the first intent settled, or null when none did. */
  readonly firstSettledMs: number | null;
  /** Wall ms of the whole run, launch to everything stopped. */
  readonly wallMs: number;
  /** Highest resident memory of this process and its children (the emulators), in bytes. */
  readonly peakRssBytes: number;
  /** Most 429s one user got within one window of the run. */
  readonly max429PerUserWindow: number;
  /** 429s per user per window of the run (windows counted from the first enqueue). */
  readonly status429ByUserWindow: Readonly<Record<string, number[]>>;
  /** Calls Outreach saw while a 429's cool-down was in force (see {@link callsDuringCooldown}); null without its stats. */
  readonly callsDuringCooldown: number | null;
  /** Intents the lanes refused (never enqueued). */
  readonly enqueueFailures: number;
  /** Intents still open when the wait ended (counted as lost). */
  readonly unsettledAtDeadline: number;
  /** Deferrals by reason. */
  readonly deferrals: Readonly<Record<string, number>>;
  /** Event source mapping errors (handler errors and failed SQS calls). */
  readonly mappingErrors: number;
  /** Dispatcher invocations and the records they were handed (batches of one group's messages are smaller locally). */
  readonly invocations: { readonly count: number; readonly records: number; readonly peakConcurrency: number };
  /** Invocations abandoned at the function timeout, and batches throttled at its reserved concurrency. */
  readonly timeouts: TimeoutCounts;
  /** Calls checked against the synthesized stack's IAM policies, and denials. */
  readonly iam: IamCounts;
  /** Completion events published, by detail-type ("Intent Succeeded", "Intent Dead-lettered"). */
  readonly completionEvents: Readonly<Record<string, number>>;
}

/**
 * What became of one intent of the workload, as the scorecard reads it: its producer, lane and operation, when it
 * was due and when it settled (its completion event), in wall ms.
 */
export interface IntentSettlement {
  readonly id: string;
  readonly producer: string;
  readonly lane: Lane;
  /** The operation's type (`sequenceState.create`, `prospect.update`…). */
  readonly operation: string;
  /** Wall ms its producer was due to enqueue it. */
  readonly dueAt: number;
  /** Wall ms it settled (its completion event was published), or null when that was not seen. */
  readonly settledAt: number | null;
  /** `open`: neither succeeded nor dead-lettered (lost, or never enqueued). */
  readonly status: 'open' | 'succeeded' | 'failed';
}

/** What {@link runScenario} resolves to. */
export interface RunResult {
  readonly observations: RunObservations;
  /** Every intent of the workload, in workload order, with its producer and when it settled. */
  readonly settlements: readonly IntentSettlement[];
  /** Epoch ms of the first enqueue (simulated time 0). */
  readonly startedAtMs: number;
  /** Epoch ms the run stopped waiting for intents to settle. */
  readonly endedAtMs: number;
  /** 0 when every invariant holds, else 1. */
  readonly exitCode: number;
  readonly figures: RunFigures;
  /** Where the report was written, when a report directory was given. */
  readonly report?: { readonly jsonPath: string; readonly htmlPath: string };
}

/** Raised when the run was stopped through its abort signal, after everything it started was stopped. */
export class RunAbortedError extends Error {
  override readonly name = 'RunAbortedError';
  constructor() {
    super('the run was stopped before it finished; everything it started has been stopped');
  }
}

/** Raised when a run cannot be prepared (seed data, options); the message says what failed. */
export class RunSetupError extends Error {
  override readonly name = 'RunSetupError';
}

/**
 * The gate's runtime configuration with the durations that follow Outreach's clock compressed like the window:
 * the token mint interval, the cool-down (default, escalation cap, quiet window), the circuit breaker's open time, the
 * failure backoff and window. Leases,
 * request timeouts and in-process waits are about this machine's time and stay as they are. Pure.
 */
export function compressGateConfig(config: GateConfig, timeScale: number): GateConfig {
  const scaled = (ms: number) => Math.max(1, Math.round(ms / timeScale));
  return {
    ...config,
    outreach: { ...config.outreach, minMintIntervalMs: scaled(config.outreach.minMintIntervalMs) },
    cooldown: {
      defaultWaitMs: scaled(config.cooldown.defaultWaitMs),
      ...(config.cooldown.maxEscalatedWaitMs === undefined
        ? {}
        : { maxEscalatedWaitMs: scaled(config.cooldown.maxEscalatedWaitMs) }),
      ...(config.cooldown.quietWindowMs === undefined ? {} : { quietWindowMs: scaled(config.cooldown.quietWindowMs) }),
    },
    circuitBreaker: { ...config.circuitBreaker, openMs: scaled(config.circuitBreaker.openMs) },
    retries: {
      ...config.retries,
      backoffBaseMs: scaled(config.retries.backoffBaseMs),
      backoffMaxMs: scaled(config.retries.backoffMaxMs),
      ...(config.retries.failureWindowMs === undefined
        ? {}
        : { failureWindowMs: Math.round(config.retries.failureWindowMs / timeScale) }),
    },
    ...(config.coalescing === undefined
      ? {}
      : { coalescing: compressCoalescing(config.coalescing, timeScale, config) }),
  };
}

/**
 * The gathering window in compressed time (at least {@link MIN_LOCAL_WINDOW_MS}: the local event source mappings
 * poll in real time); the park is never shorter than the real dispatcher timeout requires (see minParkMs).
 */
function compressCoalescing(
  coalescing: NonNullable<GateConfig['coalescing']>,
  timeScale: number,
  config: GateConfig,
): NonNullable<GateConfig['coalescing']> {
  const maxAgeMs = Math.max(MIN_LOCAL_WINDOW_MS, Math.round(coalescing.maxAgeMs / timeScale));
  const floor = minParkMs({ maxAgeMs }, config.leases.ttlMs);
  return { ...coalescing, maxAgeMs, parkMs: Math.max(floor, Math.round(coalescing.parkMs / timeScale)) };
}

/** Shortest gathering window of a compressed local run, in real ms. */
const MIN_LOCAL_WINDOW_MS = 200;

/** The value at quantile `q` (0–1) of `values`, nearest rank; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The status class the report charts: `2xx`, `429`, `4xx`, `5xx`, or `timeout` for answers that never came. */
export function statusClass(status: string): string {
  if (status === '429') return '429';
  if (status === 'reset' || status === 'timeout') return 'timeout';
  const code = Number(status);
  if (!Number.isInteger(code)) return status;
  return `${Math.floor(code / 100)}xx`;
}

/** The simulator's options with its injected failures left out (latency stays): for creating seed data. */
export function withoutFailures(options: SimulatorConfigPatch): SimulatorConfigPatch {
  const faults = options.faults;
  if (faults === undefined) return options;
  return {
    ...options,
    faults: {
      ...(faults.latencyMs === undefined ? {} : { latencyMs: faults.latencyMs }),
      ...(faults.latencyJitterMs === undefined ? {} : { latencyJitterMs: faults.latencyJitterMs }),
    },
  };
}

/** Creates the scenario's seed prospects (ids 1…n) in the simulator as {@link SEED_USER}. */
export async function seedProspects(
  simulator: Pick<RunningSimulator, 'tokenUrl' | 'apiBaseUrl'>,
  count: number,
): Promise<void> {
  if (count === 0) return;
  const credentials = simulatorCredentials([SEED_USER]);
  const tokenResponse = await fetch(simulator.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      refresh_token: credentials.refreshTokens[SEED_USER] as string,
    }),
  });
  if (!tokenResponse.ok) {
    throw new RunSetupError(`could not mint a token to seed prospects: HTTP ${tokenResponse.status}`);
  }
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const ids = await mapLimit(
    Array.from({ length: count }, (_, i) => i + 1),
    8,
    async (n) => {
      const response = await fetch(`${simulator.apiBaseUrl}/prospects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.api+json' },
        body: JSON.stringify({
          data: { type: 'prospect', attributes: { emails: [seedProspectEmail(n)], firstName: `Seed${n}` } },
        }),
      });
      if (!response.ok) throw new RunSetupError(`could not seed prospect ${n}: HTTP ${response.status}`);
      const body = (await response.json()) as { data: { id: number } };
      return Number(body.data.id);
    },
  );
  const expected = new Set(Array.from({ length: count }, (_, i) => i + 1));
  if (ids.length !== count || !ids.every((id) => expected.has(id))) {
    throw new RunSetupError(`seed prospects got ids other than 1…${count}; the simulator was not fresh`);
  }
}

/** Where an Outreach's stats come from: the simulator in this process, or `/__sim/stats` of an external one. */
type StatsSource = () => Promise<SimulatorStats | undefined>;

function statsSource(env: LocalEnvironment, outreachUrl: string | undefined): StatsSource {
  const simulator = env.simulator;
  if (simulator !== undefined) return async () => simulator.stats();
  if (outreachUrl === undefined) return async () => undefined;
  let available = true;
  return async () => {
    if (!available) return undefined;
    try {
      const response = await fetch(`${outreachUrl.replace(/\/+$/, '')}/__sim/stats`, {
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) {
        available = false;
        return undefined;
      }
      return (await response.json()) as SimulatorStats;
    } catch {
      available = false;
      return undefined;
    }
  };
}

/** Messages waiting and in flight on each lane. */
async function laneDepths(
  sqs: SQSClient,
  lanes: LaneEndpoints,
): Promise<Record<Lane, { visible: number; inFlight: number }>> {
  const entries = await Promise.all(
    LANES.map(async (lane) => {
      const { Attributes: attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: lanes[lane].queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return [
        lane,
        {
          visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        },
      ] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<Lane, { visible: number; inFlight: number }>;
}

/** Messages in each lane's dead-letter queue. */
async function deadLetterDepth(sqs: SQSClient, lanes: LaneEndpoints): Promise<number> {
  const depths = await Promise.all(
    LANES.map(async (lane) => {
      const { Attributes: attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: lanes[lane].deadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(attributes.ApproximateNumberOfMessages ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    }),
  );
  return depths.reduce((sum, depth) => sum + depth, 0);
}

function intentIdOf(message: Message): string | undefined {
  const attribute = message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.intentId]?.StringValue;
  if (attribute) return attribute;
  try {
    const id = (JSON.parse(message.Body ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Empties every dead-letter queue and returns the intent ids it held, with the reason each one gave. */
export async function drainDeadLetters(sqs: SQSClient, lanes: LaneEndpoints): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const lane of LANES) {
    const queueUrl = lanes[lane].deadLetterQueueUrl;
    for (let empty = 0; empty < 2; ) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['All'],
        }),
      );
      if (messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const message of messages) {
        const id = intentIdOf(message);
        const reason = message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue ?? 'redriven by SQS';
        if (id !== undefined) found.set(id, reason);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle as string,
          })),
        }),
      );
    }
  }
  return found;
}

/** Stamps and points collected while the run goes, turned into observations at the end. */
interface Collected {
  readonly laneDepth: RunSeries['laneDepth'];
  readonly remainingBudget: RunSeries['remainingBudget'];
  peakRssBytes: number;
  deadLetterDepth: number;
  lastStats: SimulatorStats | undefined;
}

/**
 * Runs `scenario` end to end and measures it. Everything it starts is stopped before it resolves or rejects.
 * Resolves with the observations (written as a report when `reportDir` is given) and exit code 0 when every
 * invariant held, 1 when one did not.
 * @throws RunAbortedError when `signal` aborted the run; the environment's errors when it could not start.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const launchedAt = options.launchedAt ?? Date.now();
  const { signal } = options;
  const log = options.log ?? (() => {});
  const timeScale = scenario.timeScale;
  const toSimulated = (wallMs: number) => Math.max(0, wallMs * timeScale);
  const collected: Collected = {
    laneDepth: [],
    remainingBudget: [],
    peakRssBytes: processTreeRssBytes(),
    deadLetterDepth: 0,
    lastStats: undefined,
  };
  const sampleMemory = () => {
    collected.peakRssBytes = Math.max(collected.peakRssBytes, processTreeRssBytes());
  };

  log(`starting DynamoDB Local, the SQS emulator${options.outreach ? '' : ' and the Outreach simulator'}`);
  const env = await startLocalEnvironment({
    ...gateSettingsInput(scenario),
    // Settled intents are announced as the stack would with completion events on; the figures count them.
    completionEvents: true,
    ...(options.outreach
      ? { outreachUrl: options.outreach.url }
      : { simulator: withoutFailures(simulatorOptions(scenario)) }),
    stopOnSignals: false,
  });
  let dispatcher: LocalDispatcher | undefined;
  let runner: EventSourceMappingRunner | undefined;
  let pump: RunPump | undefined;
  const closers: Array<() => void> = [];
  const stopAll = async () => {
    await pump?.stop().catch(() => undefined);
    await runner?.stop().catch(() => undefined);
    dispatcher?.close();
    for (const close of closers.splice(0)) close();
    await env.stop().catch(() => undefined);
  };

  try {
    if (signal?.aborted) throw new RunAbortedError();
    if (env.simulator) {
      log(`the simulator started with ${scenario.seedProspects} seed prospects`);
      // The scenario's failures start with the workload, not while the gate is set up.
      if (scenario.simulator.faults !== undefined) env.simulator.configure({ faults: scenario.simulator.faults });
    } else if (scenario.seedProspects > 0) {
      log(
        `the workload updates and enrols prospects 1…${scenario.seedProspects}, which must exist at ${options.outreach?.url}`,
      );
    }
    const stats = statsSource(env, options.outreach?.url);
    const metrics = new RecordingGateMetrics();
    const config = compressGateConfig(env.dispatcherEnvironment.config, timeScale);
    log('synthesizing the stack: every AWS call is checked against its IAM policies');
    const iam = localIamCheck(env);
    const completions = new RecordingCompletionEvents(iam.caller('dispatcher'));
    dispatcher = localDispatcher(
      { ...env, dispatcherEnvironment: { ...env.dispatcherEnvironment, config } },
      { metrics, iam, completions, ...(options.outreach ? { credentials: options.outreach.credentials } : {}) },
    );
    let mappingErrors = 0;
    const mappingSettings = deployedMappingSettings(iam.deployed.function);
    pump = startRunPump(env, options.reportDir, dispatcher.sqs, { config, timeScale, log });
    runner = new EventSourceMappingRunner({
      sqs: pump.sqs,
      settings: mappingSettings,
      queues: env.lanes,
      handler: dispatcher.handler,
      onError: () => {
        mappingErrors += 1;
      },
    });
    const producers = new Map<string, OutreachGateClient>();
    for (const { producer } of scenario.workload) {
      if (!producers.has(producer)) {
        const checked = checkedProducerClient(env, iam);
        closers.push(checked.close);
        producers.set(producer, checked.client);
      }
    }
    runner.start();
    const readyAt = Date.now();
    log(`ready in ${((readyAt - launchedAt) / 1000).toFixed(1)} s; enqueueing ${scenario.workload.length} intents`);

    // ---- enqueue on schedule
    const startedAt = Date.now();
    const planned = Object.fromEntries(LANES.map((lane) => [lane, 0])) as Record<Lane, number>;
    for (const { intent } of scenario.workload) planned[intent.lane] += 1;
    const enqueuedByLane = Object.fromEntries(LANES.map((lane) => [lane, 0])) as Record<Lane, number>;
    const enqueuedIds: string[] = [];
    const enqueueFailures: string[] = [];
    const byProducer = new Map<string, ScheduledIntent[]>();
    for (const item of scenario.workload) {
      byProducer.set(item.producer, [...(byProducer.get(item.producer) ?? []), item]);
    }
    const enqueueAll = Promise.all(
      [...byProducer].map(async ([producer, items]) => {
        const client = producers.get(producer) as OutreachGateClient;
        let next = 0;
        while (next < items.length && !signal?.aborted) {
          const dueAt = startedAt + (items[next] as ScheduledIntent).atMs / timeScale;
          if (dueAt > Date.now()) {
            await sleep(Math.min(dueAt - Date.now(), 200), signal);
            continue;
          }
          const due: IntentInput[] = [];
          while (next < items.length && due.length < 500) {
            const item = items[next] as ScheduledIntent;
            if (startedAt + item.atMs / timeScale > Date.now()) break;
            due.push(item.intent);
            next += 1;
          }
          let pending = due;
          for (let attempt = 1; pending.length > 0; attempt += 1) {
            const { sent, failed } = await client.enqueueMany(pending);
            for (const { id, lane } of sent) {
              enqueuedIds.push(id);
              enqueuedByLane[lane] += 1;
            }
            const retry = new Set(failed.filter((f) => !f.senderFault).map((f) => f.id));
            if (attempt >= 3 || retry.size === 0) {
              enqueueFailures.push(...failed.map((f) => f.id));
              break;
            }
            enqueueFailures.push(...failed.filter((f) => f.senderFault).map((f) => f.id));
            pending = pending.filter((intent) => retry.has(intent.id));
            await sleep(200 * attempt, signal);
          }
        }
      }),
    );
    let enqueueDone = false;
    void enqueueAll.finally(() => {
      enqueueDone = true;
    });

    // ---- sample and wait for every intent to settle
    const demand = demandOf(scenario.workload);
    const inFlightCap = env.settings.gate.leases.inFlightCap;
    const latencyWallMs = options.outreach ? 0 : meanLatencyMs(scenario);
    const idealMs = idealClearanceMs(demand, {
      budgetPerWindow: scenario.settings.budgetPerWindow,
      windowMs: scenario.settings.windowSimulatedSeconds * 1000,
      refill: scenario.settings.refill,
      inFlightCap,
      requestMs: latencyWallMs * timeScale,
    });
    const durationMs = (options.durationSeconds ?? (3 * idealMs) / timeScale / 1000 + 60) * 1000;
    const deadline = startedAt + durationMs;
    const open = new Set<string>();
    const succeeded = new Set<string>();
    let verifiedUpTo = 0;
    let lastVerify = 0;
    let lastMemory = 0;
    let lastDeadLetterCheck = 0;
    const settledCount = () => metrics.count('succeeded') + metrics.count('deadLettered');

    for (;;) {
      if (signal?.aborted) throw new RunAbortedError();
      const now = Date.now();
      const tSim = toSimulated(now - startedAt);
      const [depths, snapshot] = await Promise.all([laneDepths(env.clients.sqs, env.lanes), stats()]);
      collected.lastStats = snapshot ?? collected.lastStats;
      for (const lane of LANES) collected.laneDepth.push({ t: tSim, lane, ...depths[lane] });
      for (const user of scenario.settings.users) {
        const remaining = snapshot?.users[user]?.budget.remaining;
        if (remaining !== undefined) collected.remainingBudget.push({ t: tSim, user, remaining });
      }
      if (now - lastMemory >= 1000) {
        sampleMemory();
        lastMemory = now;
      }
      if (now - lastDeadLetterCheck >= 1000) {
        collected.deadLetterDepth = await deadLetterDepth(env.clients.sqs, env.lanes);
        lastDeadLetterCheck = now;
      }
      options.onProgress?.(
        progressOf(scenario, {
          now,
          startedAt,
          inFlightCap,
          planned,
          enqueuedByLane,
          depths,
          snapshot,
          metrics,
          deadLetterDepth: collected.deadLetterDepth,
        }),
      );

      while (verifiedUpTo < enqueuedIds.length) open.add(enqueuedIds[verifiedUpTo++] as string);
      const queuesEmpty = LANES.every((lane) => depths[lane].visible + depths[lane].inFlight === 0);
      const mayBeDone = enqueueDone && (queuesEmpty || settledCount() >= enqueuedIds.length);
      if (mayBeDone && now - lastVerify >= 1000) {
        lastVerify = now;
        const client = producers.values().next().value as OutreachGateClient;
        const results = await mapLimit([...open], 16, (id) => client.getResult(id));
        for (const result of results) {
          if (result.status === 'succeeded') succeeded.add(result.id);
          if (result.status === 'succeeded' || result.status === 'dead-lettered') open.delete(result.id);
        }
        // Redriven by SQS itself, an intent has no record: the queues being empty is then the only sign.
        if (open.size === 0 || (queuesEmpty && settledCount() >= enqueuedIds.length)) break;
        if (queuesEmpty && open.size > 0) {
          const inDeadLetters = await deadLetterDepth(env.clients.sqs, env.lanes);
          if (inDeadLetters >= open.size) break;
        }
      }
      if (now > deadline) {
        log(`stopped waiting after ${Math.round(durationMs / 1000)} s with ${open.size} intents still open`);
        break;
      }
      await sleep(options.sampleIntervalMs ?? 250, signal);
    }
    await enqueueAll;
    const lastSample = await stats();
    collected.lastStats = lastSample ?? collected.lastStats;
    const settledAt = Date.now();

    // ---- stop processing, then account for every intent
    await pump.stop();
    await runner.stop();
    const mapped = runner.counters().total;
    const pumpCounts = pump.counts();
    sampleMemory();
    const deadLettered = await drainDeadLetters(env.clients.sqs, env.lanes);
    const client = producers.values().next().value as OutreachGateClient | undefined;
    const unresolved = enqueuedIds.filter((id) => !succeeded.has(id) && !deadLettered.has(id));
    if (client !== undefined) {
      const results = await mapLimit(unresolved, 16, (id) => client.getResult(id));
      for (const result of results) if (result.status === 'succeeded') succeeded.add(result.id);
    }
    const lostIds = enqueuedIds.filter((id) => !succeeded.has(id) && !deadLettered.has(id));
    const unsettledAtDeadline = open.size;

    const measured = observationsOf(scenario, {
      startedAt,
      settledAt,
      metrics,
      stats: collected.lastStats,
      collected,
      enqueued: enqueuedIds.length,
      succeeded: succeeded.size,
      deadLettered: enqueuedIds.filter((id) => deadLettered.has(id) && !succeeded.has(id)).length,
      lost: lostIds.length,
      enqueueFailures: enqueueFailures.length,
      inFlightCap,
      idealMs,
      dynamodbRequests: dispatcher.dynamodbRequests(),
      iam: iamCountsOf(iam),
      timeouts: timeoutCountsOf(mapped, mappingSettings.dispatcherTimeoutSeconds),
    });
    const observations: RunObservations = { ...measured, ...(pumpCounts && { pump: pumpCounts }) };
    if (observations.iam && observations.iam.denied > 0) {
      log(
        `AWS would deny: ${observations.iam.denials.map((d) => `${d.principal} ${d.action} on ${d.resource}`).join('; ')}`,
      );
    }
    const firstSettled = metrics.events.find((event) => event.name === 'succeeded' || event.name === 'deadLettered');
    const byUserWindow = status429ByWindow(collected.lastStats, scenario, startedAt);
    const settlements: IntentSettlement[] = scenario.workload.map(({ atMs, producer, intent }) => ({
      id: intent.id,
      producer,
      lane: intent.lane,
      operation: intent.operation.type,
      dueAt: startedAt + atMs / timeScale,
      settledAt: completions.settledAt.get(intent.id) ?? null,
      status: succeeded.has(intent.id) ? 'succeeded' : deadLettered.has(intent.id) ? 'failed' : 'open',
    }));
    const exitCode = observations.invariants.every((invariant) => invariant.holds) ? 0 : 1;
    if (lostIds.length > 0) log(`lost intents (first 10): ${lostIds.slice(0, 10).join(', ')}`);

    await stopAll();
    const report = options.reportDir ? await writeReport(options.reportDir, observations) : undefined;
    const figures: RunFigures = {
      readyMs: readyAt - launchedAt,
      firstSettledMs: firstSettled ? firstSettled.at - launchedAt : null,
      wallMs: Date.now() - launchedAt,
      peakRssBytes: collected.peakRssBytes,
      max429PerUserWindow: Math.max(0, ...Object.values(byUserWindow).flat()),
      status429ByUserWindow: byUserWindow,
      callsDuringCooldown: callsDuringCooldown(collected.lastStats, scenario.settings.users),
      enqueueFailures: enqueueFailures.length,
      unsettledAtDeadline,
      deferrals: Object.fromEntries(
        [...metrics.counts].filter(([key]) => key.startsWith('deferral:')).map(([key, n]) => [key.slice(9), n]),
      ),
      mappingErrors,
      invocations: { count: mapped.invocations, records: mapped.records, peakConcurrency: mapped.peakConcurrency },
      timeouts: observations.timeouts as TimeoutCounts,
      iam: observations.iam as IamCounts,
      completionEvents: completions.countsByDetailType(),
    };
    return {
      observations,
      settlements,
      startedAtMs: startedAt,
      endedAtMs: settledAt,
      exitCode,
      figures,
      ...(report ? { report } : {}),
    };
  } catch (error) {
    await stopAll();
    if (signal?.aborted) throw new RunAbortedError();
    throw error;
  }
}

function progressOf(
  scenario: Scenario,
  input: {
    now: number;
    startedAt: number;
    inFlightCap: number;
    planned: Record<Lane, number>;
    enqueuedByLane: Record<Lane, number>;
    depths: Record<Lane, { visible: number; inFlight: number }>;
    snapshot: SimulatorStats | undefined;
    metrics: RecordingGateMetrics;
    deadLetterDepth: number;
  },
): RunProgress {
  const { metrics, snapshot } = input;
  const lanes = Object.fromEntries(
    LANES.map((lane) => [
      lane,
      {
        planned: input.planned[lane],
        enqueued: input.enqueuedByLane[lane],
        settled: metrics.count('succeeded', lane) + metrics.count('deadLettered', lane),
        ...input.depths[lane],
      },
    ]),
  ) as Record<Lane, LaneProgress>;
  const users = Object.fromEntries(
    scenario.settings.users.map((user) => {
      const stats: UserStats | undefined = snapshot?.users[user];
      const cooldownUntil = stats?.cooldownUntil ?? null;
      return [
        user,
        {
          inFlight: stats?.inFlight ?? 0,
          remaining: stats?.budget.remaining ?? null,
          cooldownMs: cooldownUntil === null ? 0 : Math.max(0, cooldownUntil - input.now) * scenario.timeScale,
          status429: stats?.status429 ?? metrics.count('upstream', '429'),
        },
      ];
    }),
  );
  const upstreamCalls = scenario.settings.users.reduce((sum, user) => sum + (snapshot?.users[user]?.requests ?? 0), 0);
  return {
    scenario: scenario.name,
    wallMs: input.now - input.startedAt,
    simulatedMs: (input.now - input.startedAt) * scenario.timeScale,
    inFlightCap: input.inFlightCap,
    lanes,
    users,
    deferrals: metrics.count('deferral'),
    deadLettered: input.deadLetterDepth,
    upstreamCalls: snapshot ? upstreamCalls : metrics.count('upstream'),
    status429: Object.values(users).reduce((sum, user) => sum + user.status429, 0),
  };
}

/**
 * 429s per user in each window of the run, counting windows of the configured length from the first enqueue
 * (`startedAt`, epoch ms): index 0 is the first window. Pure.
 */
export function status429ByWindow(
  stats: SimulatorStats | undefined,
  scenario: Pick<Scenario, 'settings' | 'timeScale'>,
  startedAt: number,
): Record<string, number[]> {
  const windowWallMs = (scenario.settings.windowSimulatedSeconds * 1000) / scenario.timeScale;
  const out: Record<string, number[]> = {};
  for (const user of scenario.settings.users) {
    const counts: number[] = [];
    for (const entry of stats?.users[user]?.timeline ?? []) {
      const n = entry.byStatus['429'] ?? 0;
      if (n === 0) continue;
      const window = Math.max(0, Math.floor((entry.second * 1000 - startedAt) / windowWallMs));
      counts[window] = (counts[window] ?? 0) + n;
    }
    out[user] = Array.from(counts, (n) => n ?? 0);
  }
  return out;
}

/**
 * Calls the users made while a cool-down a 429 announced was still in force, as Outreach counted them: each one is
 * refused, and in penalty mode lengthens the wait. Null when there are no stats (an Outreach that is not the
 * simulator). The simulator is fresh for every run and the workload's users call nothing before it. Pure.
 */
export function callsDuringCooldown(stats: SimulatorStats | undefined, users: readonly string[]): number | null {
  if (stats === undefined) return null;
  return users.reduce((sum, user) => sum + (stats.users[user]?.callsDuringCooldown ?? 0), 0);
}

/** The IAM check's ledger as the report shows it: calls by principal and action, and the first 20 denials. */
export function iamCountsOf(iam: LocalIamCheck): IamCounts {
  const ledger = iam.check.ledger();
  const calls = Object.values(ledger.checked)
    .flatMap((actions) => Object.values(actions))
    .reduce((a, b) => a + b, 0);
  return {
    checked: ledger.checked as IamCounts['checked'],
    calls,
    denied: ledger.denied,
    denials: ledger.denials.slice(0, 20).map(({ principal, action, resource }) => ({ principal, action, resource })),
  };
}

/** The runner's counters as the report's timeouts section. */
export function timeoutCountsOf(counters: MappingCounters, functionTimeoutSeconds: number): TimeoutCounts {
  return {
    functionTimeoutSeconds,
    invocations: counters.invocations,
    count: counters.timeouts,
    throttles: counters.throttles,
  };
}

function observationsOf(
  scenario: Scenario,
  input: {
    startedAt: number;
    settledAt: number;
    metrics: RecordingGateMetrics;
    stats: SimulatorStats | undefined;
    collected: Collected;
    enqueued: number;
    succeeded: number;
    deadLettered: number;
    lost: number;
    enqueueFailures: number;
    inFlightCap: number;
    idealMs: number;
    dynamodbRequests: number;
    iam: IamCounts;
    timeouts: TimeoutCounts;
  },
): RunObservations {
  const { metrics, stats, startedAt, collected } = input;
  const timeScale = scenario.timeScale;
  const simulatedSince = (epochMs: number) => Math.max(0, (epochMs - startedAt) * timeScale);
  const users = scenario.settings.users;
  const userStats = users.flatMap((user) => (stats?.users[user] ? [stats.users[user]] : []));

  // Upstream, as Outreach saw it (or, without its stats, as the gate counted it).
  const byStatus: Record<string, number> = {};
  const perSecond = new Map<string, { t: number; status: string; count: number }>();
  const inFlightBySecond = new Map<number, number>();
  if (stats) {
    for (const user of userStats) {
      for (const [status, n] of Object.entries(user.byStatus)) {
        const key = statusClass(status);
        byStatus[key] = (byStatus[key] ?? 0) + n;
      }
      for (const entry of user.timeline) {
        if (entry.second * 1000 < startedAt - 1000) continue;
        const t = simulatedSince(entry.second * 1000);
        for (const [status, n] of Object.entries(entry.byStatus)) {
          const key = `${t}:${statusClass(status)}`;
          const point = perSecond.get(key) ?? { t, status: statusClass(status), count: 0 };
          point.count += n;
          perSecond.set(key, point);
        }
        inFlightBySecond.set(t, Math.max(inFlightBySecond.get(t) ?? 0, entry.inFlightPeak));
      }
    }
  } else {
    for (const [key, n] of metrics.counts) {
      if (key.startsWith('upstream:')) byStatus[statusClass(key.slice(9))] = n;
    }
  }
  const retryAfters = userStats
    .flatMap((user) => user.cooldowns)
    .filter((cooldown) => cooldown.retryAfterHeader !== null)
    .sort((a, b) => a.at - b.at)
    .map((cooldown) => cooldown.waitMs * timeScale);
  const gateInFlightPeak = metrics.events
    .filter((event) => event.name === 'inFlight')
    .reduce((peak, event) => Math.max(peak, event.value), 0);
  const maxInFlight = stats ? Math.max(0, ...userStats.map((user) => user.peakInFlight)) : gateInFlightPeak;
  const status429 = stats ? userStats.reduce((sum, user) => sum + user.status429, 0) : metrics.count('upstream', '429');
  const calls = stats
    ? userStats.reduce((sum, user) => sum + user.requests, 0)
    : Object.values(byStatus).reduce((a, b) => a + b, 0);
  const duplicatesCreated = userStats.reduce((sum, user) => sum + user.duplicatesCreated, 0);

  // Waits per lane, from the dispatcher's own measure (SQS SentTimestamp to settled).
  const laneWaitsMs = Object.fromEntries(LANES.map((lane) => [lane, [] as number[]]));
  let lastSettled = startedAt;
  for (const event of metrics.events) {
    if (event.name === 'succeeded' && event.key !== undefined) laneWaitsMs[event.key]?.push(event.value * timeScale);
    if (event.name === 'succeeded' || event.name === 'deadLettered') lastSettled = Math.max(lastSettled, event.at);
  }
  const lanes = Object.fromEntries(
    LANES.map((lane) => {
      const waits = laneWaitsMs[lane] ?? [];
      return [
        lane,
        {
          waitP50Ms: quantile(waits, 0.5),
          waitP99Ms: quantile(waits, 0.99),
          succeeded: metrics.count('succeeded', lane),
        },
      ];
    }),
  ) as RunObservations['lanes'];

  const actualMs = simulatedSince(lastSettled);
  const invariants: RunObservations['invariants'] = [
    {
      name: 'lost == 0',
      holds: input.lost === 0,
      detail: `${input.lost} of ${input.enqueued} enqueued intents were found neither succeeded nor in a dead-letter queue`,
    },
    {
      name: 'duplicatesCreated == 0',
      holds: duplicatesCreated === 0,
      detail: stats
        ? `Outreach saw ${duplicatesCreated} records created twice`
        : 'not measured: the Outreach in use reports no statistics',
    },
    {
      name: 'maxInFlight <= inFlightCap',
      holds: maxInFlight <= input.inFlightCap,
      detail: `at most ${maxInFlight} requests in flight for one user (cap ${input.inFlightCap})${stats ? '' : ', as the gate counted them'}`,
    },
    {
      name: 'iam denied == 0',
      holds: input.iam.denied === 0,
      detail: `${input.iam.denied} of ${input.iam.calls} AWS calls would be denied by the deployed stack's IAM policies`,
    },
    {
      name: 'enqueue failures == 0',
      holds: input.enqueueFailures === 0,
      detail: `${input.enqueueFailures} intents of the workload were refused by their lane`,
    },
  ];

  return {
    scenario: scenario.name,
    timeScale,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(Math.max(input.settledAt, startedAt)).toISOString(),
    intents: {
      enqueued: input.enqueued,
      succeeded: input.succeeded,
      deadLettered: input.deadLettered,
      lost: input.lost,
      duplicatesCreated,
    },
    upstream: {
      calls,
      byStatus,
      status429,
      maxInFlight,
      inFlightCap: input.inFlightCap,
      firstRetryAfterMs: retryAfters[0] ?? null,
      maxRetryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : null,
      // Without the simulator's stats the mints are not counted.
      tokenMints: userStats.reduce((sum, user) => sum + user.tokensMinted, 0),
    },
    lanes,
    clearance: { actualMs, idealMs: input.idealMs, ratio: input.idealMs > 0 ? actualMs / input.idealMs : 0 },
    dynamodb: {
      requests: input.dynamodbRequests,
      requestsPerIntent: input.enqueued > 0 ? input.dynamodbRequests / input.enqueued : 0,
    },
    users: [...users],
    series: {
      upstreamPerSecond: [...perSecond.values()].sort((a, b) => a.t - b.t),
      inFlight: [...inFlightBySecond].map(([t, value]) => ({ t, value })).sort((a, b) => a.t - b.t),
      laneDepth: collected.laneDepth,
      laneWaitsMs,
      cooldowns: userStats
        .flatMap((user) => user.cooldowns)
        .filter((cooldown) => cooldown.at >= startedAt)
        .map((cooldown) => ({
          t: simulatedSince(cooldown.at),
          user: cooldown.user,
          waitMs: cooldown.waitMs * timeScale,
        })),
      remainingBudget: collected.remainingBudget,
    },
    invariants,
    iam: input.iam,
    timeouts: input.timeouts,
  };
}
