import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { type LaneOptions, resolveGateSettings } from '../../lib/settings';
import { createLocalSqsClient } from '../../local/emulators/sqs';
import {
  EventSourceMappingRunner,
  type MappedQueue,
  type MappingError,
  type SqsBatchHandler,
} from '../../local/runner/event-source-mapping';
import { InvocationAbandonedError, refuseCallsOfAbandonedInvocations } from '../../local/runner/invocation-scope';
import { type LocalSqs, messagesOnQueue, receiveAll, startLocalSqs, uniqueQueuePrefix } from '../support/sqs';
import { waitFor } from './helpers';

/**
 * The runner against fauxqs: real queues, real receives and deletes, and handlers written here. The handlers
 * are not under test; what the runner does with their answers is.
 */

let local: LocalSqs;
let sqs: SQSClient;
const runners: EventSourceMappingRunner[] = [];
const errors: MappingError[] = [];

beforeAll(async () => {
  local = await startLocalSqs();
  sqs = local.sqs;
}, 30_000);

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  errors.length = 0;
});

afterAll(async () => {
  await local?.stop();
}, 30_000);

interface TestQueue extends MappedQueue {
  readonly deadLetterQueueUrl: string;
}

/** A FIFO queue with a 1 s visibility timeout and its FIFO dead-letter queue. */
async function createTestQueue(name: string, maxReceiveCount = 100): Promise<TestQueue> {
  const prefix = uniqueQueuePrefix(name);
  const create = async (queueName: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`no QueueUrl for ${queueName}`);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { queueUrl: QueueUrl, queueArn: Attributes?.QueueArn ?? '' };
  };
  const deadLetter = await create(`${prefix}-dlq.fifo`, { FifoQueue: 'true' });
  const queue = await create(`${prefix}.fifo`, {
    FifoQueue: 'true',
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.queueArn, maxReceiveCount }),
  });
  return { ...queue, deadLetterQueueUrl: deadLetter.queueUrl };
}

/** Sends `bodies`, each in its own message group, and returns their message ids by body. */
async function send(queue: MappedQueue, bodies: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let start = 0; start < bodies.length; start += 10) {
    const chunk = bodies.slice(start, start + 10);
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: chunk.map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageGroupId: `group-${body}`,
          MessageDeduplicationId: `dedup-${body}`,
        })),
      }),
    );
    if (Failed.length > 0) throw new Error(`could not send: ${JSON.stringify(Failed)}`);
    for (const entry of Successful) ids.set(chunk[Number(entry.Id)] as string, entry.MessageId as string);
  }
  return ids;
}

const bodies = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** Settings with the given lanes' options and, optionally, a reserved concurrency below their sum. */
function mappingSettings(lanes: Partial<Record<Lane, LaneOptions>>, reservedConcurrency?: number) {
  const settings = resolveGateSettings({ lanes });
  return { ...settings, reservedConcurrency: reservedConcurrency ?? settings.reservedConcurrency };
}

function startRunner(
  queues: Partial<Record<Lane, MappedQueue>>,
  handler: SqsBatchHandler,
  settings = mappingSettings({}),
): EventSourceMappingRunner {
  const runner = new EventSourceMappingRunner({ sqs, settings, queues, handler, onError: (e) => errors.push(e) });
  runners.push(runner);
  runner.start();
  return runner;
}

/** Receives whatever becomes visible on `queueUrl` until `count` messages have come back. */
async function receiveAgain(queueUrl: string, count: number): Promise<string[]> {
  const received: string[] = [];
  await waitFor(`${count} messages to become visible again`, async () => {
    received.push(...(await receiveAll(sqs, queueUrl)).map((message) => message.MessageId as string));
    return received.length >= count;
  });
  return received;
}

