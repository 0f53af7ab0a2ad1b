/**
 * The whole gate on one machine: DynamoDB Local with the gate table, fauxqs with the lanes, and the Outreach
 * simulator (or an Outreach you name), all on 127.0.0.1 and built from the same settings the CDK stack deploys.
 *
 * @example
 * const env = await startLocalEnvironment({ outreachUsers: ['u1'], budgetPerWindow: 100, budgetWindowSeconds: 10 });
 * Object.assign(process.env, env.environmentVariables); // what the stack sets on the dispatcher, pointing here
 * const runner = new EventSourceMappingRunner({ sqs: env.clients.sqs, settings: env.settings, queues: env.lanes, handler });
 * runner.start();
 * // … enqueue intents on env.lanes.<lane>.queueUrl …
 * await runner.stop();
 * await env.stop();
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  type DispatcherEnvironment,
  environmentConfigText,
  type LaneEndpoints,
  readDispatcherEnvironment,
  usersFileText,
} from '../lambdas/shared/config';
import { ENV, METRICS_NAMESPACE_PREFIX } from '../lambdas/shared/names';
import { type GateSettings, type GateSettingsInput, resolveGateSettings } from '../lib/settings';
import {
  createGateTable,
  DYNAMODB_LOCAL_CLIENT_CONFIG,
  type DynamoDbLocal,
  dynamoDbLocalClient,
  type StartDynamoDbLocalOptions,
  startDynamoDbLocal,
} from './emulators/dynamodb';
import { createLaneQueues, createLocalSqsClient, startSqsEmulator } from './emulators/sqs';
import { type RunningSimulator, type SimulatorStartOptions, startOutreachSimulator } from './outreach-sim';

/** Options of {@link startLocalEnvironment}: the stack's settings input, plus where things run locally. */
export interface LocalEnvironmentOptions extends GateSettingsInput {
  /**
   * Origin of an Outreach to use instead of starting the simulator (its API under `/api/v2`, its token
   * endpoint at `/oauth/token`). Set this, not `outreachBaseUrl`/`outreachTokenUrl`.
   * @default - the Outreach simulator is started
   */
  readonly outreachUrl?: string;
  /**
   * Options of the Outreach simulator.
   * @default - the settings' users, budget per window, window length and refill mode
   */
  readonly simulator?: SimulatorStartOptions;
  /** @default 'outreach-gate-local' */
  readonly tableName?: string;
  /**
   * How DynamoDB Local runs: with `dbPath` its data is kept in files, so that {@link LocalEnvironment.dynamodbLocal}
   * can be restarted on the same data. @default - in memory, ready within 15 s
   */
  readonly dynamodb?: Pick<StartDynamoDbLocalOptions, 'dbPath' | 'readyTimeoutMs'>;
  /** Prefix of the lane queue names (`<prefix>-<lane>.fifo`, `<prefix>-<lane>-dlq.fifo`). @default 'outreach-gate' */
  readonly queuePrefix?: string;
  /**
   * Stop everything and exit when this process gets SIGINT or SIGTERM, so no emulator outlives it.
   * @default true
   */
  readonly stopOnSignals?: boolean;
}

/** A running local environment. */
export interface LocalEnvironment {
  /** The resolved settings; the runtime configuration points at the local Outreach. */
  readonly settings: GateSettings;
  /** The settings input the environment was built from (without the local Outreach's URLs): what the stack synthesizes. */
  readonly settingsInput: GateSettingsInput;
  readonly tableName: string;
  /** Each lane's queue URL, ARN and dead-letter queue URL. */
  readonly lanes: LaneEndpoints;
  /** Where each emulator listens; `outreach` is the origin of the Outreach in use. */
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly outreach: string };
  /** The Outreach simulator, when it was started. */
  readonly simulator?: RunningSimulator;
  /** The DynamoDB Local process (to stop and restart it when it keeps its data in files). */
  readonly dynamodbLocal: DynamoDbLocal;
  /** Clients for the emulators, created once; closed by {@link LocalEnvironment.stop}. */
  readonly clients: { readonly sqs: SQSClient; readonly dynamodb: DynamoDBClient };
  /**
   * What the dispatcher reads at cold start, read from {@link environmentVariables} and the users file as the
   * Lambda reads them. There is no local Secrets Manager: the app secret's ARN is a placeholder, and each user's
   * refresh-token secret is named `<prefix>/<user>` as in AWS.
   */
  readonly dispatcherEnvironment: DispatcherEnvironment;
  /** The users file the dispatcher and the monitor read (written here as the stack's layer ships it). */
  readonly usersFile: string;
  /**
   * The dispatcher's environment variables as the stack sets them, plus the AWS SDK's endpoint, region and
   * credential variables that point its SQS and DynamoDB clients at the emulators.
   */
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** Stops everything this environment started and waits for it. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Raised for options the local environment cannot work with; the message names the option. */
export class LocalEnvironmentError extends Error {
  override readonly name = 'LocalEnvironmentError';
}

