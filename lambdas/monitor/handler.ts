import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { LambdaEventSourceSwitch } from '../adapters/lambda-event-source-switch';
import { PowertoolsMonitorMetrics } from '../adapters/powertools-monitor-metrics';
import { awsClientConfig } from '../shared/aws-client-timeouts';
import { MONITOR_SERVICE_NAME } from '../shared/names';
import { readMonitorEnvironment } from './environment';
import { type MonitorParts, type MonitorTick, monitorTick } from './monitor';
import { wireMonitor } from './wiring';

const logger = new Logger({ serviceName: MONITOR_SERVICE_NAME });

let parts: MonitorParts | undefined;
/** Created at cold start with the gate's namespace, once the environment has been read and checked. */
let metrics: Metrics | undefined;

/** Built once per cold start: the environment is read and checked here, and fails fast if it is wrong. */
function monitorParts(): MonitorParts {
  if (parts !== undefined) return parts;
  const environment = readMonitorEnvironment();
  metrics = new Metrics({ namespace: environment.metricsNamespace, serviceName: MONITOR_SERVICE_NAME });
  // The defaults fit the monitor's 30 s timeout (lib/constructs/monitor.ts): a stalled call still leaves time.
  const aws = awsClientConfig();
  parts = wireMonitor({
    environment,
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(aws)),
    lanesSwitch: new LambdaEventSourceSwitch(new LambdaClient(aws), environment.mappings),
    metrics: new PowertoolsMonitorMetrics(metrics),
    logger: { info: (message, extra) => logger.info(message, { ...extra }) },
  });
  return parts;
}

/** The monitor Lambda, run every minute: publishes each user's gate gauges and pauses or resumes the lanes. */
export async function handler(_event: unknown, context: Context): Promise<MonitorTick> {
  logger.addContext(context);
  try {
    return await monitorTick(monitorParts(), Date.now());
  } finally {
    metrics?.publishStoredMetrics();
  }
}