const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventSourceMappingRunner', () => {
  it('GIVEN a message with attributes WHEN it is delivered THEN the handler gets the record Lambda would build', async () => {
    const queue = await createTestQueue('event-shape');
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.queueUrl,
        MessageBody: '{"hello":"world"}',
        MessageGroupId: 'group-1',
        MessageDeduplicationId: 'dedup-1',
        MessageAttributes: {
          text: { DataType: 'String', StringValue: 'value' },
          count: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
        },
      }),
    );
    const events: SQSEvent[] = [];
    startRunner({ critical: queue }, async (event) => {
      events.push(event);
    });

    await waitFor('one invocation', () => events.length === 1);

    expect(events[0]).toEqual({
      Records: [
        {
          messageId: MessageId,
          receiptHandle: expect.any(String),
          body: '{"hello":"world"}',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: expect.stringMatching(/^\d+$/),
            SenderId: expect.any(String),
            ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
            SequenceNumber: expect.stringMatching(/^\d+$/),
            MessageGroupId: 'group-1',
            MessageDeduplicationId: 'dedup-1',
          },
          messageAttributes: {
            text: { stringValue: 'value', stringListValues: [], binaryListValues: [], dataType: 'String' },
            count: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
            blob: {
              binaryValue: Buffer.from('bytes').toString('base64'),
              stringListValues: [],
              binaryListValues: [],
              dataType: 'Binary',
            },
          },
          md5OfBody: createHash('md5').update('{"hello":"world"}').digest('hex'),
          md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
          eventSource: 'aws:sqs',
          eventSourceARN: queue.queueArn,
          awsRegion: queue.queueArn.split(':')[3],
        },
      ],
    });
  });

  it('GIVEN two invocations WHEN each reads its context THEN each has its own request id and time left within the timeout', async () => {
    const queue = await createTestQueue('context');
    await send(queue, bodies('m', 2));
    const contexts: Array<{ awsRequestId: string; remainingMs: number; functionName: string; arn: string }> = [];
    startRunner(
      { standard: queue },
      async (_event, context) => {
        contexts.push({
          awsRequestId: context.awsRequestId,
          remainingMs: context.getRemainingTimeInMillis(),
          functionName: context.functionName,
          arn: context.invokedFunctionArn,
        });
      },
      mappingSettings({ standard: { batchSize: 1, maxConcurrency: 2 } }),
    );

    await waitFor('two invocations', () => contexts.length === 2);

    const timeoutMs = resolveGateSettings().dispatcherTimeoutSeconds * 1000;
    expect(contexts[0]?.awsRequestId).not.toBe(contexts[1]?.awsRequestId);
    for (const context of contexts) {
      expect(context.remainingMs).toBeGreaterThan(0);
      expect(context.remainingMs).toBeLessThanOrEqual(timeoutMs);
      expect(context.arn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${context.functionName}`);
    }
  });

  it('GIVEN a handler reporting some records in batchItemFailures WHEN the batch is done THEN only the others are deleted', async () => {
    const queue = await createTestQueue('partial');
    const ids = await send(queue, [...bodies('ok', 3), ...bodies('fail', 3)]);
    const seen = new Set<string>();
    const runner = startRunner({ standard: queue }, async (event: SQSEvent): Promise<SQSBatchResponse> => {
      for (const record of event.Records) seen.add(record.body);
      const failed = event.Records.filter((record) => record.body.startsWith('fail'));
      return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    await waitFor('every message to be handled once', () => seen.size === 6);
    await runner.stop();

    const failedIds = bodies('fail', 3).map((body) => ids.get(body));
    expect((await receiveAgain(queue.queueUrl, 3)).sort()).toEqual(failedIds.sort());
  });

  it('GIVEN a handler reporting failures WHEN it has run THEN the counters show the deleted records and the failures', async () => {
    const queue = await createTestQueue('counters');
    await send(queue, [...bodies('ok', 4), ...bodies('fail', 2)]);
    const runner = startRunner({ bulk: queue }, async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body.startsWith('fail')).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));

    await waitFor('four deletions and two failures', () => {
      const { bulk } = runner.counters().lanes;
      return bulk.deleted === 4 && bulk.batchItemFailures >= 2;
    });
    await runner.stop();

    const { lanes, total } = runner.counters();
    expect({ deleted: total.deleted, handlerErrors: total.handlerErrors, records: lanes.bulk.records }).toEqual({
      deleted: 4,
      handlerErrors: 0,
      records: 4 + lanes.bulk.batchItemFailures,
    });
  });

  it.each<[string, SqsBatchHandler]>([
    [
      'throws',
      async () => {
        throw new Error('boom');
      },
    ],
    ['returns something that is not a batch response', async () => 'done'],
    ['returns batchItemFailures that is not a list', async () => ({ batchItemFailures: 'all' })],
    ['names a message that is not in the batch', async () => ({ batchItemFailures: [{ itemIdentifier: 'nope' }] })],
    ['names an empty itemIdentifier', async () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
  ])('GIVEN a handler that %s WHEN it is invoked THEN nothing of the batch is deleted', async (_, handler) => {
    const queue = await createTestQueue('whole-batch-fails');
    await send(queue, bodies('m', 4));
    const runner = startRunner({ standard: queue }, handler);

    await waitFor('every message to be handed to the handler', () => runner.counters().total.records >= 4);
    await runner.stop();

    expect({
      deleted: runner.counters().total.deleted,
      onQueue: await messagesOnQueue(sqs, queue.queueUrl),
      reported: errors.every((error) => error.step === 'invoke' && error.lane === 'standard'),
    }).toEqual({ deleted: 0, onQueue: 4, reported: true });
  });

  it('GIVEN a handler that runs past the dispatcher timeout WHEN it is invoked THEN nothing of the batch is deleted', async () => {
    const queue = await createTestQueue('timeout');
    await send(queue, bodies('m', 2));
    const settings = { ...mappingSettings({}), dispatcherTimeoutSeconds: 1 };
    let finished = 0;
    const runner = startRunner(
      { standard: queue },
      async () => {
        await hold(1300);
        finished += 1;
      },
      settings,
    );

    await waitFor('a handler to finish after its timeout', () => finished >= 1);
    await runner.stop();

    expect({
      deleted: runner.counters().total.deleted,
      handlerErrors: runner.counters().total.handlerErrors >= 1,
      onQueue: await messagesOnQueue(sqs, queue.queueUrl),
    }).toEqual({ deleted: 0, handlerErrors: true, onQueue: 2 });
  });

  it.each<[string, SqsBatchHandler]>([
    ['nothing', async () => undefined],
    ['null', async () => null],
    ['an empty object', async () => ({})],
    ['an empty batchItemFailures', async () => ({ batchItemFailures: [] })],
  ])('GIVEN a handler that returns %s WHEN it is invoked THEN every record is deleted', async (_, handler) => {
    const queue = await createTestQueue('all-succeed');
    await send(queue, bodies('m', 3));
    const runner = startRunner({ critical: queue }, handler);

    await waitFor('three deletions', () => runner.counters().total.deleted === 3);
    await runner.stop();

    expect(await messagesOnQueue(sqs, queue.queueUrl)).toBe(0);
  });

  it('GIVEN three lanes WHEN many batches wait THEN no lane ever runs more invocations than its maxConcurrency', async () => {
    const queues = Object.fromEntries(
      await Promise.all(LANES.map(async (lane) => [lane, await createTestQueue(`lane-cap-${lane}`)] as const)),
    ) as Record<Lane, TestQueue>;
    for (const lane of LANES) await send(queues[lane], bodies(lane, 20));
    const settings = mappingSettings({
      critical: { batchSize: 1, maxConcurrency: 2 },
      standard: { batchSize: 2, maxConcurrency: 3 },
      bulk: { batchSize: 1, maxConcurrency: 4 },
    });
    const current = { critical: 0, standard: 0, bulk: 0 };
    const peak = { critical: 0, standard: 0, bulk: 0 };
    const laneOf = (arn: string) => LANES.find((lane) => queues[lane].queueArn === arn) as Lane;
    const runner = startRunner(
      queues,
      async (event) => {
        const lane = laneOf(event.Records[0]?.eventSourceARN ?? '');
        current[lane] += 1;
        peak[lane] = Math.max(peak[lane], current[lane]);
        await hold(50);
        current[lane] -= 1;
      },
      settings,
    );

    await waitFor('every message to be deleted', () => runner.counters().total.deleted === 60);
    await runner.stop();

    expect(peak.critical).toBeLessThanOrEqual(2);
    expect(peak.standard).toBeLessThanOrEqual(3);
    expect(peak.bulk).toBeLessThanOrEqual(4);
  });

  it('GIVEN a reserved concurrency below the sum of the lanes WHEN many batches wait THEN it is never exceeded', async () => {
    const queues = Object.fromEntries(
      await Promise.all(LANES.map(async (lane) => [lane, await createTestQueue(`global-cap-${lane}`)] as const)),
    ) as Record<Lane, TestQueue>;
    for (const lane of LANES) await send(queues[lane], bodies(lane, 20));
    const settings = mappingSettings(
      {
        critical: { batchSize: 1, maxConcurrency: 3 },
        standard: { batchSize: 1, maxConcurrency: 3 },
        bulk: { batchSize: 1, maxConcurrency: 3 },
      },
      4,
    );
    let current = 0;
    let peak = 0;
    const runner = startRunner(
      queues,
      async () => {
        current += 1;
        peak = Math.max(peak, current);
        await hold(50);
        current -= 1;
      },
      settings,
    );

    await waitFor('every message to be deleted', () => runner.counters().total.deleted === 60);
    await runner.stop();

    expect(peak).toBeLessThanOrEqual(4);
    expect(runner.counters().total.peakConcurrency).toBeLessThanOrEqual(4);
  });

  it('GIVEN a message that always fails WHEN it has been received maxReceiveCount times THEN the queue redrives it to its dead-letter queue', async () => {
    const queue = await createTestQueue('redrive', 2);
    const ids = await send(queue, ['poison']);
    const receiveCounts: string[] = [];
    startRunner({ standard: queue }, async (event) => {
      receiveCounts.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
      return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    await waitFor(
      'the message to reach the dead-letter queue',
      async () => (await messagesOnQueue(sqs, queue.deadLetterQueueUrl)) === 1,
    );

    const [deadLettered] = await receiveAll(sqs, queue.deadLetterQueueUrl);
    expect({ id: deadLettered?.MessageId, body: deadLettered?.Body, receiveCounts }).toEqual({
      id: ids.get('poison'),
      body: 'poison',
      receiveCounts: ['1', '2'],
    });
  });

  it('GIVEN an invocation in flight WHEN the runner is stopped THEN stop waits for it to finish', async () => {
    const queue = await createTestQueue('stop-waits');
    await send(queue, ['slow']);
    let started = false;
    let finished = false;
    const runner = startRunner({ standard: queue }, async () => {
      started = true;
      await hold(300);
      finished = true;
    });

    await waitFor('the invocation to start', () => started);
    await runner.stop();

    expect({ finished, deleted: runner.counters().total.deleted }).toEqual({ finished: true, deleted: 1 });
  });

  it('GIVEN a stopped runner WHEN messages arrive later THEN no poller receives them', async () => {
    const queue = await createTestQueue('stop-ends-pollers');
    const receives = { started: 0, finished: 0 };
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'ReceiveMessageCommand') return next(args);
        receives.started += 1;
        try {
          return await next(args);
        } finally {
          receives.finished += 1;
        }
      },
      { step: 'initialize', name: 'countReceivesForStopTest' },
    );
    try {
      const runner = startRunner({ standard: queue }, async () => undefined);
      await waitFor('the pollers to be receiving', () => receives.started >= 1);
      await runner.stop();
      const afterStop = { ...receives };

      await send(queue, ['late']);
      await hold(1500); // longer than one long poll: a live poller would have received by now

      expect({
        inFlightAtStop: afterStop.started - afterStop.finished,
        startedSince: receives.started - afterStop.started,
        onQueue: await messagesOnQueue(sqs, queue.queueUrl),
      }).toEqual({
        inFlightAtStop: 0,
        startedSince: 0,
        onQueue: 1,
      });
    } finally {
      sqs.middlewareStack.remove('countReceivesForStopTest');
    }
  });

  it('GIVEN a handler still running at the timeout WHEN it is abandoned THEN a timeout is counted, its slot is free for the next batch and its records come back', async () => {
    const queue = await createTestQueue('abandoned');
    await send(queue, ['stuck', 'next']);
    const settings = {
      ...mappingSettings({ standard: { batchSize: 1, maxConcurrency: 2 } }, 1),
      dispatcherTimeoutSeconds: 1,
    };
    const invoked: string[] = [];
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = startRunner(
      { standard: queue },
      async (event) => {
        const body = event.Records[0]?.body as string;
        invoked.push(body);
        if (body === 'stuck' && !invoked.slice(0, -1).includes('stuck')) await stuck; // only its first delivery hangs
      },
      settings,
    );

    // WHEN: 'stuck' hangs past the 1 s timeout while holding the only slot.
    await waitFor('the other batch to run and the stuck one to come back', () => runner.counters().total.deleted === 2);
    release();
    await runner.stop();

    // THEN
    expect({
      timeouts: runner.counters().total.timeouts,
      stuckDeliveries: invoked.filter((body) => body === 'stuck').length,
      next: invoked.includes('next'),
      onQueue: await messagesOnQueue(sqs, queue.queueUrl),
    }).toEqual({ timeouts: 1, stuckDeliveries: 2, next: true, onQueue: 0 });
  });

  it('GIVEN an abandoned invocation WHEN it makes an AWS call after its timeout THEN the call is refused and never sent', async () => {
    const queue = await createTestQueue('abandoned-calls');
    const target = await createTestQueue('abandoned-calls-target'); // not polled: what is sent there stays
    await send(queue, ['late-call']);
    const client = refuseCallsOfAbandonedInvocations(createLocalSqsClient(local.emulator.endpoint));
    const settings = { ...mappingSettings({}), dispatcherTimeoutSeconds: 1 };
    let outcome: unknown;
    let deliveries = 0;
    const runner = startRunner(
      { standard: queue },
      async () => {
        deliveries += 1;
        if (deliveries > 1) return; // the redelivery after the timeout succeeds at once
        await hold(1300);
        outcome = await client
          .send(
            new SendMessageCommand({
              QueueUrl: target.queueUrl,
              MessageBody: 'x',
              MessageGroupId: 'g',
              MessageDeduplicationId: 'late',
            }),
          )
          .catch((error: unknown) => error);
      },
      settings,
    );

    await waitFor('the abandoned invocation to try its call', () => outcome !== undefined);
    await runner.stop();
    client.destroy();

    expect({
      refused: outcome instanceof InvocationAbandonedError,
      timeouts: runner.counters().total.timeouts,
      sent: await messagesOnQueue(sqs, target.queueUrl),
    }).toEqual({ refused: true, timeouts: 1, sent: 0 });
  });

  it('GIVEN a reserved concurrency of 1 and two lanes with work WHEN one invocation holds the slot THEN the other lane is throttled, counted, and its batch is processed later', async () => {
    const queues = {
      critical: await createTestQueue('throttle-critical'),
      bulk: await createTestQueue('throttle-bulk'),
    };
    await send(queues.critical, ['c0']);
    await send(queues.bulk, ['b0']);
    const settings = mappingSettings(
      { critical: { batchSize: 1, maxConcurrency: 2 }, bulk: { batchSize: 1, maxConcurrency: 2 } },
      1,
    );
    const runner = startRunner(
      queues,
      async () => {
        await hold(300);
      },
      settings,
    );

    await waitFor('both batches to be processed', () => runner.counters().total.deleted === 2);
    await runner.stop();

    const { total } = runner.counters();
    expect({
      throttled: total.throttles > 0,
      peak: total.peakConcurrency,
      reported: errors.some((error) => error.step === 'throttle'),
    }).toEqual({ throttled: true, peak: 1, reported: true });
  });
});
