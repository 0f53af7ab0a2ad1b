/**
 * The bulk actions the simulator models (`POST /batches/actions/<name>`): for each, the attributes it accepts,
 * their validation (422 at the bad member, before any batch exists) and what one batch item does to one prospect,
 * through the store exactly as the single request would.
 */
import { apiErrors } from './jsonapi';
import type { ResourceStore } from './store';

/** What one item does to one prospect; throws an `ApiError` with Outreach's error when it fails. */
export type ApplyItem = (prospectId: number, user: string, now: number) => { type: 'sequenceState'; id: number } | null;

/** A bulk action: the attributes it takes and, from them, what each item does. */
export interface ActionDefinition {
  /** Attributes besides `ids`. */
  readonly attributes: readonly string[];
  /** Validates the action's attributes (throws 422 naming the bad one) and returns what each item does. */
  prepare(attributes: Record<string, unknown>, store: ResourceStore): { apply: ApplyItem; payload: object };
}

function parseId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
  return null;
}

/** The id attribute `name` must name an existing record of `type`; throws 422 at its pointer. */
function requireExisting(
  store: ResourceStore,
  attributes: Record<string, unknown>,
  name: string,
  type: 'sequence' | 'mailbox',
): number {
  const pointer = `/data/attributes/${name}`;
  const id = parseId(attributes[name]);
  if (id === null) throw apiErrors.validation(pointer, `'${name}' is required and must be a positive integer.`);
  if (!store.get(type, id)) throw apiErrors.validation(pointer, `Could not find '${type}' with ID '${id}'.`);
  return id;
}

const ref = (type: string, id: number) => ({ data: { type, id } });

/** The bulk actions the simulator models, by name. */
export const ACTIONS: Readonly<Record<string, ActionDefinition>> = {
  prospectsAddToSequence: {
    attributes: ['sequenceId', 'mailboxId', 'stepOverrides'],
    prepare(attributes, store) {
      const sequenceId = requireExisting(store, attributes, 'sequenceId', 'sequence');
      const mailboxId = requireExisting(store, attributes, 'mailboxId', 'mailbox');
      return {
        payload: { sequenceId, mailboxId },
        apply: (prospectId, user, now) => {
          const body = {
            data: {
              type: 'sequenceState',
              relationships: {
                prospect: ref('prospect', prospectId),
                sequence: ref('sequence', sequenceId),
                mailbox: ref('mailbox', mailboxId),
              },
            },
          };
          return { type: 'sequenceState', id: store.create('sequenceState', body, user, now).id };
        },
      };
    },
  },
  prospectsAddTags: {
    attributes: ['tags'],
    prepare(attributes, store) {
      const tags = attributes.tags;
      if (!Array.isArray(tags) || tags.length === 0 || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
        throw apiErrors.validation('/data/attributes/tags', "'tags' must be a non-empty list of strings.");
      }
      return {
        payload: { tags },
        apply: (prospectId, _user, now) => {
          const prospect = store.require('prospect', String(prospectId));
          const current = Array.isArray(prospect.attributes.tags) ? (prospect.attributes.tags as string[]) : [];
          const merged = [...new Set([...current, ...(tags as string[])])];
          store.update(
            'prospect',
            String(prospectId),
            { data: { type: 'prospect', attributes: { tags: merged } } },
            now,
          );
          return null;
        },
      };
    },
  },
  prospectsFinishAll: {
    attributes: [],
    prepare(_attributes, store) {
      return {
        payload: {},
        apply: (prospectId, _user, now) => {
          store.require('prospect', String(prospectId));
          const states = store.list('sequenceState', {
            pageSize: Number.MAX_SAFE_INTEGER,
            afterId: null,
            filters: [{ kind: 'relationship', name: 'prospect', values: [String(prospectId)] }],
            fields: new Map(),
            count: false,
          });
          for (const state of states.records) {
            if (state.attributes.state !== 'finished') store.sequenceStateAction(String(state.id), 'finish', now);
          }
          return null;
        },
      };
    },
  },
};
