import { createHash } from 'node:crypto';
import { sharedPipeline } from '../support/pipeline';
import { receiveDeadLetters, sendRawMessage } from '../support/raw-messages';
import { intentSchemaValidator } from './intent-schema-validator';

/**
 * A producer that knows only the documented contract (README, "Producers in any language"): a JSON body that
 * validates against schema/intent.schema.json, sent with a plain SendMessage to the lane's queue, a message
 * group, and the hex SHA-256 of the body as de-duplication id. No code of the client is used to build it.
 */
const validate = intentSchemaValidator();
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const valid = {
  critical: {
    groupId: 'u1:prospect-email:ada@example.com',
    body: {
      v: 1,
      id: 'raw-create-1',
      user: 'u1',
      lane: 'critical',
      operation: { type: 'prospect.create', attributes: { emails: ['ada@example.com'], firstName: 'Ada' } },
      fields: { prospect: ['firstName', 'emails'] },
      correlationId: 'raw-contract-test',
    },
  },
  standard: {
    groupId: 'u1:prospect-email:grace@example.com',
    body: {
      v: 1,
      id: 'raw-upsert-1',
      user: 'u1',
      lane: 'standard',
      operation: { type: 'prospect.upsert', email: 'grace@example.com', attributes: { title: 'Rear Admiral' } },
    },
  },
  bulk: {
    groupId: 'u1:prospects',
    body: {
      v: 1,
      id: 'raw-request-1',
      user: 'u1',
      lane: 'bulk',
      operation: { type: 'request', method: 'GET', path: '/prospects', query: { 'page[size]': '5' } },
    },
  },
} as const;

/** Breaks the contract: a prospect id written as a string. */
const invalidBody = {
  v: 1,
  id: 'raw-bad-1',
  user: 'u1',
  lane: 'standard',
  operation: { type: 'prospect.update', prospectId: '42', attributes: { title: 'CTO' } },
};

describe('the documented message contract, used without the producer client', () => {
  const shared = sharedPipeline({ outreachUsers: ['u1'], simulator: { users: ['u1'] } }, 60_000);

  async function sendRaw(queueUrl: string, groupId: string, body: unknown): Promise<void> {
    const text = JSON.stringify(body);
    await sendRawMessage(shared.pipeline.env.clients.sqs, queueUrl, {
      body: text,
      groupId,
      deduplicationId: sha256Hex(text),
    });
  }

  it("GIVEN bodies that validate against the checked-in JSON Schema WHEN sent raw to each lane THEN the dispatcher performs each and records Outreach's answer", async () => {
    const { pipeline } = shared;
    const schemaErrors = Object.values(valid).map(({ body }) => validate(body));
    for (const lane of ['critical', 'standard', 'bulk'] as const) {
      await sendRaw(pipeline.env.lanes[lane].queueUrl, valid[lane].groupId, valid[lane].body);
    }

    const results = await Promise.all(
      Object.values(valid).map(({ body }) => pipeline.client.waitForResult(body.id, { timeoutMs: 30_000 })),
    );

    expect({ schemaErrors, results }).toEqual({
      schemaErrors: [[], [], []],
      results: [
        expect.objectContaining({
          id: 'raw-create-1',
          status: 'succeeded',
          result: expect.objectContaining({ httpStatus: 201, resourceType: 'prospect' }),
        }),
        expect.objectContaining({
          id: 'raw-upsert-1',
          status: 'succeeded',
          result: expect.objectContaining({ resourceType: 'prospect' }),
        }),
        expect.objectContaining({
          id: 'raw-request-1',
          status: 'succeeded',
          result: expect.objectContaining({ httpStatus: 200 }),
        }),
      ],
    });
  }, 60_000);

  it('GIVEN a body the JSON Schema refuses WHEN sent raw THEN it is dead-lettered with a reason naming the bad field, and never performed', async () => {
    const { pipeline } = shared;
    const schemaErrors = validate(invalidBody);
    const upstreamBefore = pipeline.env.simulator?.stats().total.requests;
    await sendRaw(pipeline.env.lanes.standard.queueUrl, 'u1:prospect:42', invalidBody);

    const [letter] = await receiveDeadLetters(
      pipeline.env.clients.sqs,
      pipeline.env.lanes.standard.deadLetterQueueUrl,
      1,
    );

    expect({
      schemaRefuses: schemaErrors.length > 0,
      letter,
      upstreamCalls: (pipeline.env.simulator?.stats().total.requests ?? 0) - (upstreamBefore ?? 0),
    }).toEqual({
      schemaRefuses: true,
      upstreamCalls: 0,
      letter: {
        body: JSON.stringify(invalidBody),
        reason: 'invalid',
        detail: expect.stringMatching(/operation\.prospectId: must be a number/),
      },
    });
    expect(await pipeline.client.getResult('raw-bad-1')).toMatchObject({ status: 'pending' });
  }, 60_000);
});
