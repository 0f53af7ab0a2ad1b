import { type DispatcherEnvironment, type GateConfig, refreshTokenSecretName } from '../../lambdas/shared/config';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import type { SecretStore } from '../../lambdas/tokens/ports';
import type { OutreachGateClient } from '../../lib/client';
import {
  checkedProducerClient,
  type LocalDispatcher,
  localDispatcher,
  localSecretStore,
  simulatorCredentials,
} from '../../local/dispatcher';
import { type LocalEnvironment, type LocalEnvironmentOptions, startLocalEnvironment } from '../../local/environment';
import type { DeployedStack } from '../../local/iam/deployed-stack';
import { type LocalIamCheck, localIamCheck } from '../../local/iam/local-check';
import { mapLimit } from '../../local/map-limit';
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
  /** Puts `token` in `user`'s refresh-token secret, as an operator re-authorising the user does. */
  setRefreshToken(user: string, token: string): Promise<void>;
  /**
   * Reads the results of `ids`, a bounded number at once, each read the loaded emulators did not answer asked
   * again (up to three times) before it fails the caller.
   */
  readResults(ids: readonly string[]): Promise<IntentResult[]>;
  /** Polls the results until every id is succeeded or dead-lettered, or the time is up. */
  settle(ids: readonly string[], timeoutMs: number): Promise<IntentResult[]>;
  /** Stops everything, then fails naming every call AWS would have denied, if any was made. */
  stop(): Promise<void>;
}

/** How to start a pipeline: the local environment's options, and how its dispatcher differs from the deployed one. */
export type PipelineOptions = LocalEnvironmentOptions & {
  readonly simulator?: SimulatorStartOptions;
  /** Patches the dispatcher's runtime configuration (e.g. a shorter backoff). @default - as the settings resolve */
  readonly config?: (config: GateConfig) => GateConfig;
  /** Options of the dispatcher, its secret store among them. @default - the simulator's credentials in memory */
  readonly wrapDispatcher?: Parameters<typeof localDispatcher>[1];
  /**
   * The users whose refresh tokens are in the secret store at the start; the others' secrets exist but hold nothing
   * yet, as after the first deploy. @default - every user
   */
  readonly refreshTokenUsers?: readonly string[];
  /** Check against this stack instead of the one synthesized from the options (e.g. one lacking a grant). */
  readonly deployed?: (synthesized: DeployedStack) => DeployedStack;
};

/** Starts the pipeline. */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
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
    const secrets = pipelineSecrets(dispatcherEnvironment, options);
    const dispatcher = localDispatcher(
      { ...env, dispatcherEnvironment },
      { metrics, secrets, ...options.wrapDispatcher, iam, ...(options.completionEvents ? { completions } : {}) },
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
      setRefreshToken: (user, token) =>
        secrets.putSecretString(refreshTokenSecretName(dispatcherEnvironment.refreshTokenSecretPrefix, user), token),
      readResults: (ids) => readResults(client, ids),
      async settle(ids, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        const results = new Map<string, IntentResult>();
        for (;;) {
          const open = ids.filter((id) => !isSettled(results.get(id)));
          for (const result of await readResults(client, open)) results.set(result.id, result);
          if (ids.every((id) => isSettled(results.get(id))) || Date.now() > deadline) {
            return ids.map((id) => results.get(id) as IntentResult);
          }
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

/** A pipeline shared by the tests of a block, available from its first test on. */
export interface SharedPipeline {
  readonly pipeline: Pipeline;
}

/**
 * Starts the pipeline before the enclosing block's first test and stops it after its last: one start-up of the
 * emulators for all of the block's tests. `startTimeoutMs` bounds the start (emulators and a synthesis).
 */
export function sharedPipeline(options: PipelineOptions, startTimeoutMs = 120_000): SharedPipeline {
  let running: Pipeline | undefined;
  beforeAll(async () => {
    running = await startPipeline(options);
  }, startTimeoutMs);
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get pipeline() {
      if (running === undefined) throw new Error('the shared pipeline is used before it started');
      return running;
    },
  };
}

/** The dispatcher's secret store: the one `wrapDispatcher` names, else the simulator's credentials in memory. */
function pipelineSecrets(environment: DispatcherEnvironment, options: PipelineOptions): SecretStore {
  if (options.wrapDispatcher?.secrets !== undefined) return options.wrapDispatcher.secrets;
  const credentials =
    options.wrapDispatcher?.credentials ?? simulatorCredentials(options.refreshTokenUsers ?? environment.config.users);
  return localSecretStore(environment, credentials);
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

const isSettled = (result: IntentResult | undefined) =>
  result !== undefined && (result.status === 'succeeded' || result.status === 'dead-lettered');

/** See {@link Pipeline.readResults}. */
function readResults(client: OutreachGateClient, ids: readonly string[]): Promise<IntentResult[]> {
  return mapLimit(ids, 16, async (id) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.getResult(id);
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  });
}
