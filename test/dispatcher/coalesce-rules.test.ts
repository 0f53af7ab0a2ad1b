import {
  batchItemsOf,
  coalesceOwner,
  defaultParkMs,
  FIRST_POLL_BASE_MS,
  formingStateOf,
  itemsComplete,
  JOIN_SLACK_MS,
  latestOpeningFor,
  MAX_COALESCE_SIZE,
  MAX_MEMBER_BODY_BYTES,
  MAX_POLL_INTERVAL_MS,
  MEMBER_OVERHEAD_BYTES,
  mayLetGoAfterStopping,
  minParkMs,
  openTimeNeededMs,
  POLL_MS_PER_ITEM,
  pollDelayMs,
  runTimeNeededMs,
  sealDecision,
  settlementOf,
  staleAfterMs,
  stopReserveMs,
} from '../../lambdas/dispatcher/coalesce-rules';

const settings = { enabled: true, maxSize: 100, maxAgeMs: 2000, parkMs: 64_000 };
const T0 = 1_700_000_000_000;

describe('coalescing rules: who seals a batch, and when', () => {
  it('GIVEN a join that filled the batch WHEN deciding THEN it seals at once, even if another invocation opened it', () => {
    expect(sealDecision({ opened: false, count: 100, openedAt: T0 }, settings)).toEqual({ kind: 'seal-now' });
  });

  it('GIVEN the join that opened a batch with room left WHEN deciding THEN it seals when the window ends', () => {
    expect(sealDecision({ opened: true, count: 7, openedAt: T0 }, settings)).toEqual({
      kind: 'seal-at',
      atMs: T0 + 2000,
    });
  });

  it('GIVEN a join into a batch another invocation opened, with room left WHEN deciding THEN it leaves the sealing to the opener', () => {
    expect(sealDecision({ opened: false, count: 42, openedAt: T0 }, settings)).toEqual({ kind: 'leave' });
  });
});

describe('coalescing rules: what a joiner makes of the forming item', () => {
  it('GIVEN no forming item THEN it is absent (the joiner opens a batch)', () => {
    expect(formingStateOf(undefined, settings, T0, latestOpeningFor(T0))).toEqual({ kind: 'absent' });
  });

  it('GIVEN an item opened longer ago than the window and its grace THEN it is stale (its opener died)', () => {
    expect(
      formingStateOf({ openedAt: T0, count: 3 }, settings, T0 + staleAfterMs(settings) + 1, latestOpeningFor(T0)),
    ).toEqual({
      kind: 'stale',
    });
  });

  it('GIVEN an item opened more than the join slack after the members were claimed THEN it is late (passed over)', () => {
    expect(
      formingStateOf({ openedAt: T0 + JOIN_SLACK_MS + 1, count: 1 }, settings, T0 + 100, latestOpeningFor(T0)),
    ).toEqual({
      kind: 'late',
    });
  });

  it('GIVEN a fresh item with 97 members THEN 3 more fit', () => {
    expect(formingStateOf({ openedAt: T0, count: 97 }, settings, T0 + 500, latestOpeningFor(T0))).toEqual({
      kind: 'open',
      room: 3,
    });
  });
});

describe('coalescing rules: how long members stay parked', () => {
  it('GIVEN a 30 s function and a 2 s window THEN the shortest safe park covers the timeout, the window, its grace and the join slack', () => {
    expect(minParkMs({ maxAgeMs: 2000 }, 30_000)).toBe(30_000 + 2000 + 2000 + JOIN_SLACK_MS);
  });

  it('GIVEN a 30 s function and a 2 s window THEN the default park adds a timeout for the action to complete', () => {
    expect(defaultParkMs({ maxAgeMs: 2000 }, 30_000)).toBe(69_000);
  });

  it('GIVEN the largest batch of the largest members THEN the forming item stays under DynamoDB’s 400 KB', () => {
    expect(MAX_COALESCE_SIZE * (MAX_MEMBER_BODY_BYTES + MEMBER_OVERHEAD_BYTES)).toBeLessThan(400_000);
  });
});

describe('coalescing rules: the pace of following a bulk action', () => {
  it('GIVEN a fresh batch of 100 THEN the first poll waits for an estimate that grows with its size', () => {
    expect(pollDelayMs(0, 100, T0)).toBe(FIRST_POLL_BASE_MS + 100 * POLL_MS_PER_ITEM);
  });

  it('GIVEN later polls THEN they back off by doubling up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((poll) => pollDelayMs(poll, 100, T0))).toEqual([
      1000,
      2000,
      4000,
      MAX_POLL_INTERVAL_MS,
      MAX_POLL_INTERVAL_MS,
    ]);
  });

  it('GIVEN a cool-down ending later than the paced poll THEN the poll waits for the cool-down', () => {
    expect(pollDelayMs(1, 100, T0, T0 + 30_000)).toBe(30_000);
  });
});

