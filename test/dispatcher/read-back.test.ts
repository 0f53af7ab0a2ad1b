import { mustReadBack } from '../../lambdas/dispatcher/dispatch';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';
import type { IntentRecord } from '../../lambdas/shared/intent-record';

const create: Intent = parseIntent({
  v: 1,
  id: 'c',
  user: 'u1',
  lane: 'bulk',
  operation: { type: 'prospect.create', attributes: { emails: ['a@x.io'] } },
});
const update: Intent = parseIntent({
  v: 1,
  id: 'u',
  user: 'u1',
  lane: 'bulk',
  operation: { type: 'prospect.update', prospectId: 1, attributes: { title: 'CTO' } },
});
const record = (extra: Record<string, unknown>) =>
  ({
    pk: 'intent#c',
    status: 'in-progress',
    lane: 'bulk',
    user: 'u1',
    operationType: 'prospect.create',
    failureAttempts: 0,
    createdAt: 0,
    updatedAt: 0,
    expiresAt: 1,
    ...extra,
  }) as IntentRecord;

describe('mustReadBack', () => {
  it.each([
    ['a create on its first receive', create, 1, undefined, false],
    ['a redelivered create with no record (the last receive may have sent it)', create, 2, undefined, true],
    ['a create whose previous receive was a recorded deferral', create, 3, record({ deferredAtReceive: 2 }), false],
    [
      'a create deferred two receives ago (the last receive may have sent it)',
      create,
      4,
      record({ deferredAtReceive: 2 }),
      true,
    ],
    [
      'a create that once timed out, even if deferred since',
      create,
      3,
      record({ deferredAtReceive: 2, mayExist: true }),
      true,
    ],
    ['a redelivered update (idempotent)', update, 5, undefined, false],
  ])('GIVEN %s THEN read back: %s', (_name, intent, receiveCount, existing, expected) => {
    expect(mustReadBack(intent, receiveCount, existing)).toBe(expected);
  });
});
