import {
  isNonIdempotentCreate,
  lookupRequest,
  performRequest,
  upsertWriteRequest,
} from '../../lambdas/dispatcher/plan';
import { outreachUrl } from '../../lambdas/outreach/client';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';

const intent = (operation: unknown, extra: Record<string, unknown> = {}): Intent =>
  parseIntent({ v: 1, id: 'i-1', user: 'u1', lane: 'bulk', operation, ...extra });

describe('performRequest', () => {
  it('GIVEN prospect.create with sparse fieldsets THEN one POST /prospects asking only for those fields', () => {
    const request = performRequest(
      intent(
        { type: 'prospect.create', attributes: { emails: ['a@x.io'], firstName: 'Ada' } },
        { fields: { prospect: ['firstName', 'emails'] } },
      ),
    );
    expect(request).toEqual({
      method: 'POST',
      path: '/prospects',
      query: { 'fields[prospect]': 'firstName,emails' },
      body: { data: { type: 'prospect', attributes: { emails: ['a@x.io'], firstName: 'Ada' } } },
    });
  });

  it('GIVEN sequenceState.create THEN the prospect, sequence and mailbox are relationships', () => {
    expect(
      performRequest(intent({ type: 'sequenceState.create', prospectId: 1, sequenceId: 2, mailboxId: 3 })).body,
    ).toEqual({
      data: {
        type: 'sequenceState',
        relationships: {
          prospect: { data: { type: 'prospect', id: 1 } },
          sequence: { data: { type: 'sequence', id: 2 } },
          mailbox: { data: { type: 'mailbox', id: 3 } },
        },
      },
    });
  });

  it('GIVEN the bulk action THEN the ids are always sent', () => {
    expect(
      performRequest(
        intent({ type: 'batch.prospectsAddToSequence', prospectIds: [4, 5], sequenceId: 2, mailboxId: 3 }),
      ),
    ).toEqual({
      method: 'POST',
      path: '/batches/actions/prospectsAddToSequence',
      body: { data: { attributes: { ids: [4, 5], sequenceId: 2, mailboxId: 3 } } },
    });
  });

  it('GIVEN a generic request with a hostile query value THEN the value is encoded, not interpreted', () => {
    const request = performRequest(
      intent({ type: 'request', method: 'GET', path: '/prospects', query: { 'filter[emails]': 'a@x.io&admin=1' } }),
    );
    expect(outreachUrl('https://api.outreach.io/api/v2', request)).toBe(
      'https://api.outreach.io/api/v2/prospects?filter%5Bemails%5D=a%40x.io%26admin%3D1',
    );
  });
});

describe('read-back', () => {
  it('GIVEN prospect.create THEN it is a non-idempotent create read back by its first email', () => {
    const i = intent({ type: 'prospect.create', attributes: { emails: ['a@x.io'] } });
    expect([isNonIdempotentCreate(i.operation), lookupRequest(i)?.query?.['filter[emails]']]).toEqual([true, 'a@x.io']);
  });

  it('GIVEN sequenceState.create THEN it is read back by prospect and sequence', () => {
    expect(
      lookupRequest(intent({ type: 'sequenceState.create', prospectId: 1, sequenceId: 2, mailboxId: 3 }))?.query,
    ).toMatchObject({
      'filter[prospect][id]': '1',
      'filter[sequence][id]': '2',
    });
  });

  it('GIVEN prospect.update THEN it is idempotent and has no read-back', () => {
    const i = intent({ type: 'prospect.update', prospectId: 4, attributes: { title: 'CTO' } });
    expect([isNonIdempotentCreate(i.operation), lookupRequest(i)]).toEqual([false, undefined]);
  });
});

describe('upsertWriteRequest', () => {
  const upsert = intent({ type: 'prospect.upsert', email: 'a@x.io', attributes: { title: 'CTO' } });

  it('GIVEN the prospect exists THEN it is updated', () => {
    expect(upsertWriteRequest(upsert, 12)).toMatchObject({ method: 'PATCH', path: '/prospects/12' });
  });

  it('GIVEN no prospect THEN it is created with the email', () => {
    expect(upsertWriteRequest(upsert, undefined)).toMatchObject({
      method: 'POST',
      body: { data: { attributes: { title: 'CTO', emails: ['a@x.io'] } } },
    });
  });
});
