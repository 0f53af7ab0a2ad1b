/**
 * Outreach's bulk actions in the simulator: `POST /batches/actions/<action>` creates a batch (JSON:API type
 * `batch`, state `pending` → `processing` → `finished`) with one batch item per prospect; after the start delay
 * the items are processed one by one, each doing what the single request would do to the store (an enrolment is
 * a real sequence state, counted as a duplicate exactly like `POST /sequenceStates`), and each item keeps its
 * own outcome. Clients poll `GET /batches/{id}` and read the outcomes from `GET /batchItems`.
 *
 * The OpenAPI document gives a batch item `batchId`, `state`, `failed`, `info` and `data`; it does not say how
 * an item names the record it made or the error it met. The simulator adds a relationship to the record
 * (`sequenceState` for an enrolment, `prospect` always) and the error in `meta.errors`, with Outreach's error
 * shape, so a client can settle each item from it.
 *
 * Progress is computed on demand from the clock (every API request and `stats()` call `advance`): no timers.
 */
import type { JsonApiError, JsonApiResource } from '../../lambdas/outreach/types';
import { ACTIONS, type ActionDefinition, type ApplyItem } from './bulk-actions';
import {
  ApiError,
  apiErrors,
  encodeCursor,
  type ListFilter,
  nextPageUrl,
  parseFields,
  parseListQuery,
  type StoredRecord,
  serialize,
} from './jsonapi';
import type { ResourceStore } from './store';

/** Batch settings in real milliseconds, read on every call. */
export interface BatchSettings {
  /** A batch stays `pending` this long after it is created. */
  readonly startDelayMs: number;
  /** Each item takes this long once the batch is `processing`; 0 processes every item at once. */
  readonly msPerItem: number;
  /** Status of the action's answer (the OpenAPI document declares 200). */
  readonly createStatus: number;
  /** Prospects whose items `GET /batchItems` leaves out, as if Outreach's listing missed them. */
  readonly unlistedProspects: readonly number[];
  /** `page[size]` when none is sent, and the largest accepted. */
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** Events bulk actions report for statistics. */
export interface BatchEvents {
  /** A bulk action came without ids or filter and was applied to every prospect. */
  unfilteredBulkAction(user: string): void;
}

/** A request routed to the bulk-action endpoints, already authenticated and charged to its user's budget. */
export interface BatchRequest {
  readonly method: string;
  /** Path segments after `/api/v2/`, e.g. `['batches', '12']`. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
  /** The parsed body (throws 400 for malformed JSON). */
  readonly body: () => unknown;
  /** Throws 403 when the token lacks `<resource>.<kind>`. */
  readonly requireScope: (resource: string, kind: 'read' | 'write') => void;
  readonly user: string;
  readonly now: number;
  readonly apiBaseUrl: string;
}

/** The JSON:API answer to a bulk-action request. */
export interface BatchAnswer {
  readonly status: number;
  readonly document: unknown;
}

interface BatchItemRecord {
  readonly id: number;
  readonly batchId: number;
  readonly prospectId: number;
  readonly data: string;
  readonly createdAt: string;
  updatedAt: string;
  state: 'pending' | 'finished' | 'canceled';
  failed: boolean | null;
  info: string | null;
  errors: JsonApiError[] | null;
  created: { type: 'sequenceState'; id: number } | null;
}

interface BatchJob {
  readonly record: StoredRecord;
  readonly user: string;
  readonly apply: ApplyItem;
  readonly itemIds: readonly number[];
  readonly createdAt: number;
  processed: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ref = (type: string, id: number) => ({ data: { type, id } });
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
  return null;
}

function itemErrors(error: unknown): JsonApiError[] {
  if (error instanceof ApiError) return error.errors;
  return [{ id: 'internalServerError', title: 'Internal Server Error', detail: String(error) }];
}

/** Batches and their items, with the routes that create, read, page, confirm and cancel them. */
export class BatchActions {
  private readonly batches = new Map<number, StoredRecord>();
  private readonly items = new Map<number, BatchItemRecord>();
  private readonly jobs = new Map<number, BatchJob>();
  private nextBatchId = 1;
  private nextItemId = 1;

  constructor(
    private readonly store: ResourceStore,
    private readonly settings: () => BatchSettings,
    private readonly events: BatchEvents,
  ) {}

