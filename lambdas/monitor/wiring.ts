import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbGateStore } from '../adapters/dynamodb-gate-store';
import { DynamoDbPumpPauses } from '../adapters/dynamodb-pump-pauses';
import { LANES } from '../shared/names';
import type { MonitorEnvironment } from './environment';
import type { MonitorParts } from './monitor';
import type { LaneSwitch, MonitorLogger, MonitorMetrics } from './ports';

/** The clients and sinks a monitor is built on: AWS's in Lambda, emulators' locally. */
export interface MonitorWiring {
  /** What the monitor reads at cold start; its metrics namespace is the metrics sink's business. */
  readonly environment: Omit<MonitorEnvironment, 'metricsNamespace'>;
  readonly documents: DynamoDBDocumentClient;
  readonly lanesSwitch: LaneSwitch;
  readonly metrics: MonitorMetrics;
  readonly logger: MonitorLogger;
}

/** Builds a monitor tick's parts; the Lambda handler and the tests both call this. */
export function wireMonitor(wiring: MonitorWiring): MonitorParts {
  const { environment, documents } = wiring;
  return {
    config: environment.config,
    lanes: LANES,
    pauseAfterMs: environment.pauseAfterMs,
    gate: new DynamoDbGateStore(documents, { tableName: environment.tableName, config: environment.config }),
    pauses: new DynamoDbPumpPauses(documents, environment.tableName),
    lanesSwitch: wiring.lanesSwitch,
    metrics: wiring.metrics,
    logger: wiring.logger,
  };
}
