import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import type { LaneEndpoints } from '../../lambdas/shared/config';
import { IntentValidationError, MAX_INTENT_BYTES } from '../../lambdas/shared/intent';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { type IntentInput, OutreachGateClient, OutreachGateClientError } from '../../lib/client';
import { resolveGateSettings } from '../../lib/settings';
import { createLaneQueues } from '../../local/emulators/sqs';
import { type LocalSqs, messagesOnQueue, receiveAll, startLocalSqs, uniqueQueuePrefix } from '../support/sqs';

describe('OutreachGateClient against the local SQS emulator', () => {
  const settings = resolveGateSettings();
  let local: LocalSqs;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    local = await startLocalSqs();
    dynamodb = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterAll(async () => {
    dynamodb.destroy();
    await local.stop();
  });

  /** Fresh lanes for each test, and a client sending to them. */
  async function freshLanes(): Promise<{ lanes: LaneEndpoints; client: OutreachGateClient }> {
    const lanes = await createLaneQueues(local.sqs, settings, uniqueQueuePrefix('client'));
    const laneUrls = Object.fromEntries(LANES.map((lane) => [lane, lanes[lane].queueUrl])) as Record<Lane, string>;
    return { lanes, client: new OutreachGateClient({ laneUrls, tableName: 'gate', sqs: local.sqs, dynamodb }) };
  }

  async function messagesOnLanes(lanes: LaneEndpoints): Promise<number> {
    const counts = await Promise.all(LANES.map((lane) => messagesOnQueue(local.sqs, lanes[lane].queueUrl)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  const update = (id: string, lane: Lane, prospectId = 7): IntentInput => ({
    id,
    user: 'u1',
    lane,
    operation: { type: 'prospect.update', prospectId, attributes: { title: 'CTO' } },
  });

  describe('enqueue', () => {
    it('GIVEN a critical intent WHEN it is enqueued THEN it lands on the critical lane with its group, de-duplication id and attributes', async () => {
      const { lanes, client } = await freshLanes();
      const intent: IntentInput = { ...update('crm:order-1', 'critical'), correlationId: 'req-1' };

      const enqueued = await client.enqueue(intent);

      const [message, ...others] = await receiveAll(local.sqs, lanes.critical.queueUrl);
      expect(others).toEqual([]);
      expect(enqueued).toEqual({
        id: 'crm:order-1',
        messageId: message?.MessageId,
        lane: 'critical',
        messageGroupId: 'u1:prospect:7',
      });
      expect(message?.Attributes).toMatchObject({
        MessageGroupId: 'u1:prospect:7',
        MessageDeduplicationId: createHash('sha256')
          .update(message?.Body ?? '', 'utf8')
          .digest('hex'),
      });
      expect(JSON.parse(message?.Body ?? '')).toEqual({ v: 1, ...intent });
      expect(attributeValues(message)).toEqual({
        lane: 'critical',
        user: 'u1',
        operation: 'prospect.update',
        correlationId: 'req-1',
      });
    });

    it('GIVEN a critical intent WHEN it is enqueued THEN the other lanes stay empty', async () => {
      const { lanes, client } = await freshLanes();

      await client.enqueue(update('only-critical', 'critical'));

      expect(await messagesOnQueue(local.sqs, lanes.standard.queueUrl)).toBe(0);
      expect(await messagesOnQueue(local.sqs, lanes.bulk.queueUrl)).toBe(0);
    });

    it('GIVEN an invalid intent WHEN it is enqueued THEN it is refused naming the field and nothing is sent', async () => {
      const { lanes, client } = await freshLanes();
      const invalid = {
        ...update('bad', 'standard'),
        operation: { type: 'prospect.update', prospectId: 0, attributes: {} },
      };

      await expect(client.enqueue(invalid as IntentInput)).rejects.toThrow(
        new IntentValidationError([
          { path: 'operation.prospectId', message: 'must be a positive id (an Outreach prospect id)' },
          { path: 'operation.attributes', message: 'must set at least one attribute' },
        ]),
      );
      expect(await messagesOnLanes(lanes)).toBe(0);
    });

    it('GIVEN an intent over 256 KiB WHEN it is enqueued THEN it is refused with its size and nothing is sent', async () => {
      const { lanes, client } = await freshLanes();
      const oversize: IntentInput = {
        ...update('huge', 'bulk'),
        operation: { type: 'prospect.update', prospectId: 7, attributes: { notes: 'x'.repeat(MAX_INTENT_BYTES) } },
      };

      await expect(client.enqueue(oversize)).rejects.toThrow(/the limit is 262144 bytes \(256 KiB\)/);
      expect(await messagesOnLanes(lanes)).toBe(0);
    });

    it('GIVEN an intent already enqueued WHEN the same id is enqueued again within the de-duplication window THEN the queue keeps one message', async () => {
      const { lanes, client } = await freshLanes();
      await client.enqueue(update('once', 'standard'));

      await client.enqueue(update('once', 'standard'));

      expect(await receiveAll(local.sqs, lanes.standard.queueUrl)).toHaveLength(1);
    });

    it('GIVEN a lane URL with no queue behind it WHEN an intent is enqueued THEN the error names the intent and the lane', async () => {
      const { lanes } = await freshLanes();
      const client = new OutreachGateClient({
        laneUrls: { ...laneUrlsOf(lanes), bulk: `${local.emulator.endpoint}/000000000000/missing.fifo` },
        tableName: 'gate',
        sqs: local.sqs,
        dynamodb,
      });

      const enqueue = client.enqueue(update('lost', 'bulk'));

      await expect(enqueue).rejects.toThrow(OutreachGateClientError);
      await expect(enqueue).rejects.toThrow(/could not enqueue intent "lost" on lane bulk/);
    });
  });

  describe('enqueueMany', () => {
    it('GIVEN 25 intents across the lanes WHEN they are enqueued together THEN every one is sent to its lane', async () => {
      const { lanes, client } = await freshLanes();
      const intents = Array.from({ length: 25 }, (_, i) =>
        update(`many-${i}`, LANES[i % LANES.length] as Lane, 100 + i),
      );

      const result = await client.enqueueMany(intents);

      expect(result.failed).toEqual([]);
      expect(result.sent.map((sent) => sent.id)).toEqual(intents.map((intent) => intent.id));
      for (const lane of LANES) {
        const received = await receiveAll(local.sqs, lanes[lane].queueUrl);
        const expected = intents.filter((intent) => intent.lane === lane).map((intent) => intent.id);
        expect(received.map((message) => (JSON.parse(message.Body ?? '{}') as { id?: string }).id).sort()).toEqual(
          expected.sort(),
        );
      }
    });

    it('GIVEN 12 intents for one prospect WHEN they are enqueued together THEN they arrive in the order given', async () => {
      const { lanes, client } = await freshLanes();
      const intents = Array.from({ length: 12 }, (_, i) => update(`step-${i}`, 'standard', 5));

      await client.enqueueMany(intents);

      const received = await receiveAll(local.sqs, lanes.standard.queueUrl);
      expect(received.map((message) => (JSON.parse(message.Body ?? '{}') as { id?: string }).id)).toEqual(
        intents.map((i) => i.id),
      );
    });

    it('GIVEN one invalid intent among valid ones WHEN they are enqueued together THEN it is named by index and nothing is sent', async () => {
      const { lanes, client } = await freshLanes();
      const intents = [
        update('v-0', 'standard'),
        { ...update('v-1', 'bulk'), lane: 'urgent' },
        update('v-2', 'critical'),
      ];

      await expect(client.enqueueMany(intents as IntentInput[])).rejects.toThrow(
        'invalid intents: intents[1].lane: must be one of critical, standard, bulk',
      );
      expect(await messagesOnLanes(lanes)).toBe(0);
    });

    it('GIVEN the same id twice in one call WHEN the intents are enqueued THEN the call is refused and nothing is sent', async () => {
      const { lanes, client } = await freshLanes();

      await expect(client.enqueueMany([update('twin', 'standard'), update('twin', 'bulk')])).rejects.toThrow(
        /intents\[1\]\.id: "twin" is also the id of intents\[0\]/,
      );
      expect(await messagesOnLanes(lanes)).toBe(0);
    });

    it('GIVEN one lane whose queue is missing WHEN intents are enqueued across lanes THEN that lane’s intents are reported failed and the others sent', async () => {
      const { lanes } = await freshLanes();
      const client = new OutreachGateClient({
        laneUrls: { ...laneUrlsOf(lanes), bulk: `${local.emulator.endpoint}/000000000000/missing.fifo` },
        tableName: 'gate',
        sqs: local.sqs,
        dynamodb,
      });
      const intents = [update('p-0', 'standard', 1), update('p-1', 'bulk', 2), update('p-2', 'critical', 3)];

      const result = await client.enqueueMany(intents);

      expect(result.sent.map((sent) => sent.id)).toEqual(['p-0', 'p-2']);
      expect(result.failed).toEqual([
        { id: 'p-1', code: expect.stringMatching(/QueueDoesNotExist/), message: expect.any(String), senderFault: true },
      ]);
    });

    it('GIVEN no intents WHEN they are enqueued THEN nothing is sent and nothing fails', async () => {
      const { client } = await freshLanes();

      expect(await client.enqueueMany([])).toEqual({ sent: [], failed: [] });
    });
  });
});

function laneUrlsOf(lanes: LaneEndpoints): Record<Lane, string> {
  return Object.fromEntries(LANES.map((lane) => [lane, lanes[lane].queueUrl])) as Record<Lane, string>;
}

function attributeValues(message: Message | undefined): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(message?.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
  );
}
