import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';
import { type Pipeline, startPipeline } from '../support/pipeline';

describe('dispatcher pipeline: bad input reaching a lane', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({ outreachUsers: ['u1'], simulator: { users: ['u1'] } });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  async function deadLetters(expected: number) {
    const found = new Map<string, { reason?: string; detail?: string }>();
    const deadline = Date.now() + 30_000;
    while (found.size < expected && Date.now() < deadline) {
      const { Messages = [] } = await pipeline.env.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.env.lanes.standard.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      for (const m of Messages) {
        found.set(m.Body ?? '', {
          reason: m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
          detail: m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.detail]?.StringValue,
        });
      }
    }
    return found;
  }

  it('GIVEN messages a producer bypassing the client sent WHEN dispatched THEN each lands in the DLQ with a reason naming the problem, and Outreach is never called', async () => {
    const bodies = {
      notJson: '{"id": ',
      badEmail: JSON.stringify({
        v: 1,
        id: 'bad-email',
        user: 'u1',
        lane: 'standard',
        operation: { type: 'prospect.create', attributes: { emails: ['nope'] } },
      }),
      unknownUser: JSON.stringify({
        v: 1,
        id: 'who',
        user: 'mallory',
        lane: 'standard',
        operation: { type: 'prospect.update', prospectId: 1, attributes: { title: 'x' } },
      }),
      wrongLane: JSON.stringify({
        v: 1,
        id: 'lane',
        user: 'u1',
        lane: 'critical',
        operation: { type: 'prospect.update', prospectId: 1, attributes: { title: 'x' } },
      }),
      expired: JSON.stringify({
        v: 1,
        id: 'late',
        user: 'u1',
        lane: 'standard',
        deadline: '2020-01-01T00:00:00Z',
        operation: { type: 'prospect.update', prospectId: 1, attributes: { title: 'x' } },
      }),
    };
    for (const [name, body] of Object.entries(bodies)) {
      await pipeline.env.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: pipeline.env.lanes.standard.queueUrl,
          MessageBody: body,
          MessageGroupId: name,
          MessageDeduplicationId: name,
        }),
      );
    }
    const found = await deadLetters(5);
    const summary = Object.fromEntries(Object.entries(bodies).map(([name, body]) => [name, found.get(body)]));
    expect({ summary, upstreamCalls: pipeline.env.simulator?.stats().total.requests }).toEqual({
      summary: {
        notJson: { reason: 'invalid', detail: expect.stringMatching(/^body is not JSON/) },
        badEmail: {
          reason: 'invalid',
          detail: expect.stringMatching(/operation\.attributes\.emails\[0\]: must be an email address/),
        },
        unknownUser: {
          reason: 'invalid',
          detail: expect.stringMatching(/user "mallory" is not one of the gate's users/),
        },
        wrongLane: { reason: 'invalid', detail: 'intent names lane critical but was sent to the standard lane' },
        expired: { reason: 'expired', detail: 'deadline 2020-01-01T00:00:00Z passed' },
      },
      upstreamCalls: 0,
    });
  }, 60_000);
});
