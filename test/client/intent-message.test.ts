import { createHash } from 'node:crypto';
import { IntentValidationError, MAX_INTENT_BYTES } from '../../lambdas/shared/intent';
import { planBatches, prepareIntent, prepareIntents } from '../../lib/client/intent-message';

const input = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  user: 'u1',
  lane: 'standard' as const,
  operation: { type: 'prospect.update' as const, prospectId: 7, attributes: { title: 'CTO' } },
  ...overrides,
});

describe('prepareIntent', () => {
  it('GIVEN the same intent prepared twice WHEN compared THEN the de-duplication ids match, so SQS drops a retried enqueue', () => {
    expect(prepareIntent(input('crm:a-2')).deduplicationId).toBe(prepareIntent(input('crm:a-2')).deduplicationId);
  });

  it('GIVEN the same id with another payload WHEN prepared THEN the de-duplication ids differ, so the dispatcher sees the reuse', () => {
    const first = prepareIntent(input('crm:a-3'));
    const other = prepareIntent({ ...input('crm:a-3'), user: 'u2' });
    expect(other.deduplicationId).not.toBe(first.deduplicationId);
  });

  it('GIVEN an intent without a schema version WHEN it is prepared THEN version 1 is assumed', () => {
    expect(prepareIntent(input('a')).intent.v).toBe(1);
  });

  it('GIVEN an intent WHEN it is prepared THEN the body is its JSON and the de-duplication id is the hex SHA-256 of the body', () => {
    const message = prepareIntent(input('crm:a-1', { correlationId: 'req-9' }));

    expect(message.deduplicationId).toBe(createHash('sha256').update(message.body, 'utf8').digest('hex'));
    expect(JSON.parse(message.body)).toEqual({ v: 1, ...input('crm:a-1', { correlationId: 'req-9' }) });
    expect(message.attributes).toEqual({
      lane: 'standard',
      user: 'u1',
      operation: 'prospect.update',
      correlationId: 'req-9',
    });
  });

  it('GIVEN an intent without a correlation id WHEN it is prepared THEN no empty correlationId attribute is set', () => {
    expect(prepareIntent(input('a')).attributes).not.toHaveProperty('correlationId');
  });

  it('GIVEN an intent larger than 256 KiB WHEN it is prepared THEN it is refused with its size and the limit', () => {
    const big = input('big', {
      operation: { type: 'prospect.update', prospectId: 7, attributes: { notes: 'x'.repeat(MAX_INTENT_BYTES) } },
    });

    expect(() => prepareIntent(big)).toThrow(IntentValidationError);
    expect(() => prepareIntent(big)).toThrow(
      /is \d+ bytes as an SQS message .*; the limit is 262144 bytes \(256 KiB\)/,
    );
  });

  it('GIVEN an intent exactly at the limit WHEN it is prepared THEN it is accepted', () => {
    const base = prepareIntent(input('edge', { operation: { ...input('edge').operation, attributes: { notes: '' } } }));
    const notes = 'x'.repeat(MAX_INTENT_BYTES - base.sizeBytes);

    const message = prepareIntent(input('edge', { operation: { ...input('edge').operation, attributes: { notes } } }));

    expect(message.sizeBytes).toBe(MAX_INTENT_BYTES);
  });
});

describe('prepareIntents', () => {
  it('GIVEN bad intents among good ones WHEN they are prepared THEN the error names every bad index and field', () => {
    const inputs = [input('ok'), input('bad one'), input('ok-2'), input('x', { lane: 'urgent' })];

    expect(() => prepareIntents(inputs)).toThrow(
      expect.objectContaining({
        issues: [
          { path: 'intents[1].id', message: expect.any(String) },
          { path: 'intents[3].lane', message: expect.any(String) },
        ],
      }),
    );
  });

  it('GIVEN the same id twice WHEN the intents are prepared THEN the second use is refused naming the first', () => {
    expect(() => prepareIntents([input('a'), input('b'), input('a')])).toThrow(
      'intents[2].id: "a" is also the id of intents[0]; ids must be unique within one call',
    );
  });

  it('GIVEN something other than an array WHEN it is prepared THEN it is refused', () => {
    expect(() => prepareIntents({} as unknown)).toThrow('invalid intents: intents: must be an array of intents');
  });

  it('GIVEN a non-object in the list WHEN the intents are prepared THEN its index is named', () => {
    expect(() => prepareIntents([input('a'), 'b'])).toThrow('intents[1]: an intent must be a JSON object');
  });
});

describe('planBatches', () => {
  const sized = (count: number, sizeBytes: number) => Array.from({ length: count }, (_, i) => ({ i, sizeBytes }));

  it('GIVEN 25 small messages WHEN batches are planned THEN they go 10, 10, 5 in order', () => {
    const batches = planBatches(sized(25, 100));

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat().map(({ i }) => i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('GIVEN messages whose total exceeds 256 KiB WHEN batches are planned THEN no batch exceeds 256 KiB', () => {
    const batches = planBatches(sized(5, 100_000));

    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
  });

  it('GIVEN a message of exactly 256 KiB WHEN batches are planned THEN it travels alone', () => {
    const batches = planBatches([...sized(1, 10), { i: 9, sizeBytes: MAX_INTENT_BYTES }, ...sized(1, 10)]);

    expect(batches.map((batch) => batch.length)).toEqual([1, 1, 1]);
  });

  it('GIVEN no messages WHEN batches are planned THEN there are no batches', () => {
    expect(planBatches([])).toEqual([]);
  });
});
