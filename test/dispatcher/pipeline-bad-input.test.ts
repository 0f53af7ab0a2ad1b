import { sharedPipeline } from '../support/pipeline';
import { receiveDeadLetters, sendRawMessage } from '../support/raw-messages';

describe('dispatcher pipeline: bad input reaching a lane', () => {
  const shared = sharedPipeline({ outreachUsers: ['u1'], simulator: { users: ['u1'] } }, 60_000);

  it('GIVEN messages a producer bypassing the client sent WHEN dispatched THEN each lands in the DLQ with a reason naming the problem, and Outreach is never called', async () => {
    const { pipeline } = shared;
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
    const { sqs } = pipeline.env.clients;
    for (const [name, body] of Object.entries(bodies)) {
      await sendRawMessage(sqs, pipeline.env.lanes.standard.queueUrl, { body, groupId: name, deduplicationId: name });
    }
    const copies = await receiveDeadLetters(sqs, pipeline.env.lanes.standard.deadLetterQueueUrl, 5);
    const found = new Map(copies.map((copy) => [copy.body, { reason: copy.reason, detail: copy.detail }]));
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