describe('coalescing rules: how an item settles its member', () => {
  const page = (item: Record<string, unknown>) => batchItemsOf({ data: [item] })[0];

  it('GIVEN a finished item with a sequence state THEN the member succeeds with the outcome a single create gives', () => {
    const item = page({
      type: 'batchItem',
      id: 1,
      attributes: { state: 'finished', failed: false },
      relationships: { prospect: { data: { type: 'prospect', id: 5 } }, sequenceState: { data: { id: 77 } } },
    });
    expect(settlementOf(item)).toEqual({
      kind: 'succeeded',
      outcome: { httpStatus: 201, resourceType: 'sequenceState', resourceId: 77 },
    });
  });

  it('GIVEN a failed item THEN the member is rejected with Outreach’s error from the item', () => {
    const item = page({
      attributes: { state: 'finished', failed: true, info: 'Could not find prospect' },
      relationships: { prospect: { data: { id: 9 } } },
      meta: {
        errors: [
          {
            id: 'validationError',
            title: 'Validation Error',
            detail: "Could not find 'prospect' with ID '9'.",
            source: { pointer: '/data/relationships/prospect' },
          },
        ],
      },
    });
    expect(settlementOf(item)).toEqual({
      kind: 'rejected',
      error: {
        kind: 'batch-item',
        outreachErrorId: 'validationError',
        detail: "Could not find 'prospect' with ID '9'. (/data/relationships/prospect)",
      },
    });
  });

  it('GIVEN a finished item that names no sequence state THEN the outcome is unknown (read back, never guessed)', () => {
    const item = page({
      attributes: { state: 'finished', failed: false },
      relationships: { prospect: { data: { id: 5 } } },
    });
    expect(settlementOf(item)).toEqual({ kind: 'unknown' });
  });

  it('GIVEN no item for the member THEN the outcome is unknown', () => {
    expect(settlementOf(undefined)).toEqual({ kind: 'unknown' });
  });

  it('GIVEN an item still pending THEN the outcome is unknown', () => {
    expect(settlementOf(page({ attributes: { state: 'pending', failed: null } }))).toEqual({ kind: 'unknown' });
  });
});

describe('coalescing rules: when following a batch can stop', () => {
  const items = (states: Record<number, string>) =>
    new Map(
      Object.entries(states).map(([id, state]) => [
        Number(id),
        { prospectId: Number(id), state, failed: false, sequenceStateId: 1, errors: undefined, info: undefined },
      ]),
    );

  it('GIVEN every member’s item finished or canceled THEN nothing more will come', () => {
    expect(itemsComplete(items({ 1: 'finished', 2: 'canceled' }), [1, 2])).toBe(true);
  });

  it('GIVEN one member’s item still pending THEN the batch is followed further', () => {
    expect(itemsComplete(items({ 1: 'finished', 2: 'pending' }), [1, 2])).toBe(false);
  });

  it('GIVEN a member with no item yet THEN the batch is followed further', () => {
    expect(itemsComplete(items({ 1: 'finished' }), [1, 2])).toBe(false);
  });
});

describe('coalescing rules: stopping a bulk action before it finished', () => {
  const items = (states: Record<number, string>) =>
    new Map(
      Object.entries(states).map(([id, state]) => [
        Number(id),
        { prospectId: Number(id), state, failed: false, sequenceStateId: 1, errors: undefined, info: undefined },
      ]),
    );

  it('GIVEN requests of 3 s with their margin THEN following keeps back 6 s: a cancel and one more read', () => {
    expect(stopReserveMs(3000)).toBe(6000);
  });

  it('GIVEN a confirmed cancel and items still pending THEN the members are let go (nothing more will run)', () => {
    expect(mayLetGoAfterStopping(true, items({ 1: 'finished', 2: 'pending' }), [1, 2])).toBe(true);
  });

  it('GIVEN a confirmed cancel and no items read THEN the members are let go (each is read back)', () => {
    expect(mayLetGoAfterStopping(true, undefined, [1, 2])).toBe(true);
  });

  it('GIVEN a failed cancel and an item still pending THEN the members stay parked (it may still run)', () => {
    expect(mayLetGoAfterStopping(false, items({ 1: 'finished', 2: 'pending' }), [1, 2])).toBe(false);
  });

  it('GIVEN a failed cancel and no items read THEN the members stay parked', () => {
    expect(mayLetGoAfterStopping(false, undefined, [1, 2])).toBe(false);
  });

  it('GIVEN a failed cancel but every item final THEN the members are let go (the action is over)', () => {
    expect(mayLetGoAfterStopping(false, items({ 1: 'finished', 2: 'canceled' }), [1, 2])).toBe(true);
  });
});

describe('coalescing rules: the time a bulk action needs', () => {
  it('GIVEN requests of 3 s and 50 prospects THEN a runner needs the POST, the first poll, one read and two requests to stop', () => {
    expect(runTimeNeededMs(3000, 50)).toBe(3000 + FIRST_POLL_BASE_MS + 50 * POLL_MS_PER_ITEM + 3000 + 2 * 3000);
  });

  it('GIVEN a 2 s window THEN the opener needs the window and a run of a full batch', () => {
    expect(openTimeNeededMs(3000, { maxAgeMs: 2000, maxSize: 100 })).toBe(2000 + runTimeNeededMs(3000, 100));
  });
});

describe('coalescing rules: the owner of a parked record', () => {
  it('GIVEN a message id THEN the batch owner differs from it, so the message itself cannot take the record over', () => {
    expect(coalesceOwner('m-1')).not.toBe('m-1');
  });
});
