/**
 * Friendly names for the Outreach API types generated from Outreach's OpenAPI document
 * (`openapi.gen.ts`). Both the dispatcher's Outreach client and the local Outreach simulator use these,
 * so what the simulator answers and what the client expects are checked against the same contract.
 */
import type { components, paths } from './openapi.gen';

export type { components, paths } from './openapi.gen';
export { outreachResourceMeta } from './openapi.gen';

type Schemas = components['schemas'];

/** Attributes of a prospect (a person Outreach can contact). */
export type ProspectAttributes = Schemas['prospect'];
/** Relationships of a prospect (account, owner, sequence states…). */
export type ProspectRelationships = Schemas['prospectRelationships'];
/** Attributes of an account (a company). */
export type AccountAttributes = Schemas['account'];
/** Relationships of an account. */
export type AccountRelationships = Schemas['accountRelationships'];
/** Attributes of a sequence (an automated series of touches). */
export type SequenceAttributes = Schemas['sequence'];
/** Relationships of a sequence. */
export type SequenceRelationships = Schemas['sequenceRelationships'];
/** Attributes of a mailbox (the sender a sequence mails from). */
export type MailboxAttributes = Schemas['mailbox'];
/** Relationships of a mailbox. */
export type MailboxRelationships = Schemas['mailboxRelationships'];
/** Attributes of a sequence state (one prospect's enrolment in one sequence). */
export type SequenceStateAttributes = Schemas['sequenceState'];
/** Relationships of a sequence state (prospect, sequence, mailbox…). */
export type SequenceStateRelationships = Schemas['sequenceStateRelationships'];
/** Attributes of a batch (a bulk action and its progress). */
export type BatchAttributes = Schemas['batch'];

/** The JSON:API resource types this project reads or writes. */
export type OutreachResourceType = 'prospect' | 'account' | 'sequence' | 'mailbox' | 'sequenceState' | 'batch';

/** The collection path segment of each resource type (`/api/v2/<segment>`). */
export const RESOURCE_PATHS = {
  prospect: 'prospects',
  account: 'accounts',
  sequence: 'sequences',
  mailbox: 'mailboxes',
  sequenceState: 'sequenceStates',
  batch: 'batches',
} as const satisfies Record<OutreachResourceType, string>;

/** Attributes of each resource type, by JSON:API type name. */
export interface AttributesByType {
  prospect: ProspectAttributes;
  account: AccountAttributes;
  sequence: SequenceAttributes;
  mailbox: MailboxAttributes;
  sequenceState: SequenceStateAttributes;
  batch: BatchAttributes;
}

/** A JSON:API resource identifier (`{type, id}`); Outreach ids are integers. */
export interface ResourceIdentifier<T extends string = string> {
  type: T;
  id: number;
}

/** A JSON:API relationship object: a to-one (`data` object or null) or to-many (`data` array) link. */
export interface JsonApiRelationship {
  data?: ResourceIdentifier | ResourceIdentifier[] | null;
  links?: { related?: string };
}

/** A JSON:API resource object as Outreach returns it. */
export interface JsonApiResource<T extends OutreachResourceType = OutreachResourceType> {
  type: T;
  id: number;
  attributes: Partial<AttributesByType[T]>;
  relationships?: Record<string, JsonApiRelationship>;
  links?: { self?: string };
}

/** A single-resource response document (`GET /prospects/1`, `POST /prospects`). */
export interface JsonApiDocument<T extends OutreachResourceType = OutreachResourceType> {
  data: JsonApiResource<T>;
  links?: { self?: string };
}

/** A collection response document with cursor paging (`links.next` carries `page[after]`). */
export interface JsonApiCollection<T extends OutreachResourceType = OutreachResourceType> {
  data: JsonApiResource<T>[];
  links?: { first?: string; next?: string; prev?: string };
  meta?: { count?: number };
}

/** The body of a create or update request. */
export interface JsonApiWriteDocument<T extends OutreachResourceType = OutreachResourceType> {
  data: {
    type: T;
    id?: number;
    attributes?: Partial<AttributesByType[T]>;
    relationships?: Record<string, { data: ResourceIdentifier | ResourceIdentifier[] | null }>;
  };
}

/**
 * One JSON:API error. `id` is Outreach's machine-readable code (`rateLimitExceeded`, `validationError`,
 * `resourceNotFound`, `unauthorizedOauthScope`…). Outreach's 415 uses `details` instead of `detail`.
 */
export type JsonApiError = NonNullable<
  paths['/prospects']['post']['responses'][422]['content']['application/vnd.api+json']['errors']
>[number] & {
  details?: string;
  source?: { pointer?: string; parameter?: string };
};

/** A JSON:API error document (`{errors: [...]}`). */
export interface JsonApiErrorDocument {
  errors: JsonApiError[];
}

/** Attributes of `POST /batches/actions/prospectsAddToSequence`. */
export type ProspectsAddToSequenceAttributes = NonNullable<
  NonNullable<
    NonNullable<
      paths['/batches/actions/prospectsAddToSequence']['post']['requestBody']
    >['content']['application/vnd.api+json']['data']
  >['attributes']
>;

/** The `POST /oauth/token` success body. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  created_at: number;
}

/** The `POST /oauth/token` error body (`invalid_grant`, `invalid_client`, …). */
export interface OAuthErrorResponse {
  error: string;
  error_description: string;
}

/** The media type every Outreach API request and response uses. */
export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';
