/**
 * The simulator's records: prospects, accounts, sequences, mailboxes and sequence states, with
 * Outreach's validation rules (attribute names and types from the OpenAPI document, required relationships,
 * ids that must exist) and without idempotency: a repeated create makes a second record, which is counted
 * as a duplicate (same email for prospects, same prospect+sequence for unfinished sequence states).
 */
import type { OutreachResourceType } from '../../lambdas/outreach/types';
import {
  ApiError,
  apiErrors,
  attributeMeta,
  type ListFilter,
  type ListQuery,
  relationshipMeta,
  type StoredRecord,
} from './jsonapi';

/** Store settings in real milliseconds, read on every call. */
export interface StoreSettings {
  duplicateSequenceState: 'create' | 'reject';
  seedAccounts: number;
  seedSequences: number;
  seedMailboxes: number;
  seedProspects: number;
}

/** Events the store reports for statistics. */
export interface StoreEvents {
  /** A record was created although an equivalent one existed. */
  duplicateCreated(user: string, type: 'prospect' | 'sequenceState'): void;
  /** A duplicate sequence state was refused (422). */
  duplicateRefused(user: string): void;
}

/** Types the simulator stores (relationships to other types, such as `user`, are accepted as plain ids). */
const STORED_TYPES = new Set<string>(['prospect', 'account', 'sequence', 'mailbox', 'sequenceState']);

/** Attributes that must be present when creating a record. */
const REQUIRED_ATTRIBUTES: Partial<Record<OutreachResourceType, string[]>> = {
  account: ['name'],
  sequence: ['name'],
  mailbox: ['email'],
};

/** Relationships that must be present when creating a record. */
const REQUIRED_RELATIONSHIPS: Partial<Record<OutreachResourceType, string[]>> = {
  sequenceState: ['prospect', 'sequence', 'mailbox'],
};

/** Types whose create body must carry `data.attributes`. */
const ATTRIBUTES_REQUIRED_ON_CREATE = new Set<OutreachResourceType>(['prospect', 'account', 'sequence', 'mailbox']);

/** Attributes the server maintains; clients may not set them even where the document does not say so. */
const SERVER_ATTRIBUTES = new Set(['createdAt', 'updatedAt']);

interface ParsedWrite {
  attributes: Record<string, unknown>;
  relationships: Record<string, number | number[] | null>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses an integer id given as a number or a numeric string; null if it is not one. */
function parseId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
  return null;
}

function typeMatches(expected: string, value: unknown): boolean {
  switch (expected) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    default:
      return isPlainObject(value);
  }
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? 'an' : 'a');

/** All records and the bookkeeping for duplicates and bulk actions. */
export class ResourceStore {
  private readonly tables = new Map<OutreachResourceType, Map<number, StoredRecord>>();
  private readonly nextIds = new Map<OutreachResourceType, number>();
  /** Lower-cased email → prospect ids. */
  private readonly emailIndex = new Map<string, Set<number>>();
  /** `prospectId:sequenceId` → ids of unfinished sequence states. */
  private readonly openStates = new Map<string, Set<number>>();

  constructor(
    private readonly settings: () => StoreSettings,
    private readonly events: StoreEvents,
  ) {}

  /** Empties the store and creates the seed accounts, sequences, mailboxes and prospects. */
  reset(now: number): void {
    this.tables.clear();
    this.nextIds.clear();
    this.emailIndex.clear();
    this.openStates.clear();
    const settings = this.settings();
    for (let i = 1; i <= settings.seedAccounts; i += 1) {
      this.insert('account', { name: `Seed Account ${i}`, domain: `account${i}.example.com` }, {}, now);
    }
    for (let i = 1; i <= settings.seedSequences; i += 1) {
      this.insert('sequence', { name: `Seed Sequence ${i}`, enabled: true, sequenceType: 'interval' }, {}, now);
    }
    for (let i = 1; i <= settings.seedMailboxes; i += 1) {
      this.insert('mailbox', { email: `mailbox${i}@example.com` }, {}, now);
    }
    for (let i = 1; i <= settings.seedProspects; i += 1) {
      this.insert('prospect', { emails: [`seed-${i}@example.com`], firstName: `Seed${i}` }, {}, now);
    }
  }

  private table(type: OutreachResourceType): Map<number, StoredRecord> {
    let table = this.tables.get(type);
    if (!table) {
      table = new Map();
      this.tables.set(type, table);
    }
    return table;
  }

