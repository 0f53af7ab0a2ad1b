import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  type IntentInput,
  IntentValidationError,
  OutreachGateClient,
  OutreachGateClientError,
  type OutreachGateClientOptions,
} from '../../lib/client';

/**
 * What the producer refuses before anything is sent. SQS is mocked at the SDK boundary only to prove that no
 * request reaches it; the validation under test is the client's own.
 */
describe('OutreachGateClient refuses before sending', () => {
  const sqsMock = mockClient(SQSClient);
  const now = Date.parse('2030-01-01T00:00:00Z');
  const client = (options: Partial<OutreachGateClientOptions> = {}) =>
    new OutreachGateClient({
      laneUrls: {
        critical: 'https://q/critical.fifo',
        standard: 'https://q/standard.fifo',
        bulk: 'https://q/bulk.fifo',
      },
      tableName: 'gate',
      sqs: new SQSClient({ region: 'us-east-1' }),
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      clock: () => now,
      ...options,
    });

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  const request = (id: string, operation: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({ id, user: 'u1', lane: 'standard', operation: { type: 'request', ...operation }, ...extra }) as IntentInput;

  const update = (id: string, extra: Record<string, unknown> = {}) =>
    ({
      id,
      user: 'u1',
      lane: 'standard',
      operation: { type: 'prospect.update', prospectId: 7, attributes: { title: 'CTO' } },
      ...extra,
    }) as IntentInput;

  async function refusal(intent: unknown, options?: Partial<OutreachGateClientOptions>): Promise<string> {
    const error = await client(options)
      .enqueue(intent as IntentInput)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(IntentValidationError);
    expect(sqsMock.calls()).toHaveLength(0);
    return (error as Error).message;
  }

  describe('the generic request operation', () => {
    it('GIVEN the unfiltered bulk action without ids WHEN enqueued THEN it is refused as a bulk action and nothing is sent', async () => {
      const message = await refusal(
        request('bulk', {
          method: 'POST',
          path: '/batches/actions/prospectsAddToSequence',
          body: { data: { attributes: { sequenceId: 3, mailboxId: 1 } } },
        }),
      );

      expect(message).toMatch(
        /operation: refused: POST \/batches\/actions\/prospectsAddToSequence is a bulk action: bulk actions go through their typed operations/,
      );
    });

    it('GIVEN a DELETE WHEN enqueued THEN it is refused naming the method, the path and the policy, and nothing is sent', async () => {
      expect(await refusal(request('delete', { method: 'DELETE', path: '/prospects/1' }))).toMatch(
        /operation: refused: DELETE \/prospects\/1 is not allowed by the request policy \[default\]/,
      );
    });

    it('GIVEN a webhook pointing at an outside URL WHEN enqueued THEN it is refused and nothing is sent', async () => {
      const hook = { data: { type: 'webhook', attributes: { url: 'https://attacker.example/collect' } } };

      expect(await refusal(request('hook', { method: 'POST', path: '/webhooks', body: hook }))).toMatch(
        /POST \/webhooks is not allowed by the request policy/,
      );
    });

    it.each([
      ['a dot-dot segment', '/prospects/../webhooks'],
      ['a dot-dot segment after an id', '/prospects/1/../../webhooks'],
      ['a dot segment', '/./webhooks'],
      ['an encoded dot-dot', '/prospects/%2e%2e/webhooks'],
      ['an encoded slash', '/prospects%2F..%2Fwebhooks'],
      ['a double slash', '/prospects//webhooks'],
      ['a protocol-relative URL', '//attacker.example/webhooks'],
      ['an absolute URL', 'https://attacker.example/api/v2/webhooks'],
      ['a trailing slash', '/webhooks/'],
      ['a query string in the path', '/webhooks?x=1'],
      ['a fragment', '/prospects#/../webhooks'],
      ['a backslash', '/prospects\\..\\webhooks'],
      ['the API prefix', '/api/v2/webhooks'],
      ['another case', '/Webhooks'],
      ['unicode look-alikes', '/ｗebhooks'],
    ])('GIVEN a path with %s WHEN enqueued THEN it is refused and nothing is sent', async (_name, path) => {
      expect(await refusal(request('trick', { method: 'POST', path, body: { data: {} } }))).toMatch(
        /^invalid intent: operation(\.path)?: /,
      );
    });

    it('GIVEN a method override in the query WHEN enqueued THEN it is refused and nothing is sent', async () => {
      expect(
        await refusal(request('override', { method: 'POST', path: '/accounts', query: { _method: 'DELETE' } })),
      ).toMatch(/method override/);
    });

    it('GIVEN a client whose policy allows DELETE /tasks/* WHEN a task is deleted THEN it is sent', async () => {
      await client({ requestPolicy: ['default', 'DELETE /tasks/*'] }).enqueue(
        request('delete-task', { method: 'DELETE', path: '/tasks/5' }),
      );

      expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    });

    it('GIVEN a policy rule that would allow a bulk action WHEN the client is built THEN it fails naming the rule', () => {
      expect(() => client({ requestPolicy: ['POST /batches/actions/prospectsDestroyAll'] })).toThrow(
        OutreachGateClientError,
      );
      expect(() => client({ requestPolicy: ['POST /batches/actions/prospectsDestroyAll'] })).toThrow(
        /requestPolicy: rule "POST \/batches\/actions\/prospectsDestroyAll" would allow a bulk action/,
      );
    });
  });

  describe('poison input', () => {
    it('GIVEN a body nested 2,000 levels deep WHEN enqueued THEN it is an IntentValidationError naming the depth and nothing is sent', async () => {
      let deep: unknown = [];
      for (let i = 1; i < 2000; i += 1) deep = [deep];

      expect(await refusal(request('deep', { method: 'POST', path: '/accounts', body: { data: deep } }))).toMatch(
        /is nested more than 32 levels deep/,
      );
    });

    it.each([
      ['null', null],
      ['a string', 'intent'],
      ['an array', [update('a')]],
      [
        'a revoked proxy',
        (() => {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          return proxy;
        })(),
      ],
    ])(
      'GIVEN %s as the intent WHEN enqueued THEN it is an IntentValidationError and nothing is sent',
      async (_name, value) => {
        expect(await refusal(value)).toMatch(/^invalid intent: \(intent\): /);
      },
    );
  });

  describe('deadlines', () => {
    it('GIVEN a deadline already past WHEN enqueued THEN it is refused naming the field and nothing is sent', async () => {
      expect(await refusal(update('late', { deadline: '2029-12-31T23:00:00Z' }))).toBe(
        'invalid intent: deadline: 2029-12-31T23:00:00Z is already past (now is 2030-01-01T00:00:00.000Z)',
      );
    });

    it('GIVEN a deadline a year ahead WHEN enqueued THEN it is refused naming the field and nothing is sent', async () => {
      expect(await refusal(update('far', { deadline: '2031-01-01T00:00:00Z' }))).toMatch(
        /^invalid intent: deadline: 2031-01-01T00:00:00Z is more than 14 days ahead/,
      );
    });

    it('GIVEN a deadline a day ahead WHEN enqueued THEN it is sent', async () => {
      await client().enqueue(update('soon', { deadline: '2030-01-02T00:00:00Z' }));

      expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    });
  });

  describe('enqueueMany', () => {
    it('GIVEN valid intents among refused ones WHEN enqueued together THEN every refused one is listed by index and nothing is sent', async () => {
      let deep: unknown = [];
      for (let i = 1; i < 100; i += 1) deep = [deep];
      const intents = [
        update('ok-1'),
        request('delete', { method: 'DELETE', path: '/prospects/1' }),
        update('late', { deadline: '2020-01-01T00:00:00Z' }),
        request('deep', { method: 'POST', path: '/accounts', body: { data: deep } }),
        update('ok-2'),
      ];

      const error = await client()
        .enqueueMany(intents)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(IntentValidationError);
      expect((error as IntentValidationError).issues.map((issue) => issue.path)).toEqual([
        'intents[1].operation',
        'intents[2].deadline',
        expect.stringMatching(/^intents\[3\]\.operation\.body\.data\[0\]/),
      ]);
      expect(sqsMock.calls()).toHaveLength(0);
    });
  });
});
