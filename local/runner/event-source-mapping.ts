/**
 * A local stand-in for the SQS event source mappings that feed the dispatcher in AWS: per lane, pollers receive
 * batches from the lane's FIFO queue, build the `SQSEvent` Lambda would build, invoke the handler with a
 * Lambda-like context, and delete the records the handler did not report in `batchItemFailures`.
 *
 * Where it differs from AWS:
 * - fauxqs hands out at most one message per FIFO message group per receive, so batches of one group's messages
 *   are smaller than in AWS (a batch holds at most one message per group).
 * - AWS starts with a few pollers and scales up gradually; here every lane starts `maxConcurrency` pollers at
 *   once, each invoking the handler one batch at a time.
 * - There are no cold starts, no separate execution environments and no payload limits: the handler runs in
 *   this process, so module state is shared by every "instance".
 * - A handler still running at the function timeout is abandoned as Lambda abandons it: the runner stops waiting,
 *   frees its concurrency slot, deletes none of its records (they come back after the visibility timeout) and
 *   counts a timeout; leases it holds stay until they expire. Lambda would freeze or kill it; here its promise
 *   keeps running in the background, but inside an aborted invocation scope (see `invocation-scope.ts`) whose
 *   SDK clients and fetch refuse to start calls, and whatever it returns is ignored.
 * - An invocation beyond the function's reserved concurrency is throttled as in AWS: the batch is not invoked and
 *   returns to its queue once its visibility timeout expires; the mapping backs off for a second.
 * - Messages received while the runner is stopping are made visible again at once instead of being invoked.
 * - Redrive to the dead-letter queue is left to the queue's RedrivePolicy, as in AWS; the runner never moves
 *   messages itself.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { runInInvocation } from './invocation-scope';

/**
 * A function as Lambda calls it for SQS with partial batch responses. What it returns (or resolves to) is read
 * as an `SQSBatchResponse`; anything else fails the whole batch, as in AWS.
 */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => unknown;

/** The queue one lane's mapping polls. `LaneEndpoints` entries fit. */
export interface MappedQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
}

/**
 * The settings the mappings and the function use: what the stack gives each `SqsEventSource` and the function.
 * `GateSettings` fits, and so does what `deployedMappingSettings` reads from the synthesized template.
 */
export interface MappingSettings {
  readonly lanes: Readonly<Record<Lane, { readonly batchSize: number; readonly maxConcurrency: number }>>;
  readonly reservedConcurrency: number;
  readonly dispatcherTimeoutSeconds: number;
  readonly dispatcherMemoryMiB?: number;
}

/** Options of {@link EventSourceMappingRunner}. */
export interface EventSourceMappingRunnerOptions {
  /** Client for the SQS the lanes live in. Created once by the caller and shared. */
  readonly sqs: SQSClient;
  /** Batch size and maxConcurrency per lane, the function's reserved concurrency and timeout. */
  readonly settings: MappingSettings;
  /** The lanes to poll and their queues; lanes left out get no mapping. */
  readonly queues: Partial<Readonly<Record<Lane, MappedQueue>>>;
  /** The function to invoke, e.g. the dispatcher's `handler`. */
  readonly handler: SqsBatchHandler;
  /** Name reported in the context. @default 'outreach-gate-dispatcher-local' */
  readonly functionName?: string;
  /** Long-poll wait of each receive; short so that {@link EventSourceMappingRunner.stop} is prompt. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Told about every failed invocation and SQS call. @default - written to stderr */
  readonly onError?: (error: MappingError) => void;
}

/** What one mapping does with each batch (the values the stack gives its `SqsEventSource`). */
export interface MappingDefinition {
  readonly lane: Lane;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maxConcurrency: number;
}

/** What one lane's mapping (or all of them) has done so far. */
export interface MappingCounters {
  /** Handler invocations. */
  invocations: number;
  /** Records handed to the handler. */
  records: number;
  /** Records deleted after the handler returned. */
  deleted: number;
  /** Records the handler reported in `batchItemFailures`. */
  batchItemFailures: number;
  /** Invocations that threw, timed out or returned a malformed response (nothing deleted). */
  handlerErrors: number;
  /** Invocations abandoned at the function timeout (also counted in `handlerErrors`). */
  timeouts: number;
  /** Batches not invoked because the function was at its reserved concurrency; they return to their queue. */
  throttles: number;
  /** Failed receives, deletes and visibility changes. */
  sqsErrors: number;
  /** Most invocations in flight at once. */
  peakConcurrency: number;
}

/** Counters per lane and for the whole runner (whose peak is the global one, not a sum). */
export interface RunnerCounters {
  readonly total: MappingCounters;
  readonly lanes: Readonly<Record<Lane, MappingCounters>>;
}

