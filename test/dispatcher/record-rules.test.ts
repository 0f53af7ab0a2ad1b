import { afterFailure, onRefusedClaim, sendPlan } from '../../lambdas/dispatcher/record-rules';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';
import { type IntentRecord, payloadHashOf } from '../../lambdas/shared/intent-record';

const intentOf = (id: string, operation: unknown): Intent =>
  parseIntent({ v: 1, id, user: 'u1', lane: 'bulk', operation });

const create = intentOf('c', { type: 'prospect.create', attributes: { emails: ['a@x.io'] } });
const enrol = intentOf('s', { type: 'sequenceState.create', prospectId: 1, sequenceId: 2, mailboxId: 3 });
const bulk = intentOf('b', { type: 'batch.prospectsAddToSequence', prospectIds: [1, 2], sequenceId: 2, mailboxId: 3 });
const post = intentOf('p', { type: 'request', method: 'POST', path: '/accounts', body: { data: { type: 'account' } } });
const patch = intentOf('g', { type: 'request', method: 'PATCH', path: '/accounts/1', body: { data: {} } });
const update = intentOf('u', { type: 'prospect.update', prospectId: 1, attributes: { title: 'CTO' } });
const upsert = intentOf('x', { type: 'prospect.upsert', email: 'a@x.io', attributes: { title: 'CTO' } });

const record = (extra: Partial<IntentRecord> & Record<string, unknown> = {}): IntentRecord =>
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

const unknownOutcome = record({ unconfirmedSend: true });

describe('sendPlan', () => {
  it.each([
    ['a create with no record', create, undefined, false, 'send'],
    ['a create whose record says nothing was sent unseen', create, record(), false, 'send'],
    ['a create whose record says "sent, outcome unknown"', create, unknownOutcome, false, 'read-back'],
    ['a create from the previous release (mayExist)', create, record({ mayExist: true }), false, 'read-back'],
    ['a sequence state whose record says "sent, outcome unknown"', enrol, unknownOutcome, false, 'read-back'],
    ['a bulk action, outcome unknown', bulk, unknownOutcome, false, 'ambiguous'],
    ['a generic POST, outcome unknown', post, unknownOutcome, false, 'ambiguous'],
    ['a generic POST, outcome unknown, redriven by on-call', post, unknownOutcome, true, 'send'],
    ['a bulk action with nothing sent unseen', bulk, record(), false, 'send'],
    ['a generic PATCH (idempotent), outcome unknown', patch, unknownOutcome, false, 'send'],
    ['an update (idempotent), outcome unknown', update, unknownOutcome, false, 'send'],
    ['an upsert (looks up before every write), outcome unknown', upsert, unknownOutcome, false, 'send'],
  ] as const)('GIVEN %s THEN %s', (_name, intent, previous, redriven, expected) => {
    expect(sendPlan(intent, previous, redriven)).toBe(expected);
  });
});

describe('onRefusedClaim', () => {
  const hash = payloadHashOf(create);
  const claimant = { payloadHash: hash, owner: 'm2', now: 1000 };

  it('GIVEN a succeeded record of the same payload THEN the intent is already settled', () => {
    expect(onRefusedClaim(record({ status: 'succeeded', payloadHash: hash }), claimant)).toEqual({
      kind: 'already-settled',
    });
  });

  it('GIVEN a record of another payload THEN the message is refused as id-reused, whatever the record status', () => {
    const kinds = (['in-progress', 'succeeded', 'dead-lettered'] as const).map(
      (status) => onRefusedClaim(record({ status, payloadHash: payloadHashOf(update) }), claimant).kind,
    );
    expect(kinds).toEqual(['id-reused', 'id-reused', 'id-reused']);
  });

  it('GIVEN a dead-lettered record and a redrive of its own dead-letter copy THEN it is re-opened', () => {
    const current = record({ status: 'dead-lettered', payloadHash: hash, deadLetterId: 'd1' });
    expect(onRefusedClaim(current, { ...claimant, redriveOf: 'd1' })).toEqual({ kind: 'redrive', deadLetterId: 'd1' });
  });

  it('GIVEN a dead-lettered record and a plain re-send THEN it is dead-lettered again with the record id to redrive', () => {
    const current = record({
      status: 'dead-lettered',
      payloadHash: hash,
      deadLetterId: 'd1',
      deadLetterReason: 'rejected',
      deadLetteredBy: 'm1',
    });
    expect(onRefusedClaim(current, claimant)).toMatchObject({
      kind: 'dead-letter-again',
      reason: 'already-dead-lettered',
      deadLetterId: 'd1',
      error: { kind: 'already-dead-lettered' },
    });
  });

  it('GIVEN a dead-lettered record and a stale redrive (another dead-letter id) THEN it is dead-lettered again', () => {
    const current = record({ status: 'dead-lettered', payloadHash: hash, deadLetterId: 'd2' });
    expect(onRefusedClaim(current, { ...claimant, redriveOf: 'd1' })).toMatchObject({
      kind: 'dead-letter-again',
      reason: 'already-dead-lettered',
      deadLetterId: 'd2',
    });
  });

  it('GIVEN the message that dead-lettered it comes back after a crash THEN its copy is sent again with the first reason', () => {
    const current = record({
      status: 'dead-lettered',
      payloadHash: hash,
      deadLetterId: 'd1',
      deadLetterReason: 'rejected',
      deadLetteredBy: 'm2',
      lastError: { kind: 'http', status: 422 },
    });
    expect(onRefusedClaim(current, claimant)).toEqual({
      kind: 'dead-letter-again',
      reason: 'rejected',
      deadLetterId: 'd1',
      error: { kind: 'http', status: 422 },
    });
  });

  it('GIVEN a record owned by another live message THEN the claimant waits until the ownership expires', () => {
    const current = record({ payloadHash: hash, owner: 'm1', ownerExpiresAt: 31_000 });
    expect(onRefusedClaim(current, claimant)).toEqual({ kind: 'wait', untilMs: 31_000 });
  });
});