  /** Forgets every batch and item. */
  reset(): void {
    this.batches.clear();
    this.items.clear();
    this.jobs.clear();
    this.nextBatchId = 1;
    this.nextItemId = 1;
  }

  /** Whether a path (segments after `/api/v2/`) belongs to the bulk-action endpoints. */
  static owns(segments: readonly string[]): boolean {
    return segments[0] === 'batches' || segments[0] === 'batchItems';
  }

  /** Answers a bulk-action request; throws {@link ApiError} for Outreach's error answers. */
  route(request: BatchRequest): BatchAnswer {
    const { method, segments } = request;
    const path = `/${segments.join('/')}`;
    const [collection, second, third, fourth, ...rest] = segments;
    if (rest.length > 0) throw apiErrors.unknownPath(path);
    const only = (allowed: string): void => {
      if (method !== allowed) throw apiErrors.methodNotAllowed(method, path);
    };
    if (collection === 'batchItems') {
      if (third !== undefined) throw apiErrors.unknownPath(path);
      only('GET');
      request.requireScope('batches', 'read');
      return second === undefined || second === '' ? this.listItems(request) : this.readItem(second, request);
    }
    if (second === 'actions' && third !== undefined && fourth === undefined) {
      const action = Object.hasOwn(ACTIONS, third) ? ACTIONS[third] : undefined;
      if (!action) throw apiErrors.unknownPath(path);
      only('POST');
      request.requireScope('batches', 'write');
      request.requireScope('prospects', 'write');
      return { status: this.settings().createStatus, document: { data: this.create(third, action, request) } };
    }
    if (second === undefined || second === '') {
      only('GET');
      request.requireScope('batches', 'read');
      return this.listBatches(request);
    }
    if (third === undefined) {
      only('GET');
      request.requireScope('batches', 'read');
      return { status: 200, document: { data: this.serializeBatch(this.requireBatch(second), request) } };
    }
    if (third === 'actions' && (fourth === 'confirm' || fourth === 'cancel')) {
      only('POST');
      request.requireScope('batches', 'write');
      const record = this.requireBatch(second);
      if (fourth === 'cancel') this.cancel(record, request.now);
      return { status: 200, document: { data: this.serializeBatch(record, request) } };
    }
    throw apiErrors.unknownPath(path);
  }

  /** Moves every unfinished batch forward to `now`: pending → processing → finished, one item at a time. */
  advance(now: number): void {
    if (this.jobs.size === 0) return;
    const settings = this.settings();
    for (const job of this.jobs.values()) {
      const startAt = job.createdAt + settings.startDelayMs;
      if (now < startAt) continue;
      const attributes = job.record.attributes;
      if (attributes.state === 'pending') {
        attributes.state = 'processing';
        attributes.startedAt = iso(startAt);
      }
      const total = job.itemIds.length;
      const due = settings.msPerItem <= 0 ? total : Math.min(total, Math.floor((now - startAt) / settings.msPerItem));
      while (job.processed < due) {
        const item = this.items.get(job.itemIds[job.processed] as number) as BatchItemRecord;
        job.processed += 1;
        const at = settings.msPerItem <= 0 ? startAt : startAt + job.processed * settings.msPerItem;
        this.process(job, item, at);
      }
      attributes.pending = total - job.processed;
      if (job.processed >= total) {
        attributes.state = 'finished';
        attributes.finishedAt = iso(startAt + total * Math.max(0, settings.msPerItem));
        this.jobs.delete(job.record.id);
      }
      attributes.updatedAt = iso(now);
    }
  }

  private process(job: BatchJob, item: BatchItemRecord, at: number): void {
    try {
      item.created = job.apply(item.prospectId, job.user, at);
      item.failed = false;
    } catch (error) {
      const errors = itemErrors(error);
      item.failed = true;
      item.errors = errors;
      item.info = errors.map((e) => e.detail ?? e.title).join('; ');
      const attributes = job.record.attributes;
      attributes.failures = Number(attributes.failures ?? 0) + 1;
      const summary = isPlainObject(attributes.summary) ? attributes.summary : {};
      const previous = Array.isArray(summary.errors) ? summary.errors : [];
      attributes.summary = { errors: [...previous, item.info] };
    }
    item.state = 'finished';
    item.updatedAt = iso(at);
  }

