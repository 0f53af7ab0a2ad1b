/**
 * Where a local run can be reached from another shell: `npm start` writes `local.json` into its report folder
 * (the emulators' endpoints, the table, every lane's queue and dead-letter queue, the gate configuration) and
 * reads `control.json` beside it, where `outreach-gate pause --local` lists the lanes to stop receiving from.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { gateConfigSchema, laneEndpointsSchema } from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';

/** Name of the file that describes a running local environment, inside the run's report folder. */
export const LOCAL_RUN_FILE = 'local.json';
/** Name of the file that lists paused lanes, beside {@link LOCAL_RUN_FILE}. */
export const LOCAL_CONTROL_FILE = 'control.json';

/** What {@link LOCAL_RUN_FILE} holds. */
export const localRunSchema = z.strictObject({
  /** The process running the environment; the file is stale once it has exited. */
  pid: z.number().int().positive(),
  tableName: z.string().min(1),
  endpoints: z.strictObject({ sqs: z.url(), dynamodb: z.url() }),
  lanes: laneEndpointsSchema,
  config: gateConfigSchema,
  /** Absolute path of the control file the runner reads. */
  controlFile: z.string().min(1),
});

/** A local run as {@link LOCAL_RUN_FILE} describes it. */
export type LocalRun = z.infer<typeof localRunSchema>;

const controlSchema = z.strictObject({ paused: z.array(z.enum(LANES)) });

/** What the environment offers that the run file describes. */
export interface PublishableEnvironment {
  readonly tableName: string;
  readonly lanes: LocalRun['lanes'];
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
  readonly dispatcherEnvironment: { readonly config: LocalRun['config'] };
  readonly clients: { readonly sqs: SQSClient };
}

/**
 * Writes the run file into `dir` and returns the SQS client the event source mappings should poll with: it
 * skips the receives of paused lanes, counting them in `counters`. Without `dir`, writes nothing and returns
 * the environment's client.
 */
export function publishLocalRun(
  env: PublishableEnvironment,
  dir: string | undefined,
  sqs: SQSClient = env.clients.sqs,
  counters: PauseCounters = { receivesAvoided: 0 },
): SQSClient {
  if (dir === undefined) return sqs;
  mkdirSync(dir, { recursive: true });
  const controlFile = join(dir, LOCAL_CONTROL_FILE);
  const run: LocalRun = {
    pid: process.pid,
    tableName: env.tableName,
    endpoints: { sqs: env.endpoints.sqs, dynamodb: env.endpoints.dynamodb },
    lanes: env.lanes,
    config: env.dispatcherEnvironment.config,
    controlFile,
  };
  writePausedLanes(controlFile, []);
  writeFileSync(join(dir, LOCAL_RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
  return pausableSqs(sqs, controlFile, env.lanes, counters);
}

/** The lanes the control file lists as paused (none when the file is missing). */
export function readPausedLanes(controlFile: string): Lane[] {
  let text: string;
  try {
    text = readFileSync(controlFile, 'utf8');
  } catch {
    return [];
  }
  return controlSchema.parse(JSON.parse(text)).paused;
}

/** Replaces the control file's list of paused lanes. */
export function writePausedLanes(controlFile: string, paused: readonly Lane[]): void {
  writeFileSync(controlFile, `${JSON.stringify({ paused: [...new Set(paused)] })}\n`);
}

/** Counts of what a paused lane did not do. */
export interface PauseCounters {
  /** Receives not sent because their lane was paused. */
  receivesAvoided: number;
}

/**
 * An SQS client whose receives from a paused lane's queue wait out their long poll and return no messages,
 * without calling SQS, as a disabled event source mapping would. Everything else goes through unchanged.
 */
export function pausableSqs(
  sqs: SQSClient,
  controlFile: string,
  lanes: LocalRun['lanes'],
  counters: PauseCounters = { receivesAvoided: 0 },
): SQSClient {
  const laneOfUrl = new Map<string, Lane>(LANES.map((lane) => [lanes[lane].queueUrl, lane]));
  let cached: { mtimeMs: number; paused: ReadonlySet<Lane> } = { mtimeMs: -1, paused: new Set() };
  const paused = (): ReadonlySet<Lane> => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(controlFile).mtimeMs;
    } catch {
      return new Set();
    }
    if (mtimeMs !== cached.mtimeMs) cached = { mtimeMs, paused: new Set(readPausedLanes(controlFile)) };
    return cached.paused;
  };
  const send = async (command: unknown, ...rest: unknown[]): Promise<unknown> => {
    if (command instanceof ReceiveMessageCommand) {
      const lane = laneOfUrl.get(command.input.QueueUrl ?? '');
      if (lane !== undefined && paused().has(lane)) {
        counters.receivesAvoided += 1;
        await new Promise((resolve) => setTimeout(resolve, (command.input.WaitTimeSeconds ?? 0) * 1000 || 200));
        return { Messages: [] };
      }
    }
    return (sqs.send as (...args: unknown[]) => Promise<unknown>).call(sqs, command, ...rest);
  };
  return new Proxy(sqs, {
    get: (target, property, receiver) => (property === 'send' ? send : Reflect.get(target, property, receiver)),
  });
}
