import type { GateConfig } from '../../lambdas/shared/config';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import type { OutreachGateClient } from '../../lib/client';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, type LocalEnvironmentOptions, startLocalEnvironment } from '../../local/environment';
import type { SimulatorStartOptions } from '../../local/outreach-sim';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';

/** The whole pipeline on emulators: environment, real dispatcher, event source mappings and a producer. */
export interface Pipeline {
  readonly env: LocalEnvironment;
  readonly dispatcher: LocalDispatcher;
  readonly metrics: RecordingGateMetrics;
  readonly runner: EventSourceMappingRunner;
  readonly client: OutreachGateClient;
  /** Polls getResult until every id is succeeded or dead-lettered, or the time is up. */
  settle(ids: readonly string[], timeoutMs: number): Promise<IntentResult[]>;
  stop(): Promise<void>;
}

/** Starts the pipeline. `config` patches the dispatcher's runtime configuration (e.g. a shorter backoff). */
export async function startPipeline(
  options: LocalEnvironmentOptions & {
    readonly simulator?: SimulatorStartOptions;
    readonly config?: (config: GateConfig) => GateConfig;
    readonly wrapDispatcher?: Parameters<typeof localDispatcher>[1];
  },
): Promise<Pipeline> {
  const env = await startLocalEnvironment({ stopOnSignals: false, ...options });
  try {
    const dispatcherEnvironment = {
      ...env.dispatcherEnvironment,
      config: options.config ? options.config(env.dispatcherEnvironment.config) : env.dispatcherEnvironment.config,
    };
    const metrics = new RecordingGateMetrics();
    const dispatcher = localDispatcher({ ...env, dispatcherEnvironment }, { metrics, ...options.wrapDispatcher });
    const runner = new EventSourceMappingRunner({
      sqs: env.clients.sqs,
      settings: env.settings,
      queues: env.lanes,
      handler: dispatcher.handler,
      onError: () => {},
    });
    const client = localProducerClient(env);
    runner.start();
    return {
      env,
      dispatcher,
      metrics,
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
        await env.stop();
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
