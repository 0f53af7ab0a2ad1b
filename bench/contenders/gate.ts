/**
 * The gate contender: `runScenario` from the local runner (emulators, the event source mapping runner, the real
 * dispatcher), plus what the benchmark needs to price it: the AWS requests every SDK client of this process
 * sends, counted by operation as they leave, and the time the dispatcher's handler runs per invocation.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { resolveGateSettings } from '../../lib/settings';
import { type RunOptions, type RunResult, runScenario } from '../../local/run';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';
import { gateSettingsInput, type Scenario } from '../../local/scenarios';
import { scorecardOfOutcomes, successfulRequests } from '../scorecard';
import { bulkEnrolments } from '../targets';
import type { AwsUsage, ContenderResult } from '../types';

/** SQS operations AWS bills per request (for FIFO queues). */
const BILLED_SQS =
  /^AmazonSQS\.(SendMessage|SendMessageBatch|ReceiveMessage|DeleteMessage|DeleteMessageBatch|ChangeMessageVisibility|ChangeMessageVisibilityBatch)$/;
const DYNAMODB_WRITE = /^DynamoDB_\d+\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;

/** One AWS request as it left this process. */
export interface AwsRequestRecord {
  /** Epoch ms it started. */
  readonly at: number;
  /** Its `X-Amz-Target` (`AmazonSQS.ReceiveMessage`, `DynamoDB_20120810.UpdateItem`). */
  readonly target: string;
}

/**
 * Records every AWS JSON-protocol request any SDK client of this process starts, through Node's
 * `http.client.request.start` diagnostics channel: measured at the wire, whoever sent it.
 */
export class AwsRequestRecorder {
  readonly records: AwsRequestRecord[] = [];
  private readonly listener = (message: unknown) => {
    const request = (message as { request?: ClientRequest }).request;
    const target = request?.getHeader('x-amz-target');
    if (typeof target === 'string') this.records.push({ at: Date.now(), target });
  };

  start(): this {
    diagnosticsChannel.subscribe('http.client.request.start', this.listener);
    return this;
  }

  stop(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.listener);
  }
}

/** Billed SQS requests and DynamoDB writes among `records`, SQS counted only up to `untilMs`. Pure. */
export function countBilledRequests(
  records: readonly AwsRequestRecord[],
  untilMs: number,
): { sqsRequests: number; dynamodbWrites: number } {
  let sqsRequests = 0;
  let dynamodbWrites = 0;
  for (const { at, target } of records) {
    if (BILLED_SQS.test(target) && at <= untilMs) sqsRequests += 1;
    if (DYNAMODB_WRITE.test(target)) dynamodbWrites += 1;
  }
  return { sqsRequests, dynamodbWrites };
}

/** `Operation count` pairs of the records up to `untilMs`, most frequent first (for the run's log). Pure. */
export function describeTargets(records: readonly AwsRequestRecord[], untilMs: number): string {
  const counts = new Map<string, number>();
  for (const { at, target } of records) {
    if (at <= untilMs) counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([target, count]) => `${target.replace(/^(AmazonSQS|DynamoDB_\d+)\./, '')} ${count}`)
    .join(', ');
}

/** Handler invocations and their summed wall time, measured around the event source mapping runner's invocations. */
export class HandlerTimer {
  invocations = 0;
  handlerMs = 0;
  private restore: (() => void) | undefined;

  /**
   * Starts timing every invocation any {@link EventSourceMappingRunner} makes (its private `run`, which settles
   * when the handler really ends, as a Lambda instance is billed).
   * @throws Error when the runner no longer has that method.
   */
  start(): this {
    const prototype = EventSourceMappingRunner.prototype as unknown as {
      run?: (this: unknown, ...args: unknown[]) => Promise<unknown>;
    };
    const original = prototype.run;
    if (typeof original !== 'function') {
      throw new Error('EventSourceMappingRunner has no run method to time handler invocations with');
    }
    const timer = this;
    prototype.run = async function timedRun(this: unknown, ...args: unknown[]) {
      const started = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        timer.invocations += 1;
        timer.handlerMs += performance.now() - started;
      }
    };
    this.restore = () => {
      prototype.run = original;
    };
    return this;
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }
}

