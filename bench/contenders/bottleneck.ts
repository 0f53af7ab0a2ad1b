/**
 * The bottleneck contender: each producer of the scenario is a service with the popular `bottleneck` limiter in
 * front of its Outreach calls, one limiter per user (a `Bottleneck.Group`) sized to the service's share of the
 * budget: `reservoir` = budget ÷ services per window, refreshed every window, `maxConcurrent` = its share of the
 * in-flight cap and `minTime` = the window ÷ its share (an even pace). 429s, 5xx and unanswered requests are
 * retried through the limiter's `failed` event with the wait the Retry-After gives (or a backoff).
 */

import { setMaxListeners } from 'node:events';
import Bottleneck from 'bottleneck';
import type { OutreachReply, OutreachRequest } from '../../lambdas/outreach/client';
import type { Lane } from '../../lambdas/shared/names';
import type { Scenario } from '../../local/scenarios';
import { sleep } from '../../local/sleep';
import type { ContenderResult } from '../types';
import {
  type CallOutreach,
  directResult,
  GiveUpError,
  type IntentOutcome,
  outreachApi,
  performIntent,
  type RetryDecision,
  retryDecision,
  retryPolicyFor,
  ServiceTokens,
  servicesOf,
  startSeededSimulator,
  toIntent,
} from './direct';
import type { DirectRunOptions } from './naive';

/** A bottleneck service's limiter settings, per user. */
export interface LimiterSizing {
  readonly reservoir: number;
  readonly reservoirRefreshAmount: number;
  readonly reservoirRefreshInterval: number;
  readonly maxConcurrent: number;
  readonly minTime: number;
}

/** How a team sizes each of `services` limiters for its share of the scenario's budget and cap, in wall ms. Pure. */
export function limiterSizing(scenario: Scenario, services: number): LimiterSizing {
  const windowWallMs = (scenario.settings.windowSimulatedSeconds * 1000) / scenario.timeScale;
  const share = Math.max(1, Math.floor(scenario.settings.budgetPerWindow / Math.max(1, services)));
  return {
    reservoir: share,
    reservoirRefreshAmount: share,
    reservoirRefreshInterval: Math.max(1, Math.round(windowWallMs)),
    maxConcurrent: Math.max(1, Math.floor(scenario.settings.inFlightCap / Math.max(1, services))),
    minTime: Math.max(0, Math.floor(windowWallMs / share)),
  };
}

/** Bottleneck priorities (0 runs first): critical before standard before bulk. */
const PRIORITY: Readonly<Record<Lane, number>> = { critical: 1, standard: 5, bulk: 8 };

/** A refused answer carrying the retry decision to the limiter's `failed` handler. */
class RefusedError extends Error {
  override readonly name = 'RefusedError';
  constructor(
    readonly decision: RetryDecision | { readonly retry: true; readonly waitMs: 0; readonly because: 'token' },
  ) {
    super(decision.retry ? `retry in ${Math.round(decision.waitMs)} ms` : decision.reason);
  }
}

/** How a contender puts Bottleneck in front of each service's calls. */
export interface BottleneckSetup {
  readonly contender: 'bottleneck' | 'bottleneck-cluster';
  /** The limiters of one service: a group keyed by user. */
  group(service: string): Bottleneck.Group;
  /** One line for the log about a service's limiters. */
  describe(service: string, intents: number): string;
}

/** Runs the bottleneck contender on a fresh simulator configured for `scenario`. */
export function runBottleneck(scenario: Scenario, options: DirectRunOptions): Promise<ContenderResult> {
  const sizing = limiterSizing(scenario, servicesOf(scenario).size);
  return runWithBottleneck(scenario, options, {
    contender: 'bottleneck',
    group: (service) => new Bottleneck.Group({ ...sizing, id: service }),
    describe: (service, intents) =>
      `bottleneck: service ${service} with ${intents} intents, limiter per user ${JSON.stringify(sizing)}`,
  });
}

