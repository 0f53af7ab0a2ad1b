import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, LOCAL_EMULATOR_CLIENT_TIMEOUTS } from '../../lambdas/shared/aws-client-timeouts';
import { type LaneEndpoints, laneEndpointsSchema } from '../../lambdas/shared/config';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { type GateSettings, type LaneSettings, SQS_LIMITS } from '../../lib/settings';

/**
 * The local SQS: fauxqs (an in-memory SQS emulator) run in a child process on 127.0.0.1, and the lanes
 * created in it from the same settings the CDK stack deploys.
 *
 * fauxqs differences worth knowing: a receive returns at most one message per FIFO message group (the group
 * stays locked until that message is deleted or becomes visible again), de-duplication ids are remembered per
 * queue whatever the DeduplicationScope, and queue URLs name hosts (`sqs.us-east-1.localhost`) that need not
 * resolve, so SQS clients must be given the emulator's endpoint explicitly (see {@link createLocalSqsClient}).
 */

/** A running SQS emulator. */
export interface SqsEmulator {
  /** Where to point an SQS client, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the emulator and waits for its process to exit. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Options of {@link startSqsEmulator}. */
export interface SqsEmulatorOptions {
  /** Port to listen on; 0 lets the system pick a free one. @default 0 */
  readonly port?: number;
  /** Give up if the emulator is not listening within this many milliseconds. @default 15000 */
  readonly startTimeoutMs?: number;
}

/** Raised when the emulator cannot be started; the message includes what it printed. */
export class SqsEmulatorError extends Error {
  override readonly name = 'SqsEmulatorError';
}

const LAUNCHER = join(__dirname, 'sqs-server.mjs');
const STOP_GRACE_MS = 5000;

/**
 * Starts fauxqs in a child process bound to 127.0.0.1. The child exits with this process, however it ends
 * (it watches its stdin, which closes when the parent dies), so it never outlives the tests or the runner.
 */
export async function startSqsEmulator(options: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SqsEmulatorError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  const child = spawn(process.execPath, [LAUNCHER, String(port), '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  let boundPort: number;
  try {
    boundPort = await waitForPort(child, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    process.off('exit', killOnExit);
    await terminate(child);
    throw error;
  }

  // The emulator must not keep this process alive on its own; `stop()` takes a reference again while it waits.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?(): void }).unref?.();

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    stop() {
      stopping ??= terminate(child).finally(() => process.off('exit', killOnExit));
      return stopping;
    },
  };
}

function waitForPort(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      cleanup();
      reject(new SqsEmulatorError(`the SQS emulator did not start: ${why}${stderr ? `\n${stderr.trim()}` : ''}`));
    };
    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const line = stdout.slice(0, newline);
      try {
        const { port } = JSON.parse(line) as { port: unknown };
        if (typeof port !== 'number') throw new Error('no port');
        cleanup();
        resolve(port);
      } catch {
        fail(`unexpected output "${line}"`);
      }
    };
    const onStderr = (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`it exited with ${signal ?? `code ${code}`}`);
    const onError = (error: Error) => fail(error.message);
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onStdout);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout.on('data', onStdout);
    child.stderr.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function terminate(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.ref();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** An SQS client for the emulator, with the gate's AWS client timeouts: explicit endpoint (queue-URL hosts need not resolve), us-east-1, dummy credentials. */
export function createLocalSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    ...awsClientConfig(LOCAL_EMULATOR_CLIENT_TIMEOUTS),
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Name of a lane's queue. */
export const laneQueueName = (prefix: string, lane: Lane): string => `${prefix}-${lane}.fifo`;

/** Name of a lane's dead-letter queue. */
export const deadLetterQueueName = (prefix: string, lane: Lane): string => `${prefix}-${lane}-dlq.fifo`;

/** SQS's longest queue name. */
const MAX_QUEUE_NAME_LENGTH = 80;

function checkPrefix(prefix: string): void {
  const longest = Math.max(...LANES.map((lane) => deadLetterQueueName(prefix, lane).length));
  if (!/^[A-Za-z0-9_-]+$/.test(prefix) || longest > MAX_QUEUE_NAME_LENGTH) {
    throw new SqsEmulatorError(
      `queue name prefix "${prefix}" must be letters, digits, '-' or '_', short enough that every queue name stays within ${MAX_QUEUE_NAME_LENGTH} characters`,
    );
  }
}

/** Attributes both a lane queue and its dead-letter queue get: high-throughput FIFO, kept for the lane's retention. */
function fifoAttributes(lane: LaneSettings): Record<string, string> {
  return {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
    MessageRetentionPeriod: String(lane.retentionSeconds),
    SqsManagedSseEnabled: 'true',
  };
}

/** The attributes of a lane's dead-letter queue, as the CDK stack sets them. */
export function deadLetterQueueAttributes(lane: LaneSettings): Record<string, string> {
  return { ...fifoAttributes(lane), MaximumMessageSize: String(SQS_LIMITS.deadLetterMaxMessageBytes) };
}

/** The attributes of a lane queue, as the CDK stack sets them. */
export function laneQueueAttributes(lane: LaneSettings, deadLetterQueueArn: string): Record<string, string> {
  return {
    ...fifoAttributes(lane),
    MaximumMessageSize: String(SQS_LIMITS.laneMaxMessageBytes),
    VisibilityTimeout: String(lane.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: lane.maxReceiveCount }),
  };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new SqsEmulatorError(`CreateQueue ${name} returned no QueueUrl`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new SqsEmulatorError(`GetQueueAttributes ${name} returned no QueueArn`);
  return { queueUrl: QueueUrl, queueArn };
}

/**
 * Creates every lane's FIFO dead-letter queue and FIFO queue (`<prefix>-<lane>.fifo`,
 * `<prefix>-<lane>-dlq.fifo`) from the gate's settings, and returns their URLs and ARNs as the dispatcher
 * reads them. Creating them again with the same settings is harmless.
 */
export async function createLaneQueues(sqs: SQSClient, settings: GateSettings, prefix: string): Promise<LaneEndpoints> {
  checkPrefix(prefix);
  const endpoints: Partial<Record<Lane, LaneEndpoints[Lane]>> = {};
  for (const lane of LANES) {
    const laneSettings = settings.lanes[lane];
    const deadLetter = await createQueue(
      sqs,
      deadLetterQueueName(prefix, lane),
      deadLetterQueueAttributes(laneSettings),
    );
    const queue = await createQueue(
      sqs,
      laneQueueName(prefix, lane),
      laneQueueAttributes(laneSettings, deadLetter.queueArn),
    );
    endpoints[lane] = { queueUrl: queue.queueUrl, queueArn: queue.queueArn, deadLetterQueueUrl: deadLetter.queueUrl };
  }
  return laneEndpointsSchema.parse(endpoints);
}

/** Every attribute SQS reports for one queue. */
export async function readQueueAttributes(sqs: SQSClient, queueUrl: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

/** A lane's queue and dead-letter queue attributes as read back from SQS. */
export interface LaneQueueAttributes {
  readonly queue: Record<string, string>;
  readonly deadLetterQueue: Record<string, string>;
}

/** Reads back every lane's queue and dead-letter queue attributes, e.g. to compare them with the deployed stack. */
export async function readLaneQueueAttributes(
  sqs: SQSClient,
  lanes: LaneEndpoints,
): Promise<Record<Lane, LaneQueueAttributes>> {
  const entries = await Promise.all(
    LANES.map(async (lane) => {
      const [queue, deadLetterQueue] = await Promise.all([
        readQueueAttributes(sqs, lanes[lane].queueUrl),
        readQueueAttributes(sqs, lanes[lane].deadLetterQueueUrl),
      ]);
      return [lane, { queue, deadLetterQueue }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<Lane, LaneQueueAttributes>;
}
