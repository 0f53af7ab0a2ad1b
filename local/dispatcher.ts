import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InMemorySecretStore } from '../lambdas/adapters/in-memory-secrets';
import type { DispatchLogger } from '../lambdas/dispatcher/dispatch';
import type { CompletionEvents, GateMetrics } from '../lambdas/dispatcher/ports';
import { type DispatcherParts, type WiredDispatcher, wireDispatcher } from '../lambdas/dispatcher/wiring';
import { type DispatcherEnvironment, refreshTokenSecretName } from '../lambdas/shared/config';
import type { SecretStore } from '../lambdas/tokens/ports';
import { OutreachGateClient } from '../lib/client';
import { dynamoDbLocalClient } from './emulators/dynamodb';
import { createLocalSqsClient } from './emulators/sqs';
import type { LocalEnvironment } from './environment';
import type { LocalIamCheck } from './iam/local-check';
import { checkIamOnClient, checkIamOnSecrets } from './iam/middleware';
import { enforceSqsLimits } from './limits/sqs-limits';
import { RecordingGateMetrics } from './recording-metrics';
import { abandonableFetch, refuseCallsOfAbandonedInvocations } from './runner/invocation-scope';

/** The OAuth app and users' refresh tokens a local run authenticates with. */
export interface LocalCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Refresh token by user. */
  readonly refreshTokens: Readonly<Record<string, string>>;
}

/** The Outreach simulator's development credentials for `users`. */
export function simulatorCredentials(users: readonly string[]): LocalCredentials {
  return {
    clientId: 'sim-client',
    clientSecret: 'sim-secret',
    refreshTokens: Object.fromEntries(users.map((user) => [user, `refresh-${user}`])),
  };
}

/** A dispatcher wired to a local environment, with what it measured and how many DynamoDB requests it made. */
export interface LocalDispatcher extends WiredDispatcher {
  readonly metrics: GateMetrics;
  /**
   * The dispatcher's own SQS client (checked as the dispatcher's role when an IAM check is given): the event
   * source mappings poll with it too, as Lambda's pollers use the function's role.
   */
  readonly sqs: SQSClient;
  /** DynamoDB requests made by this dispatcher (every adapter; counted at the client). */
  dynamodbRequests(): number;
  /** Closes the dispatcher's own clients. */
  close(): void;
}

/** A producer client with clients of its own, every call checked as the producer role; `close` destroys them. */
export function checkedProducerClient(
  environment: Pick<LocalEnvironment, 'lanes' | 'tableName' | 'endpoints'>,
  iam: LocalIamCheck,
): { readonly client: OutreachGateClient; close(): void } {
  const caller = iam.caller('producer');
  const sqs = checkIamOnClient(enforceSqsLimits(createLocalSqsClient(environment.endpoints.sqs)), 'sqs', caller);
  const dynamodb = checkIamOnClient(dynamoDbLocalClient(environment.endpoints.dynamodb), 'dynamodb', caller);
  const client = localProducerClient({ ...environment, clients: { sqs, dynamodb } });
  return {
    client,
    close: () => {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

/** A producer client for a local environment's lanes and table, on its own clients, with its settings' request policy. */
export function localProducerClient(
  environment: Pick<LocalEnvironment, 'lanes' | 'tableName' | 'clients'> & Partial<Pick<LocalEnvironment, 'settings'>>,
): OutreachGateClient {
  const { lanes } = environment;
  const requestPolicy = environment.settings?.gate.requestPolicy;
  return new OutreachGateClient({
    laneUrls: { critical: lanes.critical.queueUrl, standard: lanes.standard.queueUrl, bulk: lanes.bulk.queueUrl },
    tableName: environment.tableName,
    sqs: environment.clients.sqs,
    dynamodb: environment.clients.dynamodb,
    ...(requestPolicy === undefined ? {} : { requestPolicy }),
  });
}

/** The app secret and each user's refresh token of `credentials`, in memory, at the ARNs the dispatcher reads. */
export function localSecretStore(env: DispatcherEnvironment, credentials: LocalCredentials): InMemorySecretStore {
  return new InMemorySecretStore({
    [env.appSecretArn]: JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
    ...Object.fromEntries(
      env.config.users.flatMap((user) => {
        const token = credentials.refreshTokens[user];
        return token === undefined ? [] : [[refreshTokenSecretName(env.refreshTokenSecretPrefix, user), token]];
      }),
    ),
  });
}

/** A logger that writes nothing: local runs report through metrics and the report. */
export const QUIET_LOGGER: DispatchLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Builds the real dispatcher on a local environment: the same wiring as the Lambda, with the emulators'
 * clients and the local credentials in an in-memory secret store (there is no local Secrets Manager). Its SQS client
 * refuses calls over SQS's limits; its SQS and
 * DynamoDB clients and its fetch refuse calls of an invocation the runner abandoned at its timeout; with `iam`,
 * every SQS, DynamoDB and secret call is checked against the dispatcher role's policies before it is made.
 */
export function localDispatcher(
  environment: Pick<LocalEnvironment, 'clients' | 'endpoints'> & {
    readonly dispatcherEnvironment: DispatcherEnvironment;
  },
  options: {
    readonly credentials?: LocalCredentials;
    readonly metrics?: GateMetrics;
    readonly logger?: DispatchLogger;
    readonly clock?: () => number;
    readonly decorateIntents?: DispatcherParts['decorateIntents'];
    readonly decorateGate?: DispatcherParts['decorateGate'];
    readonly decorateBatches?: DispatcherParts['decorateBatches'];
    readonly iam?: LocalIamCheck;
    /** Where completion events go (see recording-completion-events.ts). @default - none published */
    readonly completions?: CompletionEvents;
    /** Secrets kept elsewhere (e.g. by a parent process), used instead of an in-memory store of `credentials`. */
    readonly secrets?: SecretStore;
    /** How Outreach and its token endpoint are called (e.g. one that fails at a chosen request). @default fetch */
    readonly fetch?: typeof fetch;
  } = {},
): LocalDispatcher {
  const env = environment.dispatcherEnvironment;
  const credentials = options.credentials ?? simulatorCredentials(env.config.users);
  const stored = options.secrets ?? localSecretStore(env, credentials);
  const caller = options.iam?.caller('dispatcher');
  const secrets = caller ? checkIamOnSecrets(stored, caller) : stored;
  // Clients of its own, so that the requests counted and checked are this dispatcher's.
  const dynamodb = refuseCallsOfAbandonedInvocations(dynamoDbLocalClient(environment.endpoints.dynamodb));
  const sqs = refuseCallsOfAbandonedInvocations(enforceSqsLimits(createLocalSqsClient(environment.endpoints.sqs)));
  if (caller) {
    checkIamOnClient(dynamodb, 'dynamodb', caller);
    checkIamOnClient(sqs, 'sqs', caller);
  }
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  let requests = 0;
  documents.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countDynamoDbRequests' },
  );
  const metrics = options.metrics ?? new RecordingGateMetrics();
  const wired = wireDispatcher({
    environment: env,
    documents,
    sqs,
    secrets,
    fetch: abandonableFetch(options.fetch),
    metrics,
    logger: options.logger ?? QUIET_LOGGER,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.decorateIntents ? { decorateIntents: options.decorateIntents } : {}),
    ...(options.decorateGate ? { decorateGate: options.decorateGate } : {}),
    ...(options.decorateBatches ? { decorateBatches: options.decorateBatches } : {}),
    ...(options.completions ? { completions: options.completions } : {}),
  });
  return {
    ...wired,
    metrics,
    sqs,
    dynamodbRequests: () => requests,
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}