/** A failed invocation or SQS call: which lane, what step, and the cause. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
  constructor(
    readonly lane: Lane,
    readonly step: 'invoke' | 'throttle' | 'receive' | 'delete' | 'release',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${lane} lane, ${step}: ${message}`, options);
  }
}

/** Raised for options the runner cannot work with; the message names the option. */
export class MappingConfigError extends Error {
  override readonly name = 'MappingConfigError';
}

const emptyCounters = (): MappingCounters => ({
  invocations: 0,
  records: 0,
  deleted: 0,
  batchItemFailures: 0,
  handlerErrors: 0,
  timeouts: 0,
  throttles: 0,
  sqsErrors: 0,
  peakConcurrency: 0,
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The function's reserved concurrency, shared by every lane: a slot is taken or the invocation is throttled. */
class ConcurrencySlots {
  private available: number;
  constructor(limit: number) {
    this.available = limit;
  }
  tryAcquire(): boolean {
    if (this.available === 0) return false;
    this.available -= 1;
    return true;
  }
  release(): void {
    this.available += 1;
  }
}

/** How long a mapping backs off after a throttled invocation. */
const THROTTLE_BACKOFF_MS = 1000;

/**
 * Runs one SQS event source mapping per lane against a local SQS: up to each lane's `maxConcurrency` concurrent
 * invocations, at most `reservedConcurrency` across all lanes, partial batch responses honoured.
 */
export class EventSourceMappingRunner {
  /** The mappings as configured, by lane (only the lanes given queues). */
  readonly mappings: Readonly<Partial<Record<Lane, MappingDefinition>>>;
  /** The function's concurrency limit shared by every mapping. */
  readonly concurrencyLimit: number;
  private readonly sqs: SQSClient;
  private readonly handler: SqsBatchHandler;
  private readonly queues: Partial<Readonly<Record<Lane, MappedQueue>>>;
  private readonly functionName: string;
  private readonly timeoutMs: number;
  private readonly memoryMiB: number;
  private readonly waitTimeSeconds: number;
  private readonly onError: (error: MappingError) => void;
  private readonly slots: ConcurrencySlots;
  private readonly abandoned = new Set<Promise<unknown>>();
  private readonly laneCounters: Record<Lane, MappingCounters>;
  private readonly totalCounters = emptyCounters();
  private readonly laneInFlight: Record<Lane, number>;
  private inFlight = 0;
  private readonly region: string;
  private readonly account: string;
  private pollers: Promise<void>[] = [];
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(options: EventSourceMappingRunnerOptions) {
    const { settings } = options;
    this.sqs = options.sqs;
    this.handler = options.handler;
    this.queues = options.queues;
    this.functionName = options.functionName ?? 'outreach-gate-dispatcher-local';
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
    this.onError = options.onError ?? ((error) => console.error(error.message));
    if (!Number.isInteger(this.waitTimeSeconds) || this.waitTimeSeconds < 0 || this.waitTimeSeconds > 20) {
      throw new MappingConfigError(`waitTimeSeconds must be an integer from 0 to 20, got ${this.waitTimeSeconds}`);
    }
    positiveInteger('reservedConcurrency', settings.reservedConcurrency);
    positiveInteger('dispatcherTimeoutSeconds', settings.dispatcherTimeoutSeconds);
    this.concurrencyLimit = settings.reservedConcurrency;
    this.timeoutMs = settings.dispatcherTimeoutSeconds * 1000;
    this.memoryMiB = settings.dispatcherMemoryMiB ?? 128;

    const mappings: Partial<Record<Lane, MappingDefinition>> = {};
    for (const lane of LANES) {
      const queue = options.queues[lane];
      if (queue === undefined) continue;
      const { batchSize, maxConcurrency } = settings.lanes[lane];
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
        throw new MappingConfigError(`lanes.${lane}.batchSize must be an integer from 1 to 10, got ${batchSize}`);
      }
      positiveInteger(`lanes.${lane}.maxConcurrency`, maxConcurrency);
      if (!queue.queueUrl || !queue.queueArn.startsWith('arn:')) {
        throw new MappingConfigError(`queues.${lane} needs a queueUrl and a queueArn, got ${JSON.stringify(queue)}`);
      }
      mappings[lane] = { lane, queueArn: queue.queueArn, batchSize, maxConcurrency };
    }
    if (Object.keys(mappings).length === 0) {
      throw new MappingConfigError(`queues must name at least one lane of ${LANES.join(', ')}`);
    }
    this.mappings = mappings;
    const [, , , region, account] = (Object.values(mappings)[0]?.queueArn ?? '').split(':');
    this.region = region || 'us-east-1';
    this.account = account || '000000000000';
    this.slots = new ConcurrencySlots(this.concurrencyLimit);
    this.laneCounters = Object.fromEntries(LANES.map((lane) => [lane, emptyCounters()])) as Record<
      Lane,
      MappingCounters
    >;
    this.laneInFlight = Object.fromEntries(LANES.map((lane) => [lane, 0])) as Record<Lane, number>;
  }

  /** Starts every mapping's pollers. Calling it again while running does nothing. */
  start(): void {
    if (this.stopped !== undefined) throw new MappingConfigError('a stopped runner cannot be started again');
    if (this.pollers.length > 0) return;
    for (const mapping of Object.values(this.mappings)) {
      for (let i = 0; i < mapping.maxConcurrency; i += 1) this.pollers.push(this.poll(mapping));
    }
  }

  /**
   * Stops polling and resolves once every poller has ended, every invocation in flight has finished and every
   * abandoned invocation has given up (its calls are refused, so it ends at its next one).
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.stopped ??= Promise.all(this.pollers)
      .then(() => Promise.allSettled([...this.abandoned]))
      .then(() => undefined);
    return this.stopped;
  }

  /** A snapshot of the counters. */
  counters(): RunnerCounters {
    const lanes = Object.fromEntries(LANES.map((lane) => [lane, { ...this.laneCounters[lane] }]));
    return { total: { ...this.totalCounters }, lanes: lanes as Record<Lane, MappingCounters> };
  }

  private count(lane: Lane, key: Exclude<keyof MappingCounters, 'peakConcurrency'>, by = 1): void {
    this.laneCounters[lane][key] += by;
    this.totalCounters[key] += by;
  }

  private report(error: MappingError): void {
    try {
      this.onError(error);
    } catch {
      // A failing error reporter must not stop the poller.
    }
  }

  private async poll(mapping: MappingDefinition): Promise<void> {
    const { lane } = mapping;
    const queueUrl = this.queueUrl(lane);
    while (!this.stopping) {
      let messages: Message[];
      try {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: mapping.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (this.stopping) return;
        this.count(lane, 'sqsErrors');
        this.report(new MappingError(lane, 'receive', describe(error), { cause: error }));
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      if (!this.slots.tryAcquire()) {
        // Lambda throttles the invocation; the batch comes back once its visibility timeout expires.
        this.count(lane, 'throttles');
        this.report(
          new MappingError(lane, 'throttle', `reserved concurrency ${this.concurrencyLimit} reached; batch returned`),
        );
        await sleep(THROTTLE_BACKOFF_MS);
        continue;
      }
      try {
        if (this.stopping) await this.releaseMessages(lane, queueUrl, messages);
        else await this.invoke(mapping, queueUrl, messages);
      } catch (error) {
        this.count(lane, 'handlerErrors');
        this.report(new MappingError(lane, 'invoke', `batch not invoked: ${describe(error)}`, { cause: error }));
      } finally {
        this.slots.release();
      }
    }
  }

  private async invoke(mapping: MappingDefinition, queueUrl: string, messages: Message[]): Promise<void> {
    const { lane } = mapping;
    const records = messages.map((message) => toRecord(message, mapping.queueArn));
    this.laneInFlight[lane] += 1;
    this.inFlight += 1;
    this.laneCounters[lane].peakConcurrency = Math.max(
      this.laneCounters[lane].peakConcurrency,
      this.laneInFlight[lane],
    );
    this.totalCounters.peakConcurrency = Math.max(this.totalCounters.peakConcurrency, this.inFlight);
    this.count(lane, 'invocations');
    this.count(lane, 'records', records.length);

    let outcome: InvocationOutcome;
    try {
      outcome = await this.run({ Records: records });
    } finally {
      this.laneInFlight[lane] -= 1;
      this.inFlight -= 1;
    }
    if (!outcome.ok) {
      this.count(lane, 'handlerErrors');
      if (outcome.timedOut) this.count(lane, 'timeouts');
      this.report(new MappingError(lane, 'invoke', outcome.reason, { cause: outcome.cause }));
      return;
    }
    const failed = failedIds(outcome.response, new Set(records.map((record) => record.messageId)));
    if (typeof failed === 'string') {
      this.count(lane, 'handlerErrors');
      this.report(new MappingError(lane, 'invoke', `malformed batch response, nothing deleted: ${failed}`));
      return;
    }
    this.count(lane, 'batchItemFailures', failed.size);
    const done = records.filter((record) => !failed.has(record.messageId));
    if (done.length > 0) await this.deleteRecords(lane, queueUrl, done);
  }

  /**
   * Invokes the handler with a fresh context inside its own invocation scope; the outcome once it settles or the
   * timeout passes, whichever is first. At the timeout the invocation is abandoned: its scope is aborted and the
   * runner stops waiting for it (see the module's notes).
   */
  private async run(event: SQSEvent): Promise<InvocationOutcome> {
    const deadline = Date.now() + this.timeoutMs;
    const context = this.context(deadline);
    const abort = new AbortController();
    const scope = { signal: abort.signal, requestId: context.awsRequestId };
    const invocation = runInInvocation(scope, async () => this.handler(event, context)).then(
      (response): InvocationOutcome => ({ ok: true, response }),
      (error: unknown): InvocationOutcome => ({ ok: false, reason: `handler threw: ${describe(error)}`, cause: error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<InvocationOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, timedOut: true, reason: `handler timed out after ${this.timeoutMs} ms` }),
        this.timeoutMs,
      );
    });
    const first = await Promise.race([invocation, timeout]);
    clearTimeout(timer);
    if (first.ok || !first.timedOut) return first;
    abort.abort();
    this.abandoned.add(invocation);
    void invocation.finally(() => this.abandoned.delete(invocation));
    return first;
  }

  private context(deadline: number): Context {
    const unsupported = (what: string) => () => {
      throw new Error(`context.${what}() is not supported: return a promise from the handler`);
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.account}:function:${this.functionName}`,
      memoryLimitInMB: String(this.memoryMiB),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.functionName}`,
      logStreamName: `local/[$LATEST]${process.pid}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported('done'),
      fail: unsupported('fail'),
      succeed: unsupported('succeed'),
    };
  }

  private async deleteRecords(lane: Lane, queueUrl: string, records: SQSRecord[]): Promise<void> {
    try {
      const { Failed = [] } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      this.count(lane, 'deleted', records.length - Failed.length);
      if (Failed.length > 0) {
        this.count(lane, 'sqsErrors');
        const why = Failed.map((f) => `${records[Number(f.Id)]?.messageId}: ${f.Code} ${f.Message ?? ''}`.trim());
        this.report(new MappingError(lane, 'delete', `not deleted, will be received again: ${why.join('; ')}`));
      }
    } catch (error) {
      this.count(lane, 'sqsErrors');
      this.report(
        new MappingError(lane, 'delete', `${describe(error)}; the batch will be received again`, { cause: error }),
      );
    }
  }

  private async releaseMessages(lane: Lane, queueUrl: string, messages: Message[]): Promise<void> {
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (error) {
      this.count(lane, 'sqsErrors');
      this.report(
        new MappingError(lane, 'release', `${describe(error)}; visible again after the visibility timeout`, {
          cause: error,
        }),
      );
    }
  }

  private queueUrl(lane: Lane): string {
    const queue = this.queues[lane];
    if (queue === undefined) throw new MappingConfigError(`no queue for lane ${lane}`);
    return queue.queueUrl;
  }
}

type InvocationOutcome =
  | { readonly ok: true; readonly response: unknown }
  | { readonly ok: false; readonly reason: string; readonly cause?: unknown; readonly timedOut?: boolean };

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new MappingConfigError(`${name} must be an integer ≥ 1, got ${value}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The message ids the handler reported as failed, read as Lambda reads a partial batch response: nothing, null,
 * `{}` or an empty/null `batchItemFailures` means all succeeded; anything else that is not a list of known,
 * non-empty `itemIdentifier`s fails the whole batch (returned as the reason, a string).
 */
export function failedIds(response: unknown, messageIds: ReadonlySet<string>): Set<string> | string {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) {
    return `expected an object with batchItemFailures, got ${JSON.stringify(response)}`;
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return `batchItemFailures must be a list, got ${JSON.stringify(failures)}`;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') {
      return `every batchItemFailures entry needs a non-empty itemIdentifier, got ${JSON.stringify(failure)}`;
    }
    if (!messageIds.has(id)) return `batchItemFailures names ${id}, which is not in the batch`;
    failed.add(id);
  }
  return failed;
}

/** One received message as Lambda puts it into an `SQSEvent`. */
export function toRecord(message: Message, queueArn: string): SQSRecord {
  const { MessageId, ReceiptHandle, Body, MD5OfBody, Attributes = {} } = message;
  if (!MessageId || !ReceiptHandle || Body === undefined || !MD5OfBody) {
    throw new Error(
      `SQS returned a message without MessageId, ReceiptHandle, Body or MD5OfBody: ${JSON.stringify(message)}`,
    );
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  const attributes = Object.fromEntries(
    Object.entries(Attributes).filter(([name]) => RECORD_ATTRIBUTES.has(name)),
  ) as unknown as SQSRecord['attributes'];
  return {
    messageId: MessageId,
    receiptHandle: ReceiptHandle,
    body: Body,
    attributes,
    messageAttributes,
    md5OfBody: MD5OfBody,
    ...(message.MD5OfMessageAttributes !== undefined && { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

/** System attributes Lambda copies into a record. */
const RECORD_ATTRIBUTES = new Set([
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
]);
