import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import type { RunningSimulator, SimulatorConfigPatch } from '../../local/outreach-sim';
import { accessToken, api } from '../outreach-sim/helpers';
import { HandDriver } from '../support/drive';
import { type Pipeline, type PipelineOptions, sharedPipeline } from '../support/pipeline';
import { messagesOnQueue, receiveAll } from '../support/sqs';

/**
 * What the attacks on bulk-enrolment gathering share: one pipeline per test file with settings that gather within
 * a second and park members for the shortest safe time, prospects made by a simulator user the gate does not
 * serve (`seed`), and readers of what Outreach holds (its bulk actions, each prospect's sequence states) and of the
 * bulk lane's dead letters.
 */

/** Pipeline settings: one dispatcher timeout of 30 s, a 1 s gathering window, batches that start after 0.3 s. */
export const COALESCING_SETTINGS = {
  outreachUsers: ['u1', 'u2'],
  dispatcherTimeoutSeconds: 30,
  upstreamTimeoutMs: 1000,
  coalescing: { enabled: true, maxAgeMs: 1000, parkMs: 37_000 },
  simulator: {
    users: ['u1', 'u2', 'seed'],
    timeScale: 1,
    batches: { startDelaySeconds: 0.3, secondsPerItem: 0.005 },
  },
};

/** How a coalescing attack file's pipeline differs from `COALESCING_SETTINGS`. */
export interface CoalescingPipelineOptions {
  /** Pipeline options laid over `COALESCING_SETTINGS` (a wrapped dispatcher, a cap, events). @default - none */
  readonly settings?: Partial<PipelineOptions>;
  /** Stops the event source mappings: every delivery is made by hand through `driver`. @default false */
  readonly byHand?: boolean;
  /** Simulator settings put back after each test, undoing what a test configured. @default - none */
  readonly restoreAfterEach?: SimulatorConfigPatch;
}

/** The running pipeline of a coalescing attack file, available from its first test on. */
export interface CoalescingPipeline {
  readonly pipeline: Pipeline;
  readonly sim: RunningSimulator;
  /** An access token of the `seed` user, who makes prospects and reads what Outreach holds. */
  readonly seed: string;
  /** Delivers the lanes' messages to the dispatcher by hand. */
  readonly driver: HandDriver;
  /**
   * Receives and invokes the bulk lane by hand until every id is settled and the lane is empty, or the time is up;
   * returns the results read last.
   */
  driveUntilSettled(ids: readonly string[], timeoutMs: number, options?: HandDriving): Promise<IntentResult[]>;
}

/** How the bulk lane is invoked by hand. */
export interface HandDriving {
  /** The time each invocation is given. @default 30_000 */
  readonly invocationMs?: number;
  /** Makes the records an invocation deferred visible again at once, as an early redelivery would. @default false */
  readonly revive?: boolean;
}

/**
 * Starts the pipeline with `COALESCING_SETTINGS` before the enclosing block's first test, with a token of the
 * `seed` user, and stops it after its last.
 */
export function coalescingPipeline(options: CoalescingPipelineOptions = {}): CoalescingPipeline {
  const shared = sharedPipeline({ ...COALESCING_SETTINGS, ...options.settings }, 180_000);
  let seed: string | undefined;
  let driver: HandDriver | undefined;
  const sim = () => shared.pipeline.env.simulator as RunningSimulator;
  beforeAll(async () => {
    if (options.byHand) await shared.pipeline.runner.stop();
    seed = await accessToken(sim(), 'seed');
    driver = new HandDriver(shared.pipeline.env, shared.pipeline.dispatcher);
  }, 60_000);
  const { restoreAfterEach } = options;
  if (restoreAfterEach !== undefined) afterEach(() => void sim().configure(restoreAfterEach));
  const running: CoalescingPipeline = {
    get pipeline() {
      return shared.pipeline;
    },
    get sim() {
      return sim();
    },
    get seed() {
      return started(seed, 'seed token');
    },
    get driver() {
      return started(driver, 'hand driver');
    },
    driveUntilSettled: (ids, timeoutMs, driving) =>
      driveUntilSettled(running.pipeline, running.driver, ids, timeoutMs, driving),
  };
  return running;
}

/** `value`, once the pipeline's start has set it. */
function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the coalescing pipeline's ${what} is used before it started`);
  return value;
}

async function driveUntilSettled(
  pipeline: Pipeline,
  driver: HandDriver,
  ids: readonly string[],
  timeoutMs: number,
  { invocationMs = 30_000, revive = false }: HandDriving = {},
): Promise<IntentResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = await driver.receive('bulk');
    if (messages.length > 0) {
      await driver.invoke('bulk', messages, { context: HandDriver.context(invocationMs), revive });
    }
    const results = await pipeline.readResults(ids);
    const settled = results.every((r) => r.status === 'succeeded' || r.status === 'dead-lettered');
    if ((settled && messages.length === 0) || Date.now() > deadline) return results;
    if (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A bulk-lane (unless told) enrolment of `prospectId` into `sequenceId` from `mailboxId` for `user`. */
export const enrolment = (
  id: string,
  prospectId: number,
  options: {
    sequenceId?: number;
    mailboxId?: number;
    user?: string;
    lane?: 'bulk' | 'standard' | 'critical';
    orderingKey?: string;
  } = {},
) => ({
  id,
  user: options.user ?? 'u1',
  lane: options.lane ?? ('bulk' as const),
  ...(options.orderingKey === undefined ? {} : { orderingKey: options.orderingKey }),
  operation: {
    type: 'sequenceState.create' as const,
    prospectId,
    sequenceId: options.sequenceId ?? 1,
    mailboxId: options.mailboxId ?? 1,
  },
});

/** Creates `count` prospects as the `seed` user; returns their ids. */
export async function seedProspects(
  sim: RunningSimulator,
  token: string,
  count: number,
  tag: string,
): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const created = await api(sim, token, 'POST', '/prospects', {
      data: { type: 'prospect', attributes: { emails: [`${tag}-${n}-${randomUUID()}@example.com`] } },
    });
    if (created.status !== 201) throw new Error(`seeding a prospect failed: ${created.status} ${created.text}`);
    ids.push(created.json.data.id as number);
  }
  return ids;
}