  private cancel(record: StoredRecord, now: number): void {
    if (record.attributes.state === 'finished') {
      throw apiErrors.validation('/data/attributes/state', 'A finished batch cannot be canceled.');
    }
    this.advance(now);
    const job = this.jobs.get(record.id);
    if (job) {
      for (const id of job.itemIds.slice(job.processed)) {
        const item = this.items.get(id) as BatchItemRecord;
        item.state = 'canceled';
        item.updatedAt = iso(now);
      }
      this.jobs.delete(record.id);
    }
    if (record.attributes.state !== 'canceled') {
      record.attributes.state = 'canceled';
      record.attributes.canceledAt = iso(now);
      record.attributes.updatedAt = iso(now);
    }
  }

  private create(name: string, action: ActionDefinition, request: BatchRequest): JsonApiResource {
    const { user, now } = request;
    const body = request.body();
    if (!isPlainObject(body) || !isPlainObject(body.data)) {
      throw apiErrors.validation('/data', "The request body must contain a 'data' object.");
    }
    const attributes = body.data.attributes;
    if (!isPlainObject(attributes)) throw apiErrors.validation('/data/attributes', "'attributes' is required.");
    for (const key of Object.keys(attributes)) {
      if (key !== 'ids' && !action.attributes.includes(key)) {
        throw apiErrors.validation(`/data/attributes/${key}`, `'${key}' is not an attribute of ${name}.`);
      }
    }
    const prepared = action.prepare(attributes, this.store);
    const prospectIds = this.selectProspects(attributes.ids, request);
    const id = this.nextBatchId;
    this.nextBatchId += 1;
    const record: StoredRecord = {
      type: 'batch',
      id,
      attributes: {
        action: name,
        state: 'pending',
        total: prospectIds.length,
        pending: prospectIds.length,
        failures: 0,
        payload: { ids: prospectIds, ...prepared.payload },
        startedAt: null,
        finishedAt: null,
        canceledAt: null,
        summary: null,
        createdAt: iso(now),
        updatedAt: iso(now),
      },
      relationships: {},
    };
    this.batches.set(id, record);
    const itemIds = prospectIds.map((prospectId) => {
      const itemId = this.nextItemId;
      this.nextItemId += 1;
      this.items.set(itemId, {
        id: itemId,
        batchId: id,
        prospectId,
        data: JSON.stringify({ id: prospectId, ...prepared.payload }),
        createdAt: iso(now),
        updatedAt: iso(now),
        state: 'pending',
        failed: null,
        info: null,
        errors: null,
        created: null,
      });
      return itemId;
    });
    this.jobs.set(id, { record, user, apply: prepared.apply, itemIds, createdAt: now, processed: 0 });
    this.advance(now);
    return this.serializeBatch(record, request, new Map());
  }

  /**
   * The prospects an action applies to: the listed ids, else those `actionParams[filter]…` selects, else (as
   * Outreach documents) every prospect, which is reported.
   */
  private selectProspects(ids: unknown, request: BatchRequest): number[] {
    if (ids !== undefined && ids !== null) {
      if (!Array.isArray(ids))
        throw apiErrors.validation('/data/attributes/ids', "'ids' must be a list of prospect ids.");
      const parsed = ids.map((value, index) => {
        const id = parseId(value);
        if (id === null) throw apiErrors.validation(`/data/attributes/ids/${index}`, 'Ids must be positive integers.');
        return id;
      });
      if (parsed.length > 0) return parsed;
    }
    const filterParams = new URLSearchParams();
    for (const [key, value] of request.params) {
      const match = /^actionParams\[filter\](.+)$/.exec(key);
      if (match) filterParams.append(`filter${match[1]}`, value);
    }
    const filters: ListFilter[] = [...filterParams.keys()].length
      ? parseListQuery('prospect', filterParams, { defaultPageSize: 1, maxPageSize: 1 }).filters
      : [];
    if (filters.length === 0) this.events.unfilteredBulkAction(request.user);
    const all = this.store.list('prospect', {
      pageSize: Number.MAX_SAFE_INTEGER,
      afterId: null,
      filters,
      fields: new Map(),
      count: false,
    });
    return all.records.map((record) => record.id);
  }

  private requireBatch(idText: string): StoredRecord {
    const id = parseId(idText);
    const record = id === null ? undefined : this.batches.get(id);
    if (!record) throw apiErrors.resourceNotFound('batch', idText);
    return record;
  }

