/**
 * JSON:API pieces of the simulator: Outreach's error bodies, the query parameters of collection reads
 * (cursor pages, sparse fieldsets, filters) and resource serialisation.
 */
import type { JsonApiError, JsonApiResource, OutreachResourceType } from '../../lambdas/outreach/types';
import { outreachResourceMeta, RESOURCE_PATHS } from '../../lambdas/outreach/types';

/** A request that must be answered with a JSON:API error document. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: JsonApiError[],
  ) {
    super(errors.map((error) => error.detail ?? error.details ?? error.id).join('; '));
    this.name = 'ApiError';
  }
}

/** Outreach's error documents, by situation. */
export const apiErrors = {
  /** 404 `resourceNotFound`: "Could not find 'prospect' with ID '1'." */
  resourceNotFound: (type: string, id: string | number): ApiError =>
    new ApiError(404, [
      { id: 'resourceNotFound', title: 'Resource Not Found', detail: `Could not find '${type}' with ID '${id}'.` },
    ]),
  /** 404 for a path the API does not have. */
  unknownPath: (path: string): ApiError =>
    new ApiError(404, [{ id: 'notFound', title: 'Not Found', detail: `No route matches '${path}'.` }]),
  /** 405 for a method the path does not support. */
  methodNotAllowed: (method: string, path: string): ApiError =>
    new ApiError(405, [
      { id: 'methodNotAllowed', title: 'Method Not Allowed', detail: `${method} is not supported on '${path}'.` },
    ]),
  /** 422 `validationError` pointing at the offending member of the request body. */
  validation: (pointer: string, detail: string): ApiError =>
    new ApiError(422, [{ id: 'validationError', title: 'Validation Error', detail, source: { pointer } }]),
  /** 400 for a malformed body or query parameter. */
  badRequest: (detail: string, parameter?: string): ApiError =>
    new ApiError(400, [
      { id: 'badRequest', title: 'Bad Request', detail, ...(parameter ? { source: { parameter } } : {}) },
    ]),
  /** 403 `unauthorizedOauthScope`. */
  missingScope: (scope: string): ApiError =>
    new ApiError(403, [
      {
        id: 'unauthorizedOauthScope',
        title: 'Unauthorized OAuth Scope',
        detail: `Your access token does not have the '${scope}' scope required for this request.`,
      },
    ]),
  /** 413 for a body over the size limit. */
  tooLarge: (limit: number): ApiError =>
    new ApiError(413, [
      {
        id: 'requestEntityTooLarge',
        title: 'Request Entity Too Large',
        detail: `Bodies are limited to ${limit} bytes.`,
      },
    ]),
};

/** The 415 body, exactly as Outreach documents it (note `details`, not `detail`). */
export const UNSUPPORTED_MEDIA_TYPE: JsonApiError[] = [
  {
    id: 'unsupportedMediaType',
    title: 'Unsupported Media Type',
    details: "Expected Content-Type header to be 'application/vnd.api+json'.",
  },
];

/** Error bodies for injected 500/502/503 faults. */
export const FAULT_ERRORS: Record<number, JsonApiError> = {
  500: { id: 'internalServerError', title: 'Internal Server Error', detail: 'An unexpected error occurred.' },
  502: { id: 'badGateway', title: 'Bad Gateway', detail: 'The server received an invalid response upstream.' },
  503: { id: 'serviceUnavailable', title: 'Service Unavailable', detail: 'The service is temporarily unavailable.' },
};

/** Attribute metadata as generated from the OpenAPI document. */
export interface AttributeMeta {
  type: string;
  readOnly: boolean;
  filterable: boolean;
}

/** Relationship metadata as generated from the OpenAPI document. */
export interface RelationshipMeta {
  type: string;
  many: boolean;
  readOnly: boolean;
}

/** Attributes of a resource type. */
export const attributeMeta = (type: OutreachResourceType): Readonly<Record<string, AttributeMeta>> =>
  outreachResourceMeta[type].attributes;

/** Relationships of a resource type. */
export const relationshipMeta = (type: OutreachResourceType): Readonly<Record<string, RelationshipMeta>> =>
  outreachResourceMeta[type].relationships;

/** One `filter[...]` condition of a collection read. */
export type ListFilter =
  | { kind: 'id'; values: string[] }
  | { kind: 'attribute'; name: string; values: string[] }
  | { kind: 'relationship'; name: string; values: string[] };

/** A parsed collection read. */
export interface ListQuery {
  pageSize: number;
  /** Only ids greater than this (decoded `page[after]`), or null for the first page. */
  afterId: number | null;
  filters: ListFilter[];
  /** `fields[<type>]` sparse fieldsets. */
  fields: Map<string, Set<string>>;
  /** `count=true`: add `meta.count`. */
  count: boolean;
}