/** Account id of the placeholder ARNs (the one the emulators use). */
const LOCAL_ACCOUNT = '000000000000';

/** The CloudWatch namespace the local dispatcher is given (a local run records its metrics in memory). */
export const LOCAL_METRICS_NAMESPACE = `${METRICS_NAMESPACE_PREFIX}/local`;

/** Prefix of the local refresh-token secrets' names, unless the settings name one. */
export const LOCAL_SECRET_PREFIX = 'outreach-gate-local/refresh-token';

/** Environments that still have something running, stopped on SIGINT/SIGTERM. */
const live = new Set<() => Promise<void>>();
let signalsHooked = false;

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  void Promise.allSettled([...live].map((stop) => stop())).finally(() => process.exit(code));
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhookSignalsWhenIdle(): void {
  if (!signalsHooked || live.size > 0) return;
  signalsHooked = false;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

function outreachOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new LocalEnvironmentError(`outreachUrl must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LocalEnvironmentError(`outreachUrl must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Starts DynamoDB Local, the SQS emulator and (unless `outreachUrl` is given) the Outreach simulator on free
 * ports of 127.0.0.1, and creates the gate table and every lane from `resolveGateSettings(options)`, as the
 * stack does. If anything fails, whatever already started is stopped before the error is thrown.
 * @throws GateSettingsError for invalid settings, DynamoDbLocalError when Java is missing, LocalEnvironmentError
 *   for invalid local options.
 */
export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  const { outreachUrl, simulator: simulatorOptions, stopOnSignals = true, ...input } = options;
  const tableName = options.tableName ?? 'outreach-gate-local';
  const queuePrefix = options.queuePrefix ?? 'outreach-gate';
  if (input.outreachBaseUrl !== undefined || input.outreachTokenUrl !== undefined) {
    throw new LocalEnvironmentError(
      'outreachBaseUrl and outreachTokenUrl are set by the local environment; give outreachUrl (the origin) to use an Outreach other than the simulator',
    );
  }
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new LocalEnvironmentError(`tableName must be 3–255 letters, digits, '_', '-' or '.', got "${tableName}"`);
  }
  const gateInput = {
    ...stripLocalOptions(input),
    refreshTokenSecretPrefix: input.refreshTokenSecretPrefix ?? LOCAL_SECRET_PREFIX,
  };
  // Validate first so that bad settings fail before anything is started.
  const draft = resolveGateSettings(gateInput);
  const origin = outreachUrl === undefined ? undefined : outreachOrigin(outreachUrl);

  const stoppers: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const results = await Promise.allSettled(stoppers.map((stopOne) => stopOne()));
      live.delete(stop);
      unhookSignalsWhenIdle();
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return stopping;
  };
  if (stopOnSignals) {
    live.add(stop);
    hookSignals();
  }

  try {
    const [dynamodb, sqsEmulator, simulator] = await startAll(
      [
        () => startDynamoDbLocal(options.dynamodb),
        () => startSqsEmulator(),
        () =>
          origin === undefined
            ? startOutreachSimulator({
                users: [...draft.gate.users],
                budget: draft.gate.budget.limitPerWindow,
                windowSeconds: draft.gate.budget.windowSeconds,
                mode: draft.gate.budget.refill === 'leaky-bucket' ? 'leaky' : 'fixed',
                ...simulatorOptions,
              })
            : Promise.resolve(undefined),
      ] as const,
      stoppers,
    );

    const outreach = origin ?? (simulator as RunningSimulator).url;
    const settings = resolveGateSettings({
      ...gateInput,
      outreachBaseUrl: simulator?.apiBaseUrl ?? `${outreach}/api/v2`,
      outreachTokenUrl: simulator?.tokenUrl ?? `${outreach}/oauth/token`,
    });

    const clients = {
      dynamodb: dynamoDbLocalClient(dynamodb.endpoint),
      sqs: createLocalSqsClient(sqsEmulator.endpoint),
    };
    stoppers.push(async () => {
      clients.sqs.destroy();
      clients.dynamodb.destroy();
    });

    await createGateTable(clients.dynamodb, tableName);
    const lanes = await createLaneQueues(clients.sqs, settings, queuePrefix);

    const usersDirectory = mkdtempSync(join(tmpdir(), 'outreach-gate-users-'));
    stoppers.push(async () => rmSync(usersDirectory, { recursive: true, force: true }));
    const usersFile = join(usersDirectory, 'users.json');
    writeFileSync(usersFile, usersFileText(settings.gate.users));
    const variables = environmentVariables(
      {
        tableName,
        lanes,
        config: settings.gate,
        appSecretArn: localSecretArn('app'),
        refreshTokenSecretPrefix: gateInput.refreshTokenSecretPrefix,
        metricsNamespace: LOCAL_METRICS_NAMESPACE,
      },
      usersFile,
      dynamodb.endpoint,
      sqsEmulator.endpoint,
    );
    const dispatcherEnvironment = readDispatcherEnvironment(variables);

    return {
      settings,
      settingsInput: gateInput,
      tableName,
      lanes,
      endpoints: { dynamodb: dynamodb.endpoint, sqs: sqsEmulator.endpoint, outreach },
      ...(simulator !== undefined && { simulator }),
      dynamodbLocal: dynamodb,
      clients,
      dispatcherEnvironment,
      usersFile,
      environmentVariables: variables,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The settings input without the options that only concern the local environment. */
function stripLocalOptions(input: Omit<LocalEnvironmentOptions, 'outreachUrl' | 'simulator' | 'stopOnSignals'>) {
  const { tableName: _tableName, queuePrefix: _queuePrefix, dynamodb: _dynamodb, ...gateInput } = input;
  return gateInput satisfies GateSettingsInput;
}

type Starters<T extends readonly unknown[]> = { readonly [K in keyof T]: () => Promise<T[K]> };

/**
 * Starts everything at once; each one that starts registers its stop. Throws the first failure once every
 * start has settled, so nothing is left starting in the background.
 */
async function startAll<T extends readonly unknown[]>(
  starters: Starters<T>,
  stoppers: Array<() => Promise<void>>,
): Promise<T> {
  const results = await Promise.allSettled(
    starters.map(async (start) => {
      const started = await start();
      const stopOne = (started as { stop?: () => Promise<void> } | undefined)?.stop;
      if (stopOne) stoppers.push(() => stopOne.call(started));
      return started;
    }),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function localSecretArn(name: string): string {
  return `arn:aws:secretsmanager:${DYNAMODB_LOCAL_CLIENT_CONFIG.region}:${LOCAL_ACCOUNT}:secret:outreach-gate-local/${name}`;
}

function environmentVariables(
  environment: DispatcherEnvironment,
  usersFile: string,
  dynamodbEndpoint: string,
  sqsEndpoint: string,
): Record<string, string> {
  return {
    [ENV.tableName]: environment.tableName,
    [ENV.lanes]: JSON.stringify(environment.lanes),
    [ENV.config]: environmentConfigText(environment.config),
    [ENV.appSecretArn]: environment.appSecretArn,
    [ENV.refreshTokenSecretPrefix]: environment.refreshTokenSecretPrefix,
    [ENV.usersFile]: usersFile,
    [ENV.metricsNamespace]: environment.metricsNamespace,
    AWS_REGION: DYNAMODB_LOCAL_CLIENT_CONFIG.region,
    AWS_ACCESS_KEY_ID: DYNAMODB_LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DYNAMODB_LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  };
}
