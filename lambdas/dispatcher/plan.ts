import type { OutreachRequest } from '../outreach/client';
import type { Intent, Operation } from '../shared/intent';

/**
 * What an intent asks of Outreach, as upstream requests. Most operations are one request; an upsert looks the
 * prospect up first and then creates or updates it. Creates carry a read-back: the request that finds the
 * resource if an earlier attempt may already have created it (Outreach has no idempotency key).
 */

/** Sparse fieldsets as query parameters (`fields[prospect]=firstName,emails`). */
export function fieldsQuery(intent: Pick<Intent, 'fields'>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(intent.fields ?? {}).map(([type, names]) => [`fields[${type}]`, names.join(',')]),
  );
}

const ref = (type: string, id: number) => ({ data: { type, id } });

function createProspect(
  attributes: Record<string, unknown>,
  query: Record<string, string>,
  accountId?: number,
): OutreachRequest {
  return {
    method: 'POST',
    path: '/prospects',
    query,
    body: {
      data: {
        type: 'prospect',
        attributes,
        ...(accountId === undefined ? {} : { relationships: { account: ref('account', accountId) } }),
      },
    },
  };
}

function updateProspect(
  id: number,
  attributes: Record<string, unknown>,
  query: Record<string, string>,
): OutreachRequest {
  return { method: 'PATCH', path: `/prospects/${id}`, query, body: { data: { type: 'prospect', id, attributes } } };
}

/** The request that performs a single-request operation (everything but an upsert). */
export function performRequest(intent: Intent): OutreachRequest {
  const op = intent.operation;
  const query = fieldsQuery(intent);
  switch (op.type) {
    case 'prospect.create':
      return createProspect(op.attributes, query, op.relationships?.account?.id);
    case 'prospect.update':
      return updateProspect(op.prospectId, op.attributes, query);
    case 'sequenceState.create':
      return {
        method: 'POST',
        path: '/sequenceStates',
        query,
        body: {
          data: {
            type: 'sequenceState',
            relationships: {
              prospect: ref('prospect', op.prospectId),
              sequence: ref('sequence', op.sequenceId),
              mailbox: ref('mailbox', op.mailboxId),
            },
          },
        },
      };
    case 'batch.prospectsAddToSequence':
      return {
        method: 'POST',
        path: '/batches/actions/prospectsAddToSequence',
        body: { data: { attributes: { ids: op.prospectIds, sequenceId: op.sequenceId, mailboxId: op.mailboxId } } },
      };
    case 'request':
      return {
        method: op.method,
        path: op.path,
        query: { ...(op.query ?? {}), ...query },
        ...(op.body === undefined ? {} : { body: op.body }),
      };
    case 'prospect.upsert':
      throw new Error('prospect.upsert takes two requests: use lookupRequest, then upsertWriteRequest');
  }
}

/** Operations that create something Outreach would create twice if sent twice. */
export function isNonIdempotentCreate(op: Operation): boolean {
  return op.type === 'prospect.create' || op.type === 'sequenceState.create';
}

/**
 * Operations whose request does harm if Outreach receives it twice: the creates, the bulk action, and a generic
 * `POST`. An attempt whose answer was not seen (a timeout, a reset, a 5xx) must not be blindly repeated for these.
 * An upsert is not among them: it looks the prospect up before every write.
 */
export function repeatsHarmfully(op: Operation): boolean {
  return (
    isNonIdempotentCreate(op) ||
    op.type === 'batch.prospectsAddToSequence' ||
    (op.type === 'request' && op.method === 'POST')
  );
}

/**
 * The request that finds what `intent` would create or change: the prospect by email, or the sequence state by
 * prospect and sequence. Undefined for operations that cannot be read back.
 */
export function lookupRequest(intent: Intent): OutreachRequest | undefined {
  const op = intent.operation;
  const query = fieldsQuery(intent);
  switch (op.type) {
    case 'prospect.create': {
      const email = op.attributes.emails[0];
      return email === undefined
        ? undefined
        : { method: 'GET', path: '/prospects', query: { 'filter[emails]': email, 'page[size]': '1', ...query } };
    }
    case 'prospect.upsert':
      return { method: 'GET', path: '/prospects', query: { 'filter[emails]': op.email, 'page[size]': '1', ...query } };
    case 'sequenceState.create':
      return {
        method: 'GET',
        path: '/sequenceStates',
        query: {
          'filter[prospect][id]': String(op.prospectId),
          'filter[sequence][id]': String(op.sequenceId),
          'page[size]': '1',
          ...query,
        },
      };
    default:
      return undefined;
  }
}

/** The second request of an upsert: update the prospect found, or create it when none was. */
export function upsertWriteRequest(intent: Intent, existingProspectId: number | undefined): OutreachRequest {
  const op = intent.operation;
  if (op.type !== 'prospect.upsert') throw new Error(`not an upsert: ${op.type}`);
  const query = fieldsQuery(intent);
  if (existingProspectId !== undefined) return updateProspect(existingProspectId, op.attributes, query);
  const emails = Array.isArray(op.attributes.emails) ? op.attributes.emails : [];
  return createProspect(
    { ...op.attributes, emails: emails.includes(op.email) ? emails : [op.email, ...emails] },
    query,
  );
}