  private insert(
    type: OutreachResourceType,
    attributes: Record<string, unknown>,
    relationships: StoredRecord['relationships'],
    now: number,
  ): StoredRecord {
    const id = this.nextIds.get(type) ?? 1;
    this.nextIds.set(type, id + 1);
    const record: StoredRecord = {
      type,
      id,
      attributes: { ...attributes, createdAt: iso(now), updatedAt: iso(now) },
      relationships,
    };
    this.table(type).set(id, record);
    if (type === 'prospect') this.indexEmails(record, true);
    return record;
  }

  /** How many records of a type exist. */
  count(type: OutreachResourceType): number {
    return this.tables.get(type)?.size ?? 0;
  }

  /** The record with this id, if any. */
  get(type: OutreachResourceType, id: number): StoredRecord | undefined {
    return this.tables.get(type)?.get(id);
  }

  /** The record with this id (as written in the path); throws 404 `resourceNotFound`. */
  require(type: OutreachResourceType, idText: string): StoredRecord {
    const id = parseId(idText);
    const record = id === null ? undefined : this.get(type, id);
    if (!record) throw apiErrors.resourceNotFound(type, idText);
    return record;
  }

  /** One page of a collection read, in id order. */
  list(type: OutreachResourceType, query: ListQuery): { records: StoredRecord[]; hasMore: boolean; count: number } {
    const table = this.tables.get(type) ?? new Map<number, StoredRecord>();
    let candidates: Iterable<StoredRecord> = table.values();
    const emailFilter = query.filters.find((filter) => filter.kind === 'attribute' && filter.name === 'emails');
    if (type === 'prospect' && emailFilter) {
      const ids = new Set<number>();
      for (const email of emailFilter.values) {
        for (const id of this.emailIndex.get(email.toLowerCase()) ?? []) ids.add(id);
      }
      candidates = [...ids]
        .sort((a, b) => a - b)
        .map((id) => table.get(id))
        .filter((record): record is StoredRecord => record !== undefined);
    }
    const records: StoredRecord[] = [];
    let hasMore = false;
    let count = 0;
    for (const record of candidates) {
      if (!query.filters.every((filter) => matches(record, filter))) continue;
      count += 1;
      if (query.afterId !== null && record.id <= query.afterId) continue;
      if (records.length < query.pageSize) records.push(record);
      else {
        hasMore = true;
        if (!query.count) break;
      }
    }
    return { records, hasMore, count };
  }

  /** `POST /<collection>`. */
  create(type: OutreachResourceType, body: unknown, user: string, now: number): StoredRecord {
    const parsed = this.parseWrite(type, body, 'create', null);
    if (type === 'sequenceState') return this.createSequenceState(parsed, user, now);
    if (type === 'prospect') {
      const duplicate = this.emailsOf(parsed.attributes).some((email) => (this.emailIndex.get(email)?.size ?? 0) > 0);
      if (duplicate) this.events.duplicateCreated(user, 'prospect');
    }
    return this.insert(type, parsed.attributes, parsed.relationships, now);
  }

  /** `PATCH /<collection>/<id>`. */
  update(type: OutreachResourceType, idText: string, body: unknown, now: number): StoredRecord {
    const record = this.require(type, idText);
    const parsed = this.parseWrite(type, body, 'update', record.id);
    if (type === 'prospect') this.indexEmails(record, false);
    Object.assign(record.attributes, parsed.attributes, { updatedAt: iso(now) });
    Object.assign(record.relationships, parsed.relationships);
    if (type === 'prospect') this.indexEmails(record, true);
    return record;
  }

  /** `DELETE /<collection>/<id>`. */
  remove(type: OutreachResourceType, idText: string): void {
    const record = this.require(type, idText);
    if (type === 'prospect') this.indexEmails(record, false);
    if (type === 'sequenceState') this.closeState(record);
    this.table(type).delete(record.id);
  }

