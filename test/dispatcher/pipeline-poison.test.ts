import { type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/adapters/sqs-lane-queues';
import { type Pipeline, startPipeline } from '../support/pipeline';
import { messagesOnQueue } from '../support/sqs';

/**
 * Messages put straight on a lane, without the producer client: generic requests the policy refuses, bodies
 * too deep or too large. Each must reach the lane's DLQ exactly once with its reason, and never Outreach.
 * The deployment widens the default policy by one rule, to show that the dispatcher applies the configured
 * policy and not only the default.
 */
describe('dispatcher pipeline: generic requests and poison input put on a lane directly', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      requestPolicy: ['default', 'DELETE /tasks/*'],
      simulator: { users: ['u1'] },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  const intent = (id: string, operation: Record<string, unknown>) =>
    JSON.stringify({ v: 1, id, user: 'u1', lane: 'standard', operation: { type: 'request', ...operation } });

  async function putOnLane(bodies: Record<string, string>): Promise<void> {
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
  }

  /** Every DLQ message, read until `expected` have arrived and then once more, so a duplicate would show. */
  async function deadLetters(expected: number): Promise<Message[]> {
    const found: Message[] = [];
    const receive = async () => {
      const { Messages = [] } = await pipeline.env.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.env.lanes.standard.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
          VisibilityTimeout: 600,
        }),
      );
      found.push(...Messages);
    };
    const deadline = Date.now() + 45_000;
    while (found.length < expected && Date.now() < deadline) await receive();
    await receive();
    return found;
  }

  it('GIVEN refused generic requests and a 2,000-level body on a lane WHEN dispatched THEN each is dead-lettered once, as invalid or refused by the policy, with the detail, the lane is empty and Outreach got no request', async () => {
    let deep: unknown = [];
    for (let i = 1; i < 2000; i += 1) deep = [deep];
    const bodies: Record<string, string> = {
      bulkWithoutIds: intent('bulk-no-ids', {
        method: 'POST',
        path: '/batches/actions/prospectsAddToSequence',
        body: { data: { attributes: { sequenceId: 3, mailboxId: 1 } } },
      }),
      deleteProspect: intent('delete-prospect', { method: 'DELETE', path: '/prospects/1' }),
      outsideWebhook: intent('webhook', {
        method: 'POST',
        path: '/webhooks',
        body: { data: { type: 'webhook', attributes: { url: 'https://attacker.example/collect' } } },
      }),
      dotDot: intent('dot-dot', { method: 'POST', path: '/prospects/../webhooks', body: { data: {} } }),
      encoded: intent('encoded', { method: 'POST', path: '/prospects/%2e%2e/webhooks', body: { data: {} } }),
      otherCase: intent('other-case', { method: 'POST', path: '/Webhooks', body: { data: {} } }),
      deep: intent('deep', { method: 'POST', path: '/accounts', body: { data: deep } }),
    };
    expect(Buffer.byteLength(bodies.deep ?? '')).toBeLessThan(4200);

    await putOnLane(bodies);
    const found = await deadLetters(Object.keys(bodies).length);

    const byBody = new Map<string, { reason?: string; detail?: string; intentId?: string }[]>();
    for (const m of found) {
      const list = byBody.get(m.Body ?? '') ?? [];
      list.push({
        reason: m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue,
        detail: m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.detail]?.StringValue,
        intentId: m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.intentId]?.StringValue,
      });
      byBody.set(m.Body ?? '', list);
    }
    const summary = Object.fromEntries(Object.entries(bodies).map(([name, body]) => [name, byBody.get(body)]));
    const invalid = (detail: RegExp, intentId?: string) => [
      { reason: 'invalid', detail: expect.stringMatching(detail), intentId },
    ];
    const refused = (detail: RegExp, intentId: string) => [
      { reason: 'refused-by-policy', detail: expect.stringMatching(detail), intentId },
    ];
    expect({
      summary,
      deadLetters: found.length,
      left: await messagesOnQueue(pipeline.env.clients.sqs, pipeline.env.lanes.standard.queueUrl),
      upstreamRequests: pipeline.env.simulator?.stats().total.requests,
    }).toEqual({
      summary: {
        bulkWithoutIds: refused(
          /^refused by the request policy: POST \/batches\/actions\/prospectsAddToSequence is a bulk action/,
          'bulk-no-ids',
        ),
        deleteProspect: refused(
          /^refused by the request policy: DELETE \/prospects\/1 is not allowed by the request policy \[default, DELETE \/tasks\/\*\]/,
          'delete-prospect',
        ),
        outsideWebhook: refused(/^refused by the request policy: POST \/webhooks is not allowed/, 'webhook'),
        dotDot: invalid(/operation\.path: must not contain '\.' or '\.\.' segments/, 'dot-dot'),
        encoded: invalid(/operation\.path: must not be percent-encoded/, 'encoded'),
        otherCase: refused(/^refused by the request policy: POST \/Webhooks is not allowed/, 'other-case'),
        deep: invalid(/operation\.body\.data\[0\].*: is nested more than 32 levels deep/, 'deep'),
      },
      deadLetters: Object.keys(bodies).length,
      left: 0,
      upstreamRequests: 0,
    });
  }, 90_000);

  it('GIVEN a 600 KB body WHEN it is put on a lane THEN the lane refuses it, as its MaximumMessageSize makes SQS do, and Outreach gets no request', async () => {
    const before = pipeline.env.simulator?.stats().total.requests ?? 0;
    const oversized = intent('oversized', {
      method: 'PATCH',
      path: '/accounts/1',
      body: { data: { attributes: { notes: 'x'.repeat(600_000) } } },
    });

    const sent = putOnLane({ oversized }).then(
      () => 'accepted',
      (error: Error) => error.name,
    );

    expect({
      sent: await sent,
      left: await messagesOnQueue(pipeline.env.clients.sqs, pipeline.env.lanes.standard.queueUrl),
      upstreamRequests: (pipeline.env.simulator?.stats().total.requests ?? 0) - before,
    }).toEqual({ sent: expect.not.stringMatching(/^accepted$/), left: 0, upstreamRequests: 0 });
  }, 60_000);

  it('GIVEN the deployment allows DELETE /tasks/* WHEN such a request is on a lane THEN the dispatcher sends it to Outreach', async () => {
    const before = pipeline.env.simulator?.stats().total.requests ?? 0;

    await putOnLane({ deleteTask: intent('delete-task', { method: 'DELETE', path: '/tasks/5' }) });
    const [result] = await pipeline.settle(['delete-task'], 45_000);

    expect({
      settled: result?.status === 'succeeded' || result?.status === 'dead-lettered',
      refused: result?.status === 'dead-lettered' && result.deadLetterReason === 'refused-by-policy',
      reachedOutreach: (pipeline.env.simulator?.stats().total.requests ?? 0) > before,
    }).toEqual({ settled: true, refused: false, reachedOutreach: true });
  }, 60_000);
});