  private serializeBatch(
    record: StoredRecord,
    request: BatchRequest,
    fields = parseFields(request.params),
  ): JsonApiResource {
    const resource = serialize(record, request.apiBaseUrl, fields);
    const wanted = fields.get('batch');
    if (!wanted || wanted.has('batchItems')) {
      resource.relationships = {
        ...resource.relationships,
        batchItems: { links: { related: `${request.apiBaseUrl}/batchItems?filter[batch][id]=${record.id}` } },
      };
    }
    return resource;
  }

  private listBatches(request: BatchRequest): BatchAnswer {
    const query = parseListQuery('batch', request.params, this.settings());
    const matches = (record: StoredRecord): boolean =>
      query.filters.every((filter) => {
        const value = filter.kind === 'id' ? record.id : record.attributes[filter.name];
        return value !== undefined && value !== null && filter.values.includes(String(value));
      });
    return this.page('batches', [...this.batches.values()].filter(matches), query, request, (record) =>
      this.serializeBatch(record, request, query.fields),
    );
  }

  private readItem(idText: string, request: BatchRequest): BatchAnswer {
    const id = parseId(idText);
    const item = id === null ? undefined : this.items.get(id);
    if (!item) throw apiErrors.resourceNotFound('batchItem', idText);
    return { status: 200, document: { data: this.serializeItem(item, request.apiBaseUrl) } };
  }

  /** `GET /batchItems`: `filter[batch][id]`, `filter[batchId]`, `filter[state]`, `filter[failed]`, `filter[id]`. */
  private listItems(request: BatchRequest): BatchAnswer {
    const filters: Array<(item: BatchItemRecord) => boolean> = [];
    const rest = new URLSearchParams();
    for (const [key, value] of request.params) {
      const values = value.split(',').map((part) => part.trim());
      if (key === 'filter[batch][id]' || key === 'filter[batchId]') {
        filters.push((item) => values.includes(String(item.batchId)));
      } else if (key === 'filter[state]') filters.push((item) => values.includes(item.state));
      else if (key === 'filter[failed]') filters.push((item) => values.includes(String(item.failed)));
      else if (key === 'filter[id]') filters.push((item) => values.includes(String(item.id)));
      else if (key.startsWith('filter[')) {
        throw apiErrors.badRequest(`'${key}' is not a supported filter for batchItems.`, key);
      } else rest.append(key, value);
    }
    // Paging parameters are read like every other collection's (a batch has no filter that could clash).
    const query = parseListQuery('batch', rest, this.settings());
    const unlisted = new Set(this.settings().unlistedProspects);
    const matching = [...this.items.values()].filter(
      (item) => !unlisted.has(item.prospectId) && filters.every((keep) => keep(item)),
    );
    return this.page('batchItems', matching, query, request, (item) => this.serializeItem(item, request.apiBaseUrl));
  }

  private page<T extends { id: number }>(
    collection: string,
    records: readonly T[],
    query: { pageSize: number; afterId: number | null; count: boolean },
    request: BatchRequest,
    toResource: (record: T) => unknown,
  ): BatchAnswer {
    const after = records.filter((record) => query.afterId === null || record.id > query.afterId);
    const shown = after.slice(0, query.pageSize);
    const links: Record<string, string> = {};
    const last = shown[shown.length - 1];
    if (after.length > shown.length && last) {
      links.next = nextPageUrl(`${request.apiBaseUrl}/${collection}`, request.params, encodeCursor(last.id));
    }
    return {
      status: 200,
      document: {
        data: shown.map(toResource),
        links,
        ...(query.count ? { meta: { count: records.length } } : {}),
      },
    };
  }

  private serializeItem(item: BatchItemRecord, apiBaseUrl: string): unknown {
    const relationships: Record<string, unknown> = {
      batch: { ...ref('batch', item.batchId), links: { related: `${apiBaseUrl}/batches/${item.batchId}` } },
      prospect: ref('prospect', item.prospectId),
    };
    if (item.created) relationships[item.created.type] = ref(item.created.type, item.created.id);
    return {
      type: 'batchItem',
      id: item.id,
      attributes: {
        batchId: item.batchId,
        state: item.state,
        failed: item.failed,
        info: item.info,
        data: item.data,
        createdAt: item.createdAt,
        updatedAt: item.updatedAt,
      },
      relationships,
      ...(item.errors ? { meta: { errors: item.errors } } : {}),
      links: { self: `${apiBaseUrl}/batchItems/${item.id}` },
    };
  }
}