/** A bulk action the simulator holds. */
export interface HeldBatch {
  readonly id: number;
  readonly state: string;
  readonly total: number;
  readonly ids: readonly number[];
  readonly sequenceId: number;
  readonly mailboxId: number;
}

/** Every bulk action the simulator holds (any user's). */
export async function batchesOf(sim: RunningSimulator, token: string): Promise<HeldBatch[]> {
  const listed = await api(sim, token, 'GET', '/batches?page[size]=1000');
  return (
    listed.json.data as Array<{
      id: number;
      attributes: {
        state: string;
        total: number;
        payload: { ids: number[]; sequenceId: number; mailboxId: number };
      };
    }>
  ).map((batch) => ({
    id: batch.id,
    state: batch.attributes.state,
    total: batch.attributes.total,
    ids: batch.attributes.payload.ids,
    sequenceId: batch.attributes.payload.sequenceId,
    mailboxId: batch.attributes.payload.mailboxId,
  }));
}

/** The bulk actions whose ids include any of `prospects`. */
export async function batchesFor(sim: RunningSimulator, token: string, prospects: readonly number[]) {
  const wanted = new Set(prospects);
  return (await batchesOf(sim, token)).filter((batch) => batch.ids.some((id) => wanted.has(id)));
}

/** How many sequence states Outreach holds for `prospectId` in `sequenceId` (any state). */
export async function enrolmentsOf(
  sim: RunningSimulator,
  token: string,
  prospectId: number,
  sequenceId = 1,
): Promise<number> {
  const listed = await api(
    sim,
    token,
    'GET',
    `/sequenceStates?filter[prospect][id]=${prospectId}&filter[sequence][id]=${sequenceId}&page[size]=1000`,
  );
  return (listed.json.data as unknown[]).length;
}

/** Each prospect's number of sequence states in `sequenceId`, as `{ [prospectId]: n }`. */
export async function enrolmentCounts(
  sim: RunningSimulator,
  token: string,
  prospects: readonly number[],
  sequenceId = 1,
): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const prospectId of prospects) counts[prospectId] = await enrolmentsOf(sim, token, prospectId, sequenceId);
  return counts;
}

/** `{ [prospectId]: 1 }` for each prospect: what exactly-once enrolment leaves in Outreach. */
export const once = (prospects: readonly number[]): Record<number, number> =>
  Object.fromEntries(prospects.map((prospectId) => [prospectId, 1]));

/** A dead-letter copy: the intent id it carries and its reason. */
export interface DeadLetter {
  readonly intentId: string | undefined;
  readonly reason: string | undefined;
}

/** Takes every message off the bulk lane's dead-letter queue. */
export async function takeDeadLetters(pipeline: Pipeline, lane: 'bulk' | 'standard' | 'critical' = 'bulk') {
  const messages: Message[] = await receiveAll(pipeline.env.clients.sqs, pipeline.env.lanes[lane].deadLetterQueueUrl);
  return messages;
}

/** The intent id and reason of a dead-letter copy. */
export const letterOf = (message: Message): DeadLetter => ({
  intentId: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.intentId]?.StringValue,
  reason: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
});

/**
 * Waits until the lane holds no message (visible, hidden or parked) and every id is succeeded or dead-lettered,
 * or the time is up; returns the results read last.
 */
export async function drained(
  pipeline: Pipeline,
  ids: readonly string[],
  timeoutMs: number,
  lane: 'bulk' | 'standard' | 'critical' = 'bulk',
): Promise<IntentResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const results = await pipeline.readResults(ids);
    const open = results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered');
    const queued = await messagesOnQueue(pipeline.env.clients.sqs, pipeline.env.lanes[lane].queueUrl);
    if ((open.length === 0 && queued === 0) || Date.now() > deadline) return results;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Sends a copy of `intent` as a producer re-sending it would, under another message group and de-duplication
 * id, so that SQS delivers it whatever happened to the first message.
 */
export async function resend(pipeline: Pipeline, intent: object, tag: string): Promise<void> {
  const body = JSON.stringify({ v: 1, ...intent });
  await pipeline.env.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: pipeline.env.lanes.bulk.queueUrl,
      MessageBody: body,
      MessageGroupId: `u1:copy-${tag}`,
      MessageDeduplicationId: createHash('sha256').update(`${tag}-${body}`).digest('hex'),
    }),
  );
}

/** Polls until `ready()` holds or the time is up; returns whether it held. */
export async function until(ready: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** `{ [id]: status }` of results. */
export const statusesOf = (results: readonly IntentResult[]) =>
  Object.fromEntries(results.map((r) => [r.id, r.status]));
