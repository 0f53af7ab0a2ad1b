import { LANES } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import {
  createLaneQueues,
  deadLetterQueueName,
  laneQueueName,
  readLaneQueueAttributes,
  SqsEmulatorError,
  startSqsEmulator,
} from '../../local/emulators/sqs';
import { type LocalSqs, startLocalSqs, uniqueQueuePrefix } from '../support/sqs';

describe('lane queues in the local SQS emulator', () => {
  let local: LocalSqs;
  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterAll(async () => {
    await local.stop();
  });

  const settings = resolveGateSettings({ dispatcherTimeoutSeconds: 20, maxReceiveCount: 500 });

  describe.each(LANES)('lane %s', (lane) => {
    it('GIVEN the gate settings WHEN the lanes are created THEN the lane queue has the FIFO, visibility, retention and redrive attributes from the settings', async () => {
      const prefix = uniqueQueuePrefix('attrs');
      const endpoints = await createLaneQueues(local.sqs, settings, prefix);

      const { queue } = (await readLaneQueueAttributes(local.sqs, endpoints))[lane];

      expect(queue).toMatchObject({
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: String(settings.lanes[lane].visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(settings.lanes[lane].retentionSeconds),
      });
      expect(JSON.parse(queue.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: expect.stringMatching(new RegExp(`:${deadLetterQueueName(prefix, lane)}$`)),
        maxReceiveCount: 500,
      });
    });

    it('GIVEN the gate settings WHEN the lanes are created THEN the dead-letter queue is a FIFO queue kept for the lane retention', async () => {
      const endpoints = await createLaneQueues(local.sqs, settings, uniqueQueuePrefix('dlq'));

      const { deadLetterQueue } = (await readLaneQueueAttributes(local.sqs, endpoints))[lane];

      expect(deadLetterQueue).toMatchObject({
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        MessageRetentionPeriod: String(settings.lanes[lane].retentionSeconds),
      });
      expect(deadLetterQueue.RedrivePolicy).toBeUndefined();
    });
  });

  it('GIVEN a prefix WHEN the lanes are created THEN the queues are named <prefix>-<lane>.fifo and <prefix>-<lane>-dlq.fifo', async () => {
    const prefix = uniqueQueuePrefix('names');

    const endpoints = await createLaneQueues(local.sqs, settings, prefix);

    for (const lane of LANES) {
      expect(endpoints[lane].queueUrl).toMatch(new RegExp(`/${laneQueueName(prefix, lane)}$`));
      expect(endpoints[lane].queueArn).toMatch(new RegExp(`:${laneQueueName(prefix, lane)}$`));
      expect(endpoints[lane].deadLetterQueueUrl).toMatch(new RegExp(`/${deadLetterQueueName(prefix, lane)}$`));
    }
  });

  it('GIVEN lanes that already exist WHEN they are created again with the same settings THEN the same queues are returned', async () => {
    const prefix = uniqueQueuePrefix('again');
    const first = await createLaneQueues(local.sqs, settings, prefix);

    const second = await createLaneQueues(local.sqs, settings, prefix);

    expect(second).toEqual(first);
  });

  it.each(['', 'has space', 'x'.repeat(70)])(
    'GIVEN the prefix "%s" WHEN the lanes are created THEN it is refused by name',
    async (prefix) => {
      await expect(createLaneQueues(local.sqs, settings, prefix)).rejects.toThrow(/queue name prefix/);
    },
  );
});

describe('the SQS emulator process', () => {
  it('GIVEN a running emulator WHEN it is stopped THEN its endpoint no longer answers', async () => {
    const emulator = await startSqsEmulator();

    await emulator.stop();

    await expect(fetch(emulator.endpoint)).rejects.toThrow();
  });

  it('GIVEN an invalid port WHEN the emulator is started THEN it is refused with the port named', async () => {
    await expect(startSqsEmulator({ port: 70_000 })).rejects.toThrow(
      new SqsEmulatorError('port must be an integer from 0 to 65535, got 70000'),
    );
  });
});