  /** `POST /sequenceStates/<id>/actions/<pause|resume|finish>`. */
  sequenceStateAction(idText: string, action: string, now: number): StoredRecord {
    const record = this.require('sequenceState', idText);
    const state = record.attributes.state;
    const transitions: Record<string, { from: string[]; to: string }> = {
      pause: { from: ['active'], to: 'paused' },
      resume: { from: ['paused'], to: 'active' },
      finish: { from: ['active', 'paused', 'pending', 'failed', 'bounced', 'disabled'], to: 'finished' },
    };
    const transition = transitions[action];
    if (!transition) throw apiErrors.unknownPath(`/sequenceStates/${idText}/actions/${action}`);
    if (typeof state !== 'string' || !transition.from.includes(state)) {
      throw apiErrors.validation(
        '/data/attributes/state',
        `A sequence state that is ${String(state)} cannot ${action}.`,
      );
    }
    record.attributes.state = transition.to;
    record.attributes.stateChangedAt = iso(now);
    record.attributes.updatedAt = iso(now);
    if (transition.to === 'finished') this.closeState(record);
    return record;
  }

  private createSequenceState(parsed: ParsedWrite, user: string, now: number): StoredRecord {
    const prospectId = parsed.relationships.prospect as number;
    const sequenceId = parsed.relationships.sequence as number;
    const mailboxId = parsed.relationships.mailbox as number;
    const key = `${prospectId}:${sequenceId}`;
    if ((this.openStates.get(key)?.size ?? 0) > 0) {
      if (this.settings().duplicateSequenceState === 'reject') {
        this.events.duplicateRefused(user);
        throw apiErrors.validation(
          '/data/relationships/prospect',
          `Prospect ${prospectId} is already active in sequence ${sequenceId}.`,
        );
      }
      this.events.duplicateCreated(user, 'sequenceState');
    }
    const record = this.insertState(prospectId, sequenceId, mailboxId, now);
    Object.assign(record.relationships, parsed.relationships);
    this.openState(record, key);
    return record;
  }

  private insertState(prospectId: number, sequenceId: number, mailboxId: number, now: number): StoredRecord {
    return this.insert(
      'sequenceState',
      { state: 'active', stateChangedAt: iso(now), activeAt: iso(now) },
      { prospect: prospectId, sequence: sequenceId, mailbox: mailboxId },
      now,
    );
  }

  private openState(record: StoredRecord, key: string): void {
    let ids = this.openStates.get(key);
    if (!ids) {
      ids = new Set();
      this.openStates.set(key, ids);
    }
    ids.add(record.id);
  }

  private closeState(record: StoredRecord): void {
    const key = `${String(record.relationships.prospect)}:${String(record.relationships.sequence)}`;
    this.openStates.get(key)?.delete(record.id);
  }

  private emailsOf(attributes: Record<string, unknown>): string[] {
    const emails = attributes.emails;
    return Array.isArray(emails)
      ? emails.filter((email): email is string => typeof email === 'string').map((email) => email.toLowerCase())
      : [];
  }

  private indexEmails(record: StoredRecord, add: boolean): void {
    for (const email of this.emailsOf(record.attributes)) {
      let ids = this.emailIndex.get(email);
      if (add) {
        if (!ids) {
          ids = new Set();
          this.emailIndex.set(email, ids);
        }
        ids.add(record.id);
      } else {
        ids?.delete(record.id);
        if (ids?.size === 0) this.emailIndex.delete(email);
      }
    }
  }

