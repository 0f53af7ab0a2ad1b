/**
 * The naive contender: what seed 002 measured. Each producer of the scenario is an independent service with a
 * worker pool of its own (as large as the in-flight cap it was told about) that calls Outreach directly, retries
 * its own 429s by Retry-After or exponential backoff, retries 5xx blindly, and shares nothing with the others.
 */

import { setMaxListeners } from 'node:events';
import type { OutreachReply, OutreachRequest } from '../../lambdas/outreach/client';
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
  retryDecision,
  retryPolicyFor,
  ServiceTokens,
  servicesOf,
  startSeededSimulator,
  toIntent,
} from './direct';

/** Options of a direct contender's run. */
export interface DirectRunOptions {
  /** Longest wall ms to wait for every intent to settle; what is open then counts as lost. */
  readonly maxWallMs: number;
  /** Told about each step in one plain line. */
  readonly log?: (line: string) => void;
}

/** Runs the naive contender on a fresh simulator configured for `scenario`. */
export async function runNaive(scenario: Scenario, options: DirectRunOptions): Promise<ContenderResult> {
  const launchedAt = Date.now();
  const simulator = await startSeededSimulator(scenario);
  const stop = new AbortController();
  // Every waiting intent listens for the stop: many listeners are expected.
  setMaxListeners(0, stop.signal);
  try {
    const api = outreachApi(simulator, scenario);
    const policy = retryPolicyFor(scenario);
    const poolSize = scenario.settings.inFlightCap;
    const outcomes: IntentOutcome[] = [];
    const startedAt = Date.now();
    const services = [...servicesOf(scenario)].map(([name, items]) => {
      const tokens = new ServiceTokens(simulator.tokenUrl, policy, stop.signal);
      const call: CallOutreach = async (user: string, request: OutreachRequest) => {
        for (let attempt = 1; ; attempt += 1) {
          if (stop.signal.aborted) throw new GiveUpError('stopped');
          const token = await tokens.get(user);
          const reply: OutreachReply = await api.send(request, token);
          if (reply.kind === 'response' && reply.status >= 200 && reply.status < 300) return reply;
          if (reply.kind === 'response' && reply.status === 401) {
            await tokens.refresh(user, token);
            continue;
          }
          const decision = retryDecision(reply, attempt, Date.now(), policy);
          if (!decision.retry) throw new GiveUpError(decision.reason);
          await sleep(decision.waitMs, stop.signal);
        }
      };
      const mine = items.map((item) => {
        const outcome: IntentOutcome = {
          lane: item.intent.lane,
          operation: item.intent.operation.type,
          producer: item.producer,
          dueAt: startedAt + item.atMs / scenario.timeScale,
          settledAt: null,
          status: 'open',
        };
        outcomes.push(outcome);
        return { intent: toIntent(item.intent), outcome };
      });
      let next = 0;
      const worker = async () => {
        while (next < mine.length && !stop.signal.aborted) {
          const job = mine[next++] as (typeof mine)[number];
          await sleep(job.outcome.dueAt - Date.now(), stop.signal);
          if (stop.signal.aborted) return;
          try {
            await performIntent(job.intent, call);
            job.outcome.status = 'succeeded';
          } catch (error) {
            if (stop.signal.aborted) return;
            job.outcome.status = 'failed';
            job.outcome.reason = (error as Error).message;
          }
          job.outcome.settledAt = Date.now();
        }
      };
      options.log?.(`naive: service ${name} with ${mine.length} intents and ${poolSize} workers`);
      return Promise.all(Array.from({ length: poolSize }, worker));
    });
    const deadline = setTimeout(() => stop.abort(), options.maxWallMs);
    await Promise.all(services);
    clearTimeout(deadline);
    const endedAt = Date.now();
    stop.abort();
    return directResult('naive', scenario, {
      outcomes,
      stats: simulator.stats(),
      startedAt,
      endedAt,
      wallMs: Date.now() - launchedAt,
    });
  } finally {
    stop.abort();
    await simulator.stop();
  }
}
