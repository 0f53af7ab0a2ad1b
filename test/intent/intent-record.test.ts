import { parseIntent } from '../../lambdas/shared/intent';
import {
  type IntentRecord,
  IntentRecordError,
  intentRecordExpiresAt,
  newIntentRecord,
  parseIntentRecord,
  toIntentRecordItem,
  toIntentResult,
} from '../../lambdas/shared/intent-record';
import { intentKey, TABLE_KEYS } from '../../lambdas/shared/names';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 250);
const DAY_SECONDS = 86_400;

const intent = parseIntent({
  v: 1,
  id: 'crm:order-42',
  user: 'u1',
  lane: 'critical',
  operation: { type: 'prospect.create', attributes: { emails: ['ada@example.com'] } },
});

function storedRecord(overrides: Partial<IntentRecord> = {}): Record<string, unknown> {
  return toIntentRecordItem({ ...newIntentRecord(intent, NOW, 7 * DAY_SECONDS), ...overrides });
}

describe('newIntentRecord', () => {
  it('GIVEN an intent taken on at now WHEN its record is made THEN it is in progress with no failures, keyed by the intent id', () => {
    const record = newIntentRecord(intent, NOW, 7 * DAY_SECONDS);

    expect(record).toEqual({
      pk: intentKey('crm:order-42'),
      status: 'in-progress',
      lane: 'critical',
      user: 'u1',
      operationType: 'prospect.create',
      failureAttempts: 0,
      createdAt: NOW,
      updatedAt: NOW,
      expiresAt: Math.ceil(NOW / 1000) + 7 * DAY_SECONDS,
    });
  });

  it('GIVEN a record time in milliseconds WHEN its expiry is computed THEN it is in epoch seconds, as DynamoDB TTL expects', () => {
    expect(intentRecordExpiresAt(1_000_500, 60)).toBe(1001 + 60);
  });

  it('GIVEN the gate table keys WHEN a record is made THEN its key and expiry use the shared attribute names', () => {
    const record = newIntentRecord(intent, NOW, 60);

    expect(Object.keys(record)).toEqual(expect.arrayContaining([TABLE_KEYS.partitionKey, TABLE_KEYS.ttlAttribute]));
  });
});

describe('toIntentRecordItem', () => {
  it('GIVEN a record with optional attributes left undefined WHEN it becomes an item THEN they are absent', () => {
    const item = toIntentRecordItem({ ...newIntentRecord(intent, NOW, 60), result: undefined, lastError: undefined });

    expect(item).not.toHaveProperty('result');
    expect(item).not.toHaveProperty('lastError');
  });
});

describe('toIntentResult', () => {
  it('GIVEN no record WHEN the result is mapped THEN the intent is pending with no failures', () => {
    expect(toIntentResult('crm:order-42', undefined)).toEqual({
      id: 'crm:order-42',
      status: 'pending',
      failureAttempts: 0,
    });
  });

  it('GIVEN an in-progress record with a failure WHEN the result is mapped THEN status, attempts and last error are returned', () => {
    const item = storedRecord({ failureAttempts: 2, lastError: { kind: 'http', status: 503, detail: 'maintenance' } });

    expect(toIntentResult('crm:order-42', item)).toEqual({
      id: 'crm:order-42',
      status: 'in-progress',
      failureAttempts: 2,
      lastError: { kind: 'http', status: 503, detail: 'maintenance' },
    });
  });

  it('GIVEN a succeeded record WHEN the result is mapped THEN the upstream result is returned', () => {
    const result = {
      httpStatus: 201,
      resourceType: 'prospect',
      resourceId: 99,
      summary: { emails: ['ada@example.com'] },
    };

    expect(toIntentResult('crm:order-42', storedRecord({ status: 'succeeded', result }))).toEqual({
      id: 'crm:order-42',
      status: 'succeeded',
      failureAttempts: 0,
      result,
    });
  });

  it('GIVEN a dead-lettered record WHEN the result is mapped THEN the reason and last error are returned', () => {
    const item = storedRecord({
      status: 'dead-lettered',
      deadLetterReason: 'rejected',
      lastError: { kind: 'http', status: 422, outreachErrorId: 'validationError', detail: 'email taken' },
    });

    expect(toIntentResult('crm:order-42', item)).toMatchObject({
      status: 'dead-lettered',
      deadLetterReason: 'rejected',
      lastError: { outreachErrorId: 'validationError' },
    });
  });

  it('GIVEN a record carrying attributes only the dispatcher uses WHEN the result is mapped THEN they are ignored', () => {
    const item = { ...storedRecord(), attemptStartedAt: NOW };

    expect(toIntentResult('crm:order-42', item)).not.toHaveProperty('attemptStartedAt');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown status', { status: 'done' }, 'status'],
    ['a negative attempt count', { failureAttempts: -1 }, 'failureAttempts'],
    ['an expiry written as text', { expiresAt: '1893499200' }, 'expiresAt'],
    ['a result without an HTTP status', { result: { resourceId: 1 } }, 'result.httpStatus'],
    [
      'an oversized result summary',
      { result: { httpStatus: 200, summary: { blob: 'x'.repeat(5000) } } },
      'result.summary',
    ],
    ['an unknown lane', { lane: 'urgent' }, 'lane'],
  ])('GIVEN a stored item with %s WHEN it is read THEN an IntentRecordError names %s', (_, overrides, path) => {
    const item = { ...storedRecord(), ...overrides };

    expect(() => parseIntentRecord(item)).toThrow(IntentRecordError);
    expect(() => parseIntentRecord(item)).toThrow(`${path}: `);
  });

  it('GIVEN the record of another intent WHEN it is mapped for this id THEN it is refused naming both', () => {
    expect(() => toIntentResult('other-id', storedRecord())).toThrow(
      'intent record intent#crm:order-42 does not belong to intent "other-id" (expected intent#other-id)',
    );
  });
});