describe('payloadHashOf', () => {
  it('GIVEN the same intent on another lane, with keys in another order and another deadline THEN the hash is the same', () => {
    const moved = parseIntent({
      v: 1,
      id: 'c',
      lane: 'critical',
      user: 'u1',
      deadline: '2099-01-01T00:00:00Z',
      operation: { attributes: { emails: ['a@x.io'] }, type: 'prospect.create' },
    });
    expect(payloadHashOf(moved)).toBe(payloadHashOf(create));
  });

  it('GIVEN another attribute value or another user THEN the hash differs', () => {
    const other = intentOf('c', { type: 'prospect.create', attributes: { emails: ['b@x.io'] } });
    const otherUser = parseIntent({ ...create, user: 'u2' });
    expect([
      payloadHashOf(other) === payloadHashOf(create),
      payloadHashOf(otherUser) === payloadHashOf(create),
    ]).toEqual([false, false]);
  });
});

describe('afterFailure (the failure budget in count and time)', () => {
  const config = {
    retries: { maxFailureAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 8000, failureWindowMs: 3_600_000 },
    timing: { maxHeaderWaitMs: 86_400_000, clockSkewMs: 1000 },
  };
  const T = 10_000_000;
  const top = () => 0.999_999;

  it('GIVEN the count spent but the first failure 10 minutes old WHEN it fails again THEN it is retried, not dead-lettered', () => {
    expect(afterFailure({ failuresBefore: 5, firstFailedAt: T - 600_000 }, T, config, top).kind).toBe('retry');
  });

  it('GIVEN the first failure older than the window (and the skew) but the count not spent THEN it is retried', () => {
    expect(afterFailure({ failuresBefore: 1, firstFailedAt: T - 3_700_000 }, T, config, top).kind).toBe('retry');
  });

  it('GIVEN the count spent and the first failure older than the window and the skew THEN the budget is exhausted', () => {
    expect(afterFailure({ failuresBefore: 2, firstFailedAt: T - 3_601_000 }, T, config, top)).toEqual({
      kind: 'exhausted',
      attempts: 3,
    });
  });

  it('GIVEN the count spent and the window just past but within the clock skew THEN it is retried (never early)', () => {
    expect(afterFailure({ failuresBefore: 2, firstFailedAt: T - 3_600_500 }, T, config, top).kind).toBe('retry');
  });

  it('GIVEN a window of 0 THEN the count alone decides, as before', () => {
    const countOnly = { ...config, retries: { ...config.retries, failureWindowMs: 0 } };
    expect(afterFailure({ failuresBefore: 2 }, T, countOnly, top).kind).toBe('exhausted');
  });

  it('GIVEN no first failure recorded (the first failure, or a redriven intent) THEN the window starts now', () => {
    expect(afterFailure({ failuresBefore: 9 }, T, config, top).kind).toBe('retry');
  });

  it('GIVEN attempts beyond the count THEN the backoff ceiling keeps doubling up to backoffMaxMs and no further', () => {
    const ceilings = [1, 2, 3, 4, 5, 50].map((failuresBefore) => {
      const step = afterFailure({ failuresBefore, firstFailedAt: T }, T, config, () => 1);
      return step.kind === 'retry' ? step.untilMs - T : step.kind;
    });
    expect(ceilings).toEqual([2000, 4000, 8000, 8000, 8000, 8000]);
  });

  it('GIVEN a deadline sooner than the backoff THEN the retry waits only until the deadline', () => {
    expect(afterFailure({ failuresBefore: 1, firstFailedAt: T }, T, config, () => 1, T + 500)).toEqual({
      kind: 'retry',
      attempts: 2,
      untilMs: T + 500,
    });
  });
});