  /** Validates a create or update body against the resource's attributes and relationships. */
  private parseWrite(
    type: OutreachResourceType,
    body: unknown,
    mode: 'create' | 'update',
    id: number | null,
  ): ParsedWrite {
    if (!isPlainObject(body) || !isPlainObject(body.data)) {
      throw apiErrors.validation('/data', "The request body must contain a 'data' object.");
    }
    const data = body.data;
    if (data.type === undefined) throw apiErrors.validation('/data/type', "'type' is required.");
    if (data.type !== type) {
      throw apiErrors.validation('/data/type', `Expected type '${type}' but got '${String(data.type)}'.`);
    }
    if (mode === 'update' && data.id !== undefined && parseId(data.id) !== id) {
      throw apiErrors.validation('/data/id', `The id '${String(data.id)}' does not match the URL.`);
    }
    const attributes: Record<string, unknown> = {};
    if (data.attributes !== undefined) {
      if (!isPlainObject(data.attributes))
        throw apiErrors.validation('/data/attributes', "'attributes' must be an object.");
      const meta = attributeMeta(type);
      for (const [name, value] of Object.entries(data.attributes)) {
        const pointer = `/data/attributes/${name}`;
        const attribute = Object.hasOwn(meta, name) ? meta[name] : undefined;
        if (!attribute)
          throw apiErrors.validation(pointer, `'${name}' is not an attribute of ${article(type)} ${type}.`);
        if (attribute.readOnly || SERVER_ATTRIBUTES.has(name)) {
          throw apiErrors.validation(pointer, `'${name}' is read-only.`);
        }
        if (value !== null && !typeMatches(attribute.type, value)) {
          throw apiErrors.validation(pointer, `'${name}' must be ${article(attribute.type)} ${attribute.type}.`);
        }
        if (name === 'emails' && Array.isArray(value) && value.some((email) => typeof email !== 'string')) {
          throw apiErrors.validation(pointer, "'emails' must be a list of strings.");
        }
        attributes[name] = value;
      }
    } else if (mode === 'create' && ATTRIBUTES_REQUIRED_ON_CREATE.has(type)) {
      throw apiErrors.validation('/data/attributes', "'attributes' is required.");
    }
    if (mode === 'create') {
      for (const name of REQUIRED_ATTRIBUTES[type] ?? []) {
        const value = attributes[name];
        if (value === undefined || value === null || value === '') {
          throw apiErrors.validation(`/data/attributes/${name}`, `'${name}' can't be blank.`);
        }
      }
    }
    const relationships: ParsedWrite['relationships'] = {};
    if (data.relationships !== undefined) {
      if (!isPlainObject(data.relationships)) {
        throw apiErrors.validation('/data/relationships', "'relationships' must be an object.");
      }
      const meta = relationshipMeta(type);
      for (const [name, value] of Object.entries(data.relationships)) {
        relationships[name] = this.parseRelationship(
          type,
          name,
          value,
          Object.hasOwn(meta, name) ? meta[name] : undefined,
        );
      }
    }
    if (mode === 'create') {
      for (const name of REQUIRED_RELATIONSHIPS[type] ?? []) {
        if (relationships[name] === undefined || relationships[name] === null) {
          throw apiErrors.validation(`/data/relationships/${name}`, `'${name}' is required.`);
        }
      }
    }
    return { attributes, relationships };
  }

  private parseRelationship(
    type: OutreachResourceType,
    name: string,
    value: unknown,
    meta: { type: string; many: boolean; readOnly: boolean } | undefined,
  ): number | number[] | null {
    const pointer = `/data/relationships/${name}`;
    if (!meta) throw apiErrors.validation(pointer, `'${name}' is not a relationship of ${article(type)} ${type}.`);
    if (meta.readOnly) throw apiErrors.validation(pointer, `'${name}' is read-only.`);
    if (!isPlainObject(value) || !('data' in value)) {
      throw apiErrors.validation(pointer, `'${name}' must be an object with 'data'.`);
    }
    const parseOne = (identifier: unknown, at: string): number => {
      if (!isPlainObject(identifier)) throw apiErrors.validation(at, 'Expected a resource identifier {type, id}.');
      if (identifier.type !== meta.type) {
        throw apiErrors.validation(`${at}/type`, `Expected type '${meta.type}' but got '${String(identifier.type)}'.`);
      }
      const id = parseId(identifier.id);
      if (id === null) throw apiErrors.validation(`${at}/id`, 'Ids must be positive integers.');
      if (STORED_TYPES.has(meta.type) && !this.get(meta.type as OutreachResourceType, id)) {
        throw new ApiError(422, [
          {
            id: 'validationError',
            title: 'Validation Error',
            detail: `Could not find '${meta.type}' with ID '${id}'.`,
            source: { pointer },
          },
        ]);
      }
      return id;
    };
    const data = value.data;
    if (meta.many) {
      if (!Array.isArray(data))
        throw apiErrors.validation(`${pointer}/data`, 'Expected a list of resource identifiers.');
      return data.map((identifier, index) => parseOne(identifier, `${pointer}/data/${index}`));
    }
    if (data === null) return null;
    return parseOne(data, `${pointer}/data`);
  }
}

function matches(record: StoredRecord, filter: ListFilter): boolean {
  if (filter.kind === 'id') return filter.values.includes(String(record.id));
  const value = filter.kind === 'attribute' ? record.attributes[filter.name] : record.relationships[filter.name];
  if (value === undefined || value === null) return false;
  const lower = filter.kind === 'attribute' && filter.name === 'emails';
  const candidates = Array.isArray(value) ? value : [value];
  return candidates.some((candidate) => {
    const text = String(candidate);
    return filter.values.some((wanted) => (lower ? wanted.toLowerCase() === text.toLowerCase() : wanted === text));
  });
}
