import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EventBridgeCompletionEvents } from '../adapters/eventbridge-completion-events';
import { PowertoolsGateMetrics } from '../adapters/powertools-metrics';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-store';
import { awsClientConfig, awsClientTimeouts } from '../shared/aws-client-timeouts';
import { dispatcherEnvironment } from '../shared/config';
import { SERVICE_NAME } from '../shared/names';
import type { SqsBatchHandler } from './batch';
import { wireDispatcher } from './wiring';

const logger = new Logger({ serviceName: SERVICE_NAME });
/** Off unless the stack's `tracing` setting turns it on (`POWERTOOLS_TRACE_ENABLED`); then every call is traced. */
const tracer = new Tracer({ serviceName: SERVICE_NAME });

let handle: SqsBatchHandler | undefined;
/** Created at cold start with the gate's namespace, once the environment has been read and checked. */
let metrics: Metrics | undefined;

/** Built once per cold start: the environment is read and checked here, and fails fast if it is wrong. */
function dispatcherHandler(): SqsBatchHandler {
  if (handle) return handle;
  const environment = dispatcherEnvironment();
  metrics = new Metrics({ namespace: environment.metricsNamespace, serviceName: SERVICE_NAME });
  // A lease lives as long as the function may run (lib/settings), so its TTL is the function timeout.
  const aws = awsClientConfig(awsClientTimeouts(environment.config.leases.ttlMs / 1000));
  handle = wireDispatcher({
    environment,
    documents: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(aws)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sqs: tracer.captureAWSv3Client(new SQSClient(aws)),
    secrets: new SecretsManagerSecretStore(tracer.captureAWSv3Client(new SecretsManagerClient(aws))),
    metrics: new PowertoolsGateMetrics(metrics),
    logger: {
      info: (message, extra) => logger.info(message, { ...extra }),
      warn: (message, extra) => logger.warn(message, { ...extra }),
      error: (message, extra) => logger.error(message, { ...extra }),
    },
    ...(environment.completionEventBus === undefined
      ? {}
      : {
          completions: new EventBridgeCompletionEvents(
            tracer.captureAWSv3Client(new EventBridgeClient(aws)),
            environment.completionEventBus,
          ),
        }),
  }).handler;
  return handle;
}

/** The dispatcher Lambda: one SQS batch from one lane in, a partial batch response out. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  const segment = tracer.getSegment();
  const invocation = segment?.addNewSubsegment('## dispatcher');
  if (invocation !== undefined) tracer.setSegment(invocation);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    const response = await dispatcherHandler()(event, context);
    tracer.putMetadata('batchItemFailures', response.batchItemFailures.length);
    return response;
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    invocation?.close();
    if (segment !== undefined) tracer.setSegment(segment);
    metrics?.publishStoredMetrics();
  }
}
