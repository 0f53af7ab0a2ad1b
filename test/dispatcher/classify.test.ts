import { classifyReply, firstResourceId, outcomeOf, outreachError } from '../../lambdas/dispatcher/classify';
import type { OutreachReply } from '../../lambdas/outreach/client';

const reply = (status: number, body?: unknown): OutreachReply => ({
  kind: 'response',
  status,
  headers: new Headers(),
  body,
  latencyMs: 5,
});

describe('classifyReply', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [429, 'throttled'],
    [401, 'unauthorized'],
    [400, 'rejected'],
    [403, 'rejected'],
    [404, 'rejected'],
    [415, 'rejected'],
    [422, 'rejected'],
    [408, 'failed'],
    [500, 'failed'],
    [502, 'failed'],
    [503, 'failed'],
  ])('GIVEN status %i THEN the verdict is %s', (status, kind) => {
    expect(classifyReply(reply(status)).kind).toBe(kind);
  });

  describe('a 503 with Retry-After (Outreach maintenance)', () => {
    const at = Date.UTC(2026, 0, 15, 12, 0, 0);
    const maintenance = (retryAfter: string): OutreachReply => ({
      kind: 'response',
      status: 503,
      headers: new Headers({ 'retry-after': retryAfter }),
      body: { errors: [{ id: 'scheduledServerMaintenance', title: 'Scheduled Server Maintenance' }] },
      latencyMs: 5,
    });

    it.each([
      ['delta-seconds', '300'],
      ['an HTTP-date', new Date(at + 300_000).toUTCString()],
    ])('GIVEN a Retry-After in %s THEN the verdict is throttled for maintenance, not a failure', (_form, value) => {
      expect(classifyReply(maintenance(value), at)).toEqual({ kind: 'throttled', reason: 'maintenance' });
    });

    it('GIVEN a Retry-After already in the past THEN it is an ordinary failure', () => {
      expect(classifyReply(maintenance(new Date(at - 60_000).toUTCString()), at).kind).toBe('failed');
    });
  });

  it.each([['timeout'], ['reset']] as const)(
    'GIVEN no response (%s) THEN the attempt failed with that kind',
    (reason) => {
      expect(classifyReply({ kind: 'no-response', reason, detail: 'x', latencyMs: 1 })).toEqual({
        kind: 'failed',
        error: { kind: reason, detail: 'x' },
      });
    },
  );

  it('GIVEN a 422 validationError THEN the rejection carries the error id, detail and pointer', () => {
    const body = {
      errors: [
        {
          id: 'validationError',
          title: 'Validation Error',
          detail: 'Email is taken',
          source: { pointer: '/data/attributes/emails' },
        },
      ],
    };
    expect(classifyReply(reply(422, body))).toEqual({
      kind: 'rejected',
      error: {
        kind: 'http',
        status: 422,
        outreachErrorId: 'validationError',
        detail: 'Email is taken (/data/attributes/emails)',
      },
    });
  });
});

describe('outreachError', () => {
  it("GIVEN Outreach's 415 body THEN its `details` field is the detail", () => {
    expect(
      outreachError({
        errors: [{ id: 'unsupportedMediaType', title: 'Unsupported Media Type', details: 'Expected Content-Type' }],
      }),
    ).toEqual({ outreachErrorId: 'unsupportedMediaType', detail: 'Expected Content-Type' });
  });

  it('GIVEN a non-JSON:API 401 body THEN error and description are used', () => {
    expect(outreachError({ error: 'Invalid JWT token.', description: 'expired' })).toEqual({
      outreachErrorId: 'Invalid JWT token.',
      detail: 'expired',
    });
  });

  it('GIVEN a plain-text body THEN it is the detail', () => {
    expect(outreachError('Retry later\n')).toEqual({ detail: 'Retry later' });
  });

  it('GIVEN no body THEN nothing is known', () => {
    expect(outreachError(undefined)).toEqual({});
  });
});

describe('outcomeOf', () => {
  it('GIVEN a created prospect THEN the outcome holds its type, id and attributes', () => {
    expect(outcomeOf(201, { data: { type: 'prospect', id: 7, attributes: { firstName: 'Ada' } } })).toEqual({
      httpStatus: 201,
      resourceType: 'prospect',
      resourceId: 7,
      summary: { firstName: 'Ada' },
    });
  });

  it('GIVEN a collection THEN the first resource is the outcome', () => {
    expect(outcomeOf(200, { data: [{ type: 'prospect', id: 3, attributes: {} }] })).toMatchObject({ resourceId: 3 });
  });

  it('GIVEN attributes larger than 2 KiB THEN they are left out of the summary', () => {
    expect(outcomeOf(200, { data: { type: 'prospect', id: 3, attributes: { notes: 'x'.repeat(3000) } } })).toEqual({
      httpStatus: 200,
      resourceType: 'prospect',
      resourceId: 3,
    });
  });
});

describe('firstResourceId', () => {
  it.each([
    [{ data: [{ id: 9 }] }, 9],
    [{ data: [] }, undefined],
    [{ data: { id: 9 } }, undefined],
    ['text', undefined],
  ])('GIVEN %j THEN %s', (body, id) => {
    expect(firstResourceId(body)).toBe(id);
  });
});
