import { OutreachGateClientError } from '../../lib/client';
import { withoutGrant } from '../support/iam';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';
import { messagesOnQueue } from '../support/sqs';
import { waitFor } from './helpers';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/outreach-gate-local';

describe('IAM: every call of the pipeline is checked against the synthesized stack', () => {
  describe('with the policies the stack grants', () => {
    let pipeline: Pipeline;

    beforeAll(async () => {
      pipeline = await startPipeline({ outreachUsers: ['u1'], simulator: { users: ['u1'] } });
    }, 120_000);

    afterAll(async () => {
      await pipeline?.stop();
    });

    it('GIVEN the stack as synthesized WHEN three intents are enqueued, settled and read back THEN the dispatcher and the producer made checked calls and none was denied', async () => {
      const intents = [1, 2, 3].map((n) => prospectCreate(n));
      await pipeline.client.enqueueMany(intents);
      const results = await pipeline.settle(
        intents.map((i) => i.id),
        60_000,
      );
      // The records are settled before the mapping deletes their messages: wait for the deletes (bounded).
      const deletes = () => pipeline.iam.check.ledger().checked.dispatcher?.['sqs:DeleteMessage'] ?? 0;
      for (const deadline = Date.now() + 30_000; deletes() === 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { checked, denied } = pipeline.iam.check.ledger();
      expect({
        statuses: results.map((r) => r.status),
        denied,
        dispatcher: {
          receive: (checked.dispatcher?.['sqs:ReceiveMessage'] ?? 0) > 0,
          delete: (checked.dispatcher?.['sqs:DeleteMessage'] ?? 0) > 0,
          update: (checked.dispatcher?.['dynamodb:UpdateItem'] ?? 0) > 0,
          secret: (checked.dispatcher?.['secretsmanager:GetSecretValue'] ?? 0) > 0,
        },
        producer: {
          send: checked.producer?.['sqs:SendMessage'],
          read: (checked.producer?.['dynamodb:GetItem'] ?? 0) > 0,
        },
      }).toEqual({
        statuses: ['succeeded', 'succeeded', 'succeeded'],
        denied: 0,
        dispatcher: { receive: true, delete: true, update: true, secret: true },
        // One SendMessageBatch, which IAM authorises as sqs:SendMessage.
        producer: { send: 1, read: true },
      });
    }, 90_000);
  });

  describe("with the dispatcher's dynamodb:UpdateItem removed from a synthesized copy", () => {
    let pipeline: Pipeline;

    beforeAll(async () => {
      pipeline = await startPipeline({
        outreachUsers: ['u1'],
        simulator: { users: ['u1'] },
        deployed: (stack) => withoutGrant(stack, 'dispatcher', 'dynamodb:UpdateItem'),
      });
    }, 120_000);

    it('GIVEN an intent the dispatcher must admit WHEN the pipeline stops THEN it fails naming the dispatcher, dynamodb:UpdateItem and the table', async () => {
      // WHEN: the dispatcher handles the intent; every gate write is denied.
      await pipeline.client.enqueue(prospectCreate(1));
      await waitFor('a denied call', () => pipeline.iam.check.ledger().denied > 0, 60_000);
      // THEN
      await expect(pipeline.stop()).rejects.toThrow(
        new RegExp(`dispatcher dynamodb:UpdateItem ${TABLE_ARN.replace(/[/.]/g, '\\$&')}`),
      );
    }, 90_000);
  });

  describe("with the producer's sqs:SendMessage removed from a synthesized copy", () => {
    let pipeline: Pipeline;

    beforeAll(async () => {
      pipeline = await startPipeline({
        outreachUsers: ['u1'],
        simulator: { users: ['u1'] },
        deployed: (stack) => withoutGrant(stack, 'producer', 'sqs:SendMessage'),
      });
    }, 120_000);

    afterAll(async () => {
      await pipeline?.stop().catch(() => undefined);
    });

    it('GIVEN a producer WHEN it enqueues THEN the enqueue fails naming the producer role, sqs:SendMessage and the lane, and nothing is sent', async () => {
      const enqueue = pipeline.client.enqueue(prospectCreate(1, 'critical'));
      await expect(enqueue).rejects.toThrow(OutreachGateClientError);
      await expect(enqueue).rejects.toThrow(
        /producer \(arn:aws:iam::000000000000:role\/\S+\) is not authorized to perform sqs:SendMessage on resource arn:aws:sqs:us-east-1:000000000000:outreach-gate-critical\.fifo/,
      );
      expect(await messagesOnQueue(pipeline.env.clients.sqs, pipeline.env.lanes.critical.queueUrl)).toBe(0);
    }, 60_000);
  });
});