/** The gate's AWS usage from a run and what was counted during it. Pure. */
export function gateUsage(
  result: Pick<RunResult, 'observations'>,
  counted: { sqsRequests: number; dynamodbWrites: number },
  handlers: { invocations: number; handlerMs: number },
  memoryMiB: number,
): AwsUsage {
  const dispatcherRequests = result.observations.dynamodb.requests;
  return {
    sqsRequests: counted.sqsRequests,
    lambdaInvocations: handlers.invocations,
    lambdaHandlerMs: handlers.handlerMs,
    lambdaMemoryMiB: memoryMiB,
    dynamodbWrites: counted.dynamodbWrites,
    dynamodbReads: Math.max(0, dispatcherRequests - counted.dynamodbWrites),
  };
}

/** The gate's result from `runScenario`'s answer. Pure. */
export function gateResult(result: RunResult, usage: AwsUsage, wallMs: number): ContenderResult {
  const { observations: obs, figures, settlements } = result;
  const run = { startedAt: result.startedAtMs, endedAt: result.endedAtMs, timeScale: obs.timeScale };
  return {
    contender: 'gate',
    intents: obs.intents.enqueued + figures.enqueueFailures,
    clearanceMs: obs.clearance.actualMs,
    succeeded: obs.intents.succeeded,
    failed: obs.intents.deadLettered,
    lost: obs.intents.lost + figures.enqueueFailures,
    duplicatesCreated: obs.intents.duplicatesCreated,
    upstreamCalls: obs.upstream.calls,
    status429: obs.upstream.status429,
    max429PerUserWindow: figures.max429PerUserWindow,
    status429ByUserWindow: figures.status429ByUserWindow,
    callsDuringCooldown: figures.callsDuringCooldown,
    bulkEnrolments: bulkEnrolments(settlements, run),
    firstRetryAfterMs: obs.upstream.firstRetryAfterMs,
    maxRetryAfterMs: obs.upstream.maxRetryAfterMs,
    maxInFlight: obs.upstream.maxInFlight,
    inFlightCap: obs.upstream.inFlightCap,
    waitsMs: Object.fromEntries(
      Object.entries(obs.lanes).map(([lane, waits]) => [
        lane,
        { p50: waits.waitP50Ms, p99: waits.waitP99Ms, count: waits.succeeded },
      ]),
    ),
    dynamodbRequestsPerIntent: obs.dynamodb.requestsPerIntent,
    aws: usage,
    series: { upstreamPerSecond: obs.series.upstreamPerSecond, cooldowns: obs.series.cooldowns },
    wallMs,
    iam: {
      calls: figures.iam.calls,
      byPrincipal: Object.fromEntries(
        Object.entries(figures.iam.checked).map(([principal, actions]) => [
          principal,
          Object.values(actions).reduce((sum, count) => sum + count, 0),
        ]),
      ),
      denied: figures.iam.denied,
    },
    timeouts: figures.timeouts.count,
    // Each intent's producer and due time come from the workload, its settling from its completion event.
    scorecard: scorecardOfOutcomes(settlements, {
      ...run,
      status429: obs.upstream.status429,
      successfulRequests: successfulRequests(obs.upstream.byStatus),
      clearanceMs: obs.clearance.actualMs,
    }),
  };
}

/** Runs the gate on `scenario` with the local runner, measuring its AWS requests and handler time. */
export async function runGate(
  scenario: Scenario,
  options: Pick<RunOptions, 'log' | 'durationSeconds'> = {},
): Promise<ContenderResult> {
  const launchedAt = Date.now();
  const recorder = new AwsRequestRecorder().start();
  const timer = new HandlerTimer();
  try {
    timer.start();
    const result = await runScenario(scenario, options);
    const settledAt = Date.parse(result.observations.finishedAt);
    const memoryMiB = resolveGateSettings(gateSettingsInput(scenario)).dispatcherMemoryMiB;
    const usage = gateUsage(result, countBilledRequests(recorder.records, settledAt), timer, memoryMiB);
    options.log?.(`AWS requests by operation until settled: ${describeTargets(recorder.records, settledAt)}`);
    const { iam, timeouts } = result.figures;
    options.log?.(
      `IAM: ${iam.calls} calls checked (${Object.entries(iam.checked)
        .map(([principal, actions]) => `${principal} ${Object.values(actions).reduce((a, b) => a + b, 0)}`)
        .join(', ')}), ${iam.denied} denied; ${timeouts.count} invocations timed out, ${timeouts.throttles} throttled`,
    );
    return gateResult(result, usage, Date.now() - launchedAt);
  } finally {
    timer.stop();
    recorder.stop();
  }
}
