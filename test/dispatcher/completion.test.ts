import { completionEventOf } from '../../lambdas/dispatcher/completion';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';

const intent: Intent = parseIntent({
  v: 1,
  id: 'crm-sync-4711',
  user: 'u1',
  lane: 'bulk',
  operation: { type: 'prospect.create', attributes: { emails: ['ada@example.com'], firstName: 'Ada' } },
});

describe('completionEventOf', () => {
  it('GIVEN a succeeded intent THEN the event names the intent, user, lane, status and resource, and nothing of the body or result fields', () => {
    const event = completionEventOf(intent, {
      status: 'succeeded',
      outcome: { httpStatus: 201, resourceType: 'prospect', resourceId: 7, summary: { firstName: 'Ada' } },
    });
    expect(event).toEqual({
      detailType: 'Intent Succeeded',
      detail: {
        id: 'crm-sync-4711',
        user: 'u1',
        lane: 'bulk',
        outcome: { status: 'succeeded', httpStatus: 201, resourceType: 'prospect', resourceId: 7 },
      },
    });
  });

  it('GIVEN a dead-lettered intent THEN the event carries the reason, the HTTP status and Outreach error id, not the detail text', () => {
    const event = completionEventOf(intent, {
      status: 'dead-lettered',
      reason: 'rejected',
      error: { kind: 'http', status: 422, outreachErrorId: 'validationError', detail: 'Bearer abc emails invalid' },
    });
    expect(event).toEqual({
      detailType: 'Intent Dead-lettered',
      detail: {
        id: 'crm-sync-4711',
        user: 'u1',
        lane: 'bulk',
        outcome: { status: 'dead-lettered', reason: 'rejected', httpStatus: 422, outreachErrorId: 'validationError' },
      },
    });
  });

  it('GIVEN any event THEN its JSON holds no attribute value of the request', () => {
    const json = JSON.stringify(
      completionEventOf(intent, { status: 'succeeded', outcome: { httpStatus: 201, summary: { firstName: 'Ada' } } }),
    );
    expect([json.includes('ada@example.com'), json.includes('Ada')]).toEqual([false, false]);
  });
});
