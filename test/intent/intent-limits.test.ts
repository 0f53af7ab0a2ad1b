import { type IntentValidationError, safeParseIntent } from '../../lambdas/shared/intent';
import {
  deadlineProblem,
  intentShapeProblem,
  MAX_DEADLINE_AHEAD_MS,
  MAX_INTENT_DEPTH,
} from '../../lambdas/shared/intent-limits';

/** `{ a: { a: … } }` nested `levels` deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i += 1) value = { a: value };
  return value;
}

/** A generic POST whose body is `body`, at intent depth 3. */
const post = (body: unknown) => ({
  v: 1,
  id: 'deep',
  user: 'u1',
  lane: 'standard',
  operation: { type: 'request', method: 'POST', path: '/accounts', body },
});

function errorOf(value: unknown): IntentValidationError {
  const result = safeParseIntent(value);
  if (result.success) throw new Error('expected the intent to be refused');
  return result.error;
}

describe('intent shape limits', () => {
  it('GIVEN a body nested 2,000 levels deep (about 4 KB) WHEN validated THEN it is an IntentValidationError naming the depth, not a RangeError', () => {
    let deep: unknown = [];
    for (let i = 1; i < 2000; i += 1) deep = [deep];
    const value = post({ data: deep });

    expect(JSON.stringify(value).length).toBeLessThan(4200);
    expect(errorOf(value).message).toMatch(/operation\.body\.data\[0\]\[0\].*…: is nested more than 32 levels deep/);
  });

  it('GIVEN objects nested 2,000 levels deep WHEN validated THEN it is refused for its depth', () => {
    expect(errorOf(post(nested(2000))).message).toMatch(/operation\.body\.a\.a.*…: is nested more than 32 levels deep/);
  });

  it('GIVEN an intent exactly at the depth limit WHEN validated THEN it is accepted', () => {
    // The intent is level 1, operation 2, body 3: a body nested MAX - 2 levels reaches the limit.
    expect(safeParseIntent(post(nested(MAX_INTENT_DEPTH - 2))).success).toBe(true);
  });

  it('GIVEN an intent one level deeper than the limit WHEN validated THEN it is refused', () => {
    expect(errorOf(post(nested(MAX_INTENT_DEPTH - 1))).message).toMatch(/is nested more than 32 levels deep/);
  });

  it('GIVEN a circular value WHEN validated THEN it is refused as too deep instead of looping', () => {
    const body: Record<string, unknown> = {};
    body.self = body;

    expect(errorOf(post(body)).message).toMatch(/is nested more than 32 levels deep/);
  });

  it('GIVEN a value whose getter throws WHEN validated THEN it is refused naming the error', () => {
    const body = Object.defineProperty({}, 'data', {
      enumerable: true,
      get() {
        throw new TypeError('no');
      },
    });

    expect(errorOf(post(body)).message).toMatch(/\(intent\): could not be read as JSON data \(TypeError: no\)/);
  });

  it('GIVEN a sparse array of a billion slots WHEN its shape is checked THEN it is refused for its size without walking it', () => {
    expect(intentShapeProblem({ operation: { body: { ids: new Array(1e9) } } })).toEqual({
      path: [],
      message: 'is more than 1048576 bytes as JSON; the limit is 262144 bytes (256 KiB)',
    });
  });

  it('GIVEN a 1 MB string WHEN validated THEN it is refused for its size', () => {
    expect(errorOf(post({ notes: 'x'.repeat(1_100_000) })).message).toMatch(/the limit is 262144 bytes/);
  });
});

describe('deadlineProblem', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it.each([
    ['a deadline an hour ahead', '2030-01-01T01:00:00Z', undefined],
    ['a deadline exactly 14 days ahead', new Date(now + MAX_DEADLINE_AHEAD_MS).toISOString(), undefined],
    [
      'a deadline already past',
      '2029-12-31T23:59:59Z',
      '2029-12-31T23:59:59Z is already past (now is 2030-01-01T00:00:00.000Z)',
    ],
    ['a deadline equal to now', '2030-01-01T00:00:00Z', expect.stringMatching(/is already past/)],
    [
      'a deadline a year ahead',
      '2031-01-01T00:00:00Z',
      expect.stringMatching(/is more than 14 days ahead: SQS keeps an intent at most 14 days/),
    ],
  ])('GIVEN %s THEN its problem is as expected', (_name, deadline, expected) => {
    expect(deadlineProblem(deadline, now)).toEqual(expected);
  });
});

describe('the intent schema limits', () => {
  const update = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    v: 1,
    id: 'limits',
    user: 'u1',
    lane: 'standard',
    operation: { type: 'prospect.update', prospectId: 7, attributes },
    ...extra,
  });
  const many = (n: number, make: (i: number) => [string, unknown]) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => make(i)));

  it('GIVEN 256 attributes WHEN validated THEN they are accepted', () => {
    expect(safeParseIntent(update(many(256, (i) => [`a${i}`, i]))).success).toBe(true);
  });

  it('GIVEN 257 attributes WHEN validated THEN they are refused naming the limit', () => {
    expect(errorOf(update(many(257, (i) => [`a${i}`, i]))).message).toMatch(
      /operation\.attributes: must set at most 256 attributes/,
    );
  });

  it('GIVEN 257 attributes on a create WHEN validated THEN they are refused naming the limit', () => {
    const create = {
      v: 1,
      id: 'limits',
      user: 'u1',
      lane: 'standard',
      operation: { type: 'prospect.create', attributes: { emails: ['a@x.io'], ...many(256, (i) => [`a${i}`, i]) } },
    };

    expect(errorOf(create).message).toMatch(/operation\.attributes: must set at most 256 attributes/);
  });

  it('GIVEN 51 query parameters WHEN validated THEN they are refused naming the limit', () => {
    const value = post(undefined) as Record<string, unknown>;
    value.operation = { type: 'request', method: 'GET', path: '/prospects', query: many(51, (i) => [`q${i}`, 'x']) };

    expect(errorOf(value).message).toMatch(/operation\.query: must have at most 50 query parameters/);
  });

  it('GIVEN a query value longer than 2,048 characters WHEN validated THEN it is refused naming the parameter', () => {
    const value = post(undefined) as Record<string, unknown>;
    value.operation = { type: 'request', method: 'GET', path: '/prospects', query: { q: 'x'.repeat(2049) } };

    expect(errorOf(value).message).toMatch(/operation\.query\.q: must be at most 2048 characters/);
  });

  it('GIVEN fields for 21 resource types WHEN validated THEN they are refused naming the limit', () => {
    expect(errorOf(update({ title: 'x' }, { fields: many(21, (i) => [`t${i}`, ['id']]) })).message).toMatch(
      /fields: must name at most 20 resource types/,
    );
  });

  it('GIVEN 201 fields for one type WHEN validated THEN they are refused naming the limit', () => {
    const names = Array.from({ length: 201 }, (_, i) => `f${i}`);

    expect(errorOf(update({ title: 'x' }, { fields: { prospect: names } })).message).toMatch(
      /fields\.prospect: must list at most 200 fields/,
    );
  });
});
