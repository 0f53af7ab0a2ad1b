import type { GateConfig } from '../../lambdas/shared/config';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import type { OutreachGateClient } from '../../lib/client';
import { checkedProducerClient, type LocalDispatcher, localDispatcher } from '../../local/dispatcher';
import { type LocalEnvironment, type LocalEnvironmentOptions, startLocalEnvironment } from '../../local/environment';
import type { DeployedStack } from '../../local/iam/deployed-stack';
import { type LocalIamCheck, localIamCheck } from '../../local/iam/local-check';
import type { SimulatorStartOptions } from '../../local/outreach-sim';
import { RecordingCompletionEvents } from '../../local/recording-completion-events';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { deployedMappingSettings } from '../../local/runner/deployed-settings';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';

/**
 * The whole pipeline on emulators: environment, real dispatcher, event source mappings as the stack deploys them,
 * and a producer; every AWS call of the dispatcher and the producer is checked against the synthesized stack's
 * policies.
 */
export interface Pipeline {
  readonly env: LocalEnvironment;
  /** The IAM check every call of the dispatcher, its mappings and the producer went through. */
  readonly iam: LocalIamCheck;
  readonly dispatcher: LocalDispatcher;
  readonly metrics: RecordingGateMetrics;
  /** The completion events the dispatcher published (only with the `completionEvents` setting on). */
  readonly completions: RecordingCompletionEvents;
  readonly runner: EventSourceMappingRunner;
  readonly client: OutreachGateClient;
  /** Polls getResult until every id is succeeded or dead-lettered, or the time is up. */
  settle(ids: readonly string[], timeoutMs: number): Promise<IntentResult[]>;
  /** Stops everything, then fails naming every call AWS would have denied, if any was made. */
  stop(): Promise<void>;
}

/** Starts the pipeline. `config` patches the dispatcher's runtime configuration (e.g. a shorter backoff). */
export async function startPipeline(
  options: LocalEnvironmentOptions & {
    readonly simulator?: SimulatorStartOptions;
    readonly config?: (config: GateConfig) => GateConfig;
    readonly wrapDispatcher?: Parameters<typeof localDispatcher>[1];
    /** Check against this stack instead of the one synthesized from the options (e.g. one lacking a grant). */
    readonly deployed?: (synthesized: DeployedStack) => DeployedStack;
  },
): Promise<Pipeline> {
  const env = await startLocalEnvironment({ stopOnSignals: false, ...options });
  try {
    const dispatcherEnvironment = {
      ...env.dispatcherEnvironment,
      config: options.config ? options.config(env.dispatcherEnvironment.config) : env.dispatcherEnvironment.config,
    };
    const synthesized = localIamCheck(env);
    const iam = options.deployed ? localIamCheck(env, options.deployed(synthesized.deployed)) : synthesized;
    const metrics = new RecordingGateMetrics();
    const completions = new RecordingCompletionEvents(iam.caller('dispatcher'));
    const dispatcher = localDispatcher(
      { ...env, dispatcherEnvironment },
      { metrics, ...options.wrapDispatcher, iam, ...(options.completionEvents ? { completions } : {}) },
    );
    const runner = new EventSourceMappingRunner({
      sqs: dispatcher.sqs,
      settings: deployedMappingSettings(iam.deployed.function),
      queues: env.lanes,
      handler: dispatcher.handler,
      onError: () => {},
    });
    const producer = checkedProducerClient(env, iam);
    const client = producer.client;
    runner.start();
    return {
      env,
      iam,
      dispatcher,
      metrics,
      completions,
      runner,
      client,
      async settle(ids, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const results = await Promise.all(ids.map((id) => client.getResult(id)));
          const open = results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered');
          if (open.length === 0 || Date.now() > deadline) return results;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      async stop() {
        await runner.stop();
        dispatcher.close();
        producer.close();
        await env.stop();
        iam.check.assertNoDenials();
      },
    };
  } catch (error) {
    await env.stop();
    throw error;
  }
}

/** A prospect.create intent for `n`, on `lane`, for `user`. */
export function prospectCreate(n: number, lane: 'critical' | 'standard' | 'bulk' = 'bulk', user = 'u1') {
  return {
    id: `create-${lane}-${n}`,
    user,
    lane,
    operation: { type: 'prospect.create' as const, attributes: { emails: [`p${n}@example.com`], firstName: `P${n}` } },
  };
}
