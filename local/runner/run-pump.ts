import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GateConfig } from '../../lambdas/shared/config';
import type { GateSettings } from '../../lib/settings';
import {
  LOCAL_CONTROL_FILE,
  type PauseCounters,
  type PublishableEnvironment,
  publishLocalRun,
} from '../local-run-file';
import type { PumpCounts } from '../report/types';
import { LocalPump } from './pump';

/** What a local run's pump needs of the environment. */
export interface PumpEnvironment extends PublishableEnvironment {
  readonly settings: Pick<GateSettings, 'pumpPauseAfterSeconds'>;
  readonly clients: PublishableEnvironment['clients'] & { readonly dynamodb: DynamoDBClient };
}

/** Options of {@link startRunPump}. */
export interface RunPumpOptions {
  /** The dispatcher's configuration as it runs locally. */
  readonly config: GateConfig;
  /** Simulated ms per wall ms: the threshold and the monitor's minute are compressed by it. */
  readonly timeScale: number;
  /** Told about each pause and resume. @default - nothing */
  readonly log?: (line: string) => void;
}

/** A local run's pausable receives and, when the run has a control file, its pump. */
export interface RunPump {
  /** The client the event source mappings poll with: receives of paused lanes are skipped and counted. */
  readonly sqs: SQSClient;
  /** Stops the pump; resolves once its tick in progress has ended. */
  stop(): Promise<void>;
  /** What the pump did, in the report's terms; undefined without a control file (no report folder). */
  counts(): PumpCounts | undefined;
}

/**
 * Publishes the run (see {@link publishLocalRun}) and starts the pump that pauses a lane while every user it
 * serves cools down longer than `pumpPauseAfterSeconds`, ticking once a simulated minute as the monitor does.
 * Without `reportDir` there is no control file: nothing pauses and the receives go straight to SQS.
 */
export function startRunPump(
  env: PumpEnvironment,
  reportDir: string | undefined,
  sqs: SQSClient,
  options: RunPumpOptions,
): RunPump {
  const paused: PauseCounters = { receivesAvoided: 0 };
  const polled = publishLocalRun(env, reportDir, sqs, paused);
  if (reportDir === undefined) return { sqs: polled, stop: async () => {}, counts: () => undefined };
  const pauseAfterMs = env.settings.pumpPauseAfterSeconds * 1000;
  const pump = new LocalPump({
    documents: DynamoDBDocumentClient.from(env.clients.dynamodb),
    tableName: env.tableName,
    config: options.config,
    controlFile: join(reportDir, LOCAL_CONTROL_FILE),
    pauseAfterMs: pauseAfterMs / options.timeScale,
    tickMs: Math.max(250, 60_000 / options.timeScale),
    ...(options.log && { log: options.log }),
  });
  pump.start();
  return {
    sqs: polled,
    stop: () => pump.stop(),
    counts: () => ({ pauseAfterMs, ...pump.counters(), receivesAvoided: paused.receivesAvoided }),
  };
}