/**
 * Runs the scenario's services, each calling Outreach through the limiters `setup` gives it, on a fresh simulator
 * configured for `scenario`.
 */
export async function runWithBottleneck(
  scenario: Scenario,
  options: DirectRunOptions,
  setup: BottleneckSetup,
): Promise<ContenderResult> {
  const launchedAt = Date.now();
  const simulator = await startSeededSimulator(scenario);
  const stop = new AbortController();
  // Every waiting intent listens for the stop: many listeners are expected.
  setMaxListeners(0, stop.signal);
  const groups: Bottleneck.Group[] = [];
  try {
    const api = outreachApi(simulator, scenario);
    const policy = retryPolicyFor(scenario);
    const services = servicesOf(scenario);
    const outcomes: IntentOutcome[] = [];
    const startedAt = Date.now();
    const runs = [...services].map(([name, items]) => {
      const tokens = new ServiceTokens(simulator.tokenUrl, policy, stop.signal);
      const group = setup.group(name);
      groups.push(group);
      group.on('created', (limiter: Bottleneck) => {
        limiter.on('error', (error: unknown) => options.log?.(`${setup.contender}: limiter error: ${String(error)}`));
        limiter.on('failed', (error: unknown) => {
          if (stop.signal.aborted || !(error instanceof RefusedError)) return null;
          return error.decision.retry ? error.decision.waitMs : null;
        });
      });
      options.log?.(setup.describe(name, items.length));
      return Promise.all(
        items.map(async (item) => {
          const outcome: IntentOutcome = {
            lane: item.intent.lane,
            operation: item.intent.operation.type,
            producer: item.producer,
            dueAt: startedAt + item.atMs / scenario.timeScale,
            settledAt: null,
            status: 'open',
          };
          outcomes.push(outcome);
          const intent = toIntent(item.intent);
          const call: CallOutreach = (user: string, request: OutreachRequest) => {
            let attempt = 0;
            return group.key(user).schedule({ priority: PRIORITY[intent.lane] }, async () => {
              attempt += 1;
              if (stop.signal.aborted) throw new GiveUpError('stopped');
              const token = await tokens.get(user);
              const reply: OutreachReply = await api.send(request, token);
              if (reply.kind === 'response' && reply.status >= 200 && reply.status < 300) return reply;
              if (reply.kind === 'response' && reply.status === 401) {
                await tokens.refresh(user, token);
                throw new RefusedError({ retry: true, waitMs: 0, because: 'token' });
              }
              throw new RefusedError(retryDecision(reply, attempt, Date.now(), policy));
            });
          };
          await sleep(outcome.dueAt - Date.now(), stop.signal);
          if (stop.signal.aborted) return;
          try {
            await performIntent(intent, call);
            outcome.status = 'succeeded';
          } catch (error) {
            if (stop.signal.aborted) return;
            outcome.status = 'failed';
            outcome.reason = (error as Error).message;
          }
          outcome.settledAt = Date.now();
        }),
      );
    });
    const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
    const deadline = setTimeout(() => stop.abort(), options.maxWallMs);
    await Promise.race([Promise.all(runs), stopped]);
    clearTimeout(deadline);
    const endedAt = Date.now();
    stop.abort();
    return directResult(setup.contender, scenario, {
      outcomes,
      stats: simulator.stats(),
      startedAt,
      endedAt,
      wallMs: Date.now() - launchedAt,
    });
  } finally {
    stop.abort();
    for (const group of groups) {
      for (const { limiter } of group.limiters()) {
        await settle(() => limiter.stop({ dropWaitingJobs: true }));
        await settle(() => limiter.disconnect());
      }
      await settle(() => group.disconnect());
    }
    await simulator.stop();
  }
}

/** Runs a shutdown step, ignoring what it throws or rejects with (the run's result is already taken). */
async function settle(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch {
    // Shutting down: nothing left to report to.
  }
}