/** Encodes a cursor for `page[after]`. */
export const encodeCursor = (id: number): string => Buffer.from(`id:${id}`).toString('base64url');

/** Decodes a `page[after]` cursor, or null if it is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  const match = /^id:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1] ? Number(match[1]) : null;
}

const FILTER_KEY = /^filter\[([^\]]+)\](?:\[([^\]]+)\])?$/;
const FIELDS_KEY = /^fields\[([^\]]+)\]$/;

const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/** Parses `fields[<type>]` parameters (used by reads of one resource too). */
export function parseFields(params: URLSearchParams): Map<string, Set<string>> {
  const fields = new Map<string, Set<string>>();
  for (const [key, value] of params) {
    const match = FIELDS_KEY.exec(key);
    if (match?.[1]) fields.set(match[1], new Set(splitList(value)));
  }
  return fields;
}

/** Parses the query of a collection read; throws {@link ApiError} 400 for bad parameters. */
export function parseListQuery(
  type: OutreachResourceType,
  params: URLSearchParams,
  limits: { defaultPageSize: number; maxPageSize: number },
): ListQuery {
  let pageSize = limits.defaultPageSize;
  const size = params.get('page[size]') ?? params.get('page[limit]');
  if (size !== null) {
    if (!/^\d+$/.test(size) || Number(size) < 1 || Number(size) > limits.maxPageSize) {
      throw apiErrors.badRequest(`page[size] must be an integer from 1 to ${limits.maxPageSize}.`, 'page[size]');
    }
    pageSize = Number(size);
  }
  let afterId: number | null = null;
  const after = params.get('page[after]');
  if (after !== null) {
    afterId = decodeCursor(after);
    if (afterId === null) throw apiErrors.badRequest('page[after] is not a valid cursor.', 'page[after]');
  }
  const attributes = attributeMeta(type);
  const relationships = relationshipMeta(type);
  const filters: ListFilter[] = [];
  for (const [key, value] of params) {
    const match = FILTER_KEY.exec(key);
    if (!match) continue;
    const [, name = '', sub] = match;
    const values = splitList(value);
    if (name === 'id' && sub === undefined) filters.push({ kind: 'id', values });
    else if (sub === undefined && Object.hasOwn(attributes, name)) filters.push({ kind: 'attribute', name, values });
    else if (sub === 'id' && Object.hasOwn(relationships, name)) filters.push({ kind: 'relationship', name, values });
    else throw apiErrors.badRequest(`'${key}' is not a supported filter for ${RESOURCE_PATHS[type]}.`, key);
  }
  return { pageSize, afterId, filters, fields: parseFields(params), count: params.get('count') === 'true' };
}

/** A stored record, as the simulator keeps it. */
export interface StoredRecord {
  type: OutreachResourceType;
  id: number;
  attributes: Record<string, unknown>;
  /** Relationship name → related id (or ids, or null). */
  relationships: Record<string, number | number[] | null>;
}

/** Serialises a record as a JSON:API resource object, honouring `fields[<type>]`. */
export function serialize(record: StoredRecord, apiBaseUrl: string, fields: Map<string, Set<string>>): JsonApiResource {
  const wanted = fields.get(record.type);
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record.attributes)) {
    if (!wanted || wanted.has(name)) attributes[name] = value;
  }
  const meta = relationshipMeta(record.type);
  const relationships: NonNullable<JsonApiResource['relationships']> = {};
  for (const [name, value] of Object.entries(record.relationships)) {
    if (wanted && !wanted.has(name)) continue;
    const relatedType = meta[name]?.type ?? name;
    relationships[name] = {
      data: Array.isArray(value)
        ? value.map((id) => ({ type: relatedType, id }))
        : value === null
          ? null
          : { type: relatedType, id: value },
    };
  }
  return {
    type: record.type,
    id: record.id,
    attributes: attributes as JsonApiResource['attributes'],
    relationships,
    links: { self: `${apiBaseUrl}/${RESOURCE_PATHS[record.type]}/${record.id}` },
  };
}

/** Builds the `links.next` URL: the same query with `page[after]` replaced. */
export function nextPageUrl(base: string, params: URLSearchParams, cursor: string): string {
  const encodeKey = (key: string): string => encodeURIComponent(key).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  const encodeValue = (value: string): string => encodeURIComponent(value).replace(/%2C/gi, ',');
  const parts: string[] = [];
  for (const [key, value] of params) {
    if (key !== 'page[after]') parts.push(`${encodeKey(key)}=${encodeValue(value)}`);
  }
  parts.push(`page[after]=${cursor}`);
  return `${base}?${parts.join('&')}`;
}
