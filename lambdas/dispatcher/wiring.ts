import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFormingBatches } from '../adapters/dynamodb-forming-batches';
import { DynamoDbGateStore } from '../adapters/dynamodb-gate-store';
import { DynamoDbIntentStore } from '../adapters/dynamodb-intent-store';
import { DynamoDbTokenStore } from '../adapters/dynamodb-token-store';
import { FetchOAuthClient } from '../adapters/oauth-client';
import { SqsLaneQueues } from '../adapters/sqs-lane-queues';
import type { GateStore } from '../gate';
import { loggingGateObserver } from '../gate/observer';
import { FetchOutreachApi } from '../outreach/client';
import { type DispatcherEnvironment, refreshTokenSecretName } from '../shared/config';
import type { SecretStore } from '../tokens/ports';
import { SharedTokenCache } from '../tokens/token-cache';
import { createBatchHandler, type SqsBatchHandler } from './batch';
import { BulkEnrolmentRunner } from './bulk-enrolment';
import { Coalescer } from './coalescer';
import { type DispatchLogger, IntentDispatcher } from './dispatch';
import type { CompletionEvents, FormingBatches, GateMetrics, IntentStore } from './ports';

/** The clients and sinks a dispatcher is built on: AWS's in Lambda, emulators' locally. */
export interface DispatcherParts {
  readonly environment: DispatcherEnvironment;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly secrets: SecretStore;
  readonly metrics: GateMetrics;
  readonly logger: DispatchLogger;
  readonly clock?: () => number;
  readonly fetch?: typeof fetch;
  /** Wraps the intent store, e.g. to inject a crash at a chosen point in a test. @default - used as built */
  readonly decorateIntents?: (store: IntentStore) => IntentStore;
  /** Wraps the gate store the dispatcher calls, e.g. to inject a failure in a test. @default - used as built */
  readonly decorateGate?: (gate: GateStore) => GateStore;
  /** Wraps the forming batches of coalescing, e.g. to lose a join's answer in a test. @default - used as built */
  readonly decorateBatches?: (batches: FormingBatches) => FormingBatches;
  /** Where completion events go (EventBridge in Lambda when the stack enables them). @default - none published */
  readonly completions?: CompletionEvents;
}

/** A dispatcher wired from its parts, with its gate store exposed for figures (DynamoDB requests). */
export interface WiredDispatcher {
  readonly handler: SqsBatchHandler;
  readonly dispatcher: IntentDispatcher;
  readonly gate: DynamoDbGateStore;
}

/**
 * Builds the dispatcher from its parts. The Lambda handler and the local runner both call this, so the same
 * code runs in AWS, on one machine and in the tests; only the clients differ.
 */
export function wireDispatcher(parts: DispatcherParts): WiredDispatcher {
  const { environment, documents, sqs, secrets, metrics, logger } = parts;
  const { config } = environment;
  const clock = parts.clock ?? Date.now;
  const decorate = parts.decorateIntents ?? ((store: IntentStore) => store);
  const gate = new DynamoDbGateStore(documents, {
    tableName: environment.tableName,
    config,
    clock,
    observer: loggingGateObserver(logger),
  });
  const queues = new SqsLaneQueues(sqs, environment.lanes);
  const tokens = new SharedTokenCache({
    records: new DynamoDbTokenStore(documents, { tableName: environment.tableName }),
    secrets,
    oauth: new FetchOAuthClient({
      tokenUrl: config.outreach.tokenUrl,
      timeoutMs: config.outreach.requestTimeoutMs,
      secrets,
      appSecretId: environment.appSecretArn,
      clock,
      ...(parts.fetch ? { fetch: parts.fetch } : {}),
    }),
    refreshTokenSecretIds: Object.fromEntries(
      config.users.map((user) => [user, refreshTokenSecretName(environment.refreshTokenSecretPrefix, user)]),
    ),
    config,
    clock,
    logger,
    metrics,
  });
  const outreach = new FetchOutreachApi({
    baseUrl: config.outreach.baseUrl,
    timeoutMs: config.outreach.requestTimeoutMs,
    clock,
    ...(parts.fetch ? { fetch: parts.fetch } : {}),
  });
  const intents = decorate(
    new DynamoDbIntentStore(documents, {
      tableName: environment.tableName,
      recordTtlSeconds: config.intents.recordTtlSeconds,
    }),
  );
  const dispatcher = new IntentDispatcher({
    config,
    lanes: environment.lanes,
    gate: parts.decorateGate ? parts.decorateGate(gate) : gate,
    outreach,
    tokens,
    intents,
    queues,
    metrics,
    logger,
    clock,
    ...(parts.completions ? { completions: parts.completions } : {}),
  });
  const settings = config.coalescing;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const coalescer =
    settings?.enabled === true
      ? new Coalescer({
          dispatcher,
          intents,
          batches: (parts.decorateBatches ?? ((batches: FormingBatches) => batches))(
            new DynamoDbFormingBatches(documents, { tableName: environment.tableName, settings }),
          ),
          queues,
          runner: new BulkEnrolmentRunner({
            dispatcher,
            outreach,
            tokens,
            intents,
            queues,
            metrics,
            logger,
            config,
            clock,
            sleep,
            random: Math.random,
          }),
          metrics,
          logger,
          config,
          settings,
          clock,
          sleep,
        })
      : undefined;
  return { handler: createBatchHandler(dispatcher, queues, logger, coalescer), dispatcher, gate };
}
