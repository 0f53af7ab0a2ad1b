import { createHash } from 'node:crypto';
import { z } from 'zod';
import { intentShapeProblem, MAX_INTENT_BYTES } from './intent-limits';
import { LANES } from './names';

export { MAX_INTENT_BYTES };

/**
 * The intent: one Outreach operation a producer wants done, as it travels on a lane's SQS FIFO queue.
 * Producers validate it before sending and the dispatcher validates it again on receipt, with this one
 * schema, so an intent that reaches the dispatcher means what the producer meant.
 */

/** The schema version this code writes and understands. Bump it on incompatible changes. */
export const INTENT_SCHEMA_VERSION = 1;

/** Most ids one `batch.prospectsAddToSequence` intent may carry. */
export const MAX_BULK_PROSPECT_IDS = 1000;

/** Most attributes one operation may set (Outreach's prospect has about a hundred). */
export const MAX_ATTRIBUTES = 256;

/** Most query parameters of a generic request, and the longest value one may have. */
export const MAX_QUERY_PARAMETERS = 50;
export const MAX_QUERY_VALUE_LENGTH = 2048;

/** Most resource types in `fields`, and most field names per type. */
export const MAX_FIELD_TYPES = 20;
export const MAX_FIELDS_PER_TYPE = 200;

/** SQS's limit on a MessageGroupId's length. */
export const MAX_MESSAGE_GROUP_ID_LENGTH = 128;

const KEY_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const KEY_ALPHABET = "letters, digits, '-', '_', '.' and ':'";
/** Mirrors the rule `resolveGateSettings` applies to `outreachUsers`, so an intent can only name a user the gate could be configured with. */
const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;
export const PATH_SEGMENT_PATTERN = /^[A-Za-z0-9_-]+$/;
/** First path segments an intent may never address: OAuth (token minting belongs to the gate) and the simulator's control API. */
export const FORBIDDEN_PATH_ROOTS = ['oauth', '__sim'];

const key = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .min(1, { error: `must not be empty (${what})` })
    .max(128, { error: `must be at most 128 characters (${what})` })
    .regex(KEY_PATTERN, { error: `may only contain ${KEY_ALPHABET} (${what})` });

/** The producer's idempotency key of an intent: it keys the intent record, so the same id is performed at most once. */
export const intentIdSchema = key("the producer's idempotency key");

const positiveId = (what: string) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .positive({ error: `must be a positive id (${what})` });

const email = z.email({ error: 'must be an email address' });

const fieldName = z.string().regex(FIELD_NAME_PATTERN, {
  error: 'must be a field name: a letter followed by letters or digits',
});

/** Any JSON value (what Outreach attributes and request bodies may hold). */
const jsonValue = z.json({ error: 'must be a JSON value' });

/** Outreach attributes of a resource: JSON values keyed by attribute name. */
const attributes = z
  .record(fieldName, jsonValue, { error: 'must be an object of attribute names to JSON values' })
  .refine((value) => Object.keys(value).length <= MAX_ATTRIBUTES, {
    error: `must set at most ${MAX_ATTRIBUTES} attributes`,
  });

const nonEmptyAttributes = attributes.refine((value) => Object.keys(value).length > 0, {
  error: 'must set at least one attribute',
});

const prospectCreate = z.strictObject({
  type: z.literal('prospect.create'),
  attributes: z
    .object(
      {
        emails: z
          .array(email, { error: 'must be a list of email addresses' })
          .min(1, { error: 'must list at least one email' }),
      },
      { error: 'must be an object of prospect attributes including emails' },
    )
    .catchall(jsonValue)
    .superRefine((value, ctx) => {
      if (Object.keys(value).length > MAX_ATTRIBUTES) {
        ctx.addIssue({ code: 'custom', message: `must set at most ${MAX_ATTRIBUTES} attributes` });
      }
      for (const name of Object.keys(value)) {
        if (!FIELD_NAME_PATTERN.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'must be a field name: a letter followed by letters or digits',
          });
        }
      }
    }),
  relationships: z
    .strictObject({
      account: z.strictObject({ id: positiveId('an Outreach account id') }).optional(),
    })
    .optional(),
});

const prospectUpdate = z.strictObject({
  type: z.literal('prospect.update'),
  prospectId: positiveId('an Outreach prospect id'),
  attributes: nonEmptyAttributes,
});

const prospectUpsert = z.strictObject({
  type: z.literal('prospect.upsert'),
  email,
  attributes,
});

const sequenceStateCreate = z.strictObject({
  type: z.literal('sequenceState.create'),
  prospectId: positiveId('an Outreach prospect id'),
  sequenceId: positiveId('an Outreach sequence id'),
  mailboxId: positiveId('an Outreach mailbox id'),
});

const bulkAddToSequence = z.strictObject({
  type: z.literal('batch.prospectsAddToSequence'),
  prospectIds: z
    .array(positiveId('an Outreach prospect id'), {
      error: 'must be a list of prospect ids: a bulk action without ids would apply to every prospect',
    })
    .min(1, { error: 'must list at least one prospect id: a bulk action without ids would apply to every prospect' })
    .max(MAX_BULK_PROSPECT_IDS, { error: `must list at most ${MAX_BULK_PROSPECT_IDS} prospect ids` }),
  sequenceId: positiveId('an Outreach sequence id'),
  mailboxId: positiveId('an Outreach mailbox id'),
});

/**
 * Why a generic request path is refused, or undefined when it is acceptable. The path is relative to the
 * API base (`/api/v2`) and must not be able to leave it: no URLs, no dot segments, no encoding tricks.
 */
export function requestPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 2048) return 'must be at most 2048 characters';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) || path.startsWith('//')) {
    return 'must be a path relative to /api/v2, not a URL';
  }
  if (!path.startsWith('/')) return "must start with '/' (a path relative to /api/v2)";
  if (path.includes('?') || path.includes('#')) {
    return "must not contain '?' or '#': put query parameters in operation.query";
  }
  if (path.includes('%')) return 'must not be percent-encoded';
  if (path.includes('\\')) return "must not contain '\\'";
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return "must not contain '.' or '..' segments";
  }
  if (segments.some((segment) => segment === '')) return "must not contain empty segments ('//' or a trailing '/')";
  if (segments.some((segment) => !PATH_SEGMENT_PATTERN.test(segment))) {
    return "segments may only contain letters, digits, '_' and '-'";
  }
  const root = (segments[0] ?? '').toLowerCase();
  if (FORBIDDEN_PATH_ROOTS.includes(root))
    return `must not address /${segments[0]}: only the API under /api/v2 is reachable`;
  if (root === 'api') return 'is already relative to /api/v2: leave out the /api/v2 prefix';
  return undefined;
}

const request = z
  .strictObject({
    type: z.literal('request'),
    method: z.enum(['GET', 'POST', 'PATCH', 'DELETE'], { error: 'must be one of GET, POST, PATCH, DELETE' }),
    path: z.string({ error: 'must be a string' }).superRefine((path, ctx) => {
      const problem = requestPathProblem(path);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    query: z
      .record(
        z
          .string()
          .min(1, { error: 'query parameter names must not be empty' })
          .max(256, { error: 'query parameter names must be at most 256 characters' }),
        z.string().max(MAX_QUERY_VALUE_LENGTH, { error: `must be at most ${MAX_QUERY_VALUE_LENGTH} characters` }),
        { error: 'must be an object of query parameter names to string values' },
      )
      .refine((value) => Object.keys(value).length <= MAX_QUERY_PARAMETERS, {
        error: `must have at most ${MAX_QUERY_PARAMETERS} query parameters`,
      })
      .optional(),
    body: z.record(z.string(), jsonValue, { error: 'must be a JSON object' }).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.method === 'GET' && value.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'must not be set on a GET request' });
    }
  });

/** The operation types, in the order the schema lists them. */
export const OPERATION_TYPES = [
  'prospect.create',
  'prospect.update',
  'prospect.upsert',
  'sequenceState.create',
  'batch.prospectsAddToSequence',
  'request',
] as const;

/** Every operation an intent can carry, discriminated by `type`. */
export const operationSchema = z.discriminatedUnion(
  'type',
  [prospectCreate, prospectUpdate, prospectUpsert, sequenceStateCreate, bulkAddToSequence, request],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `must be one of ${OPERATION_TYPES.join(', ')}`
        : 'must be an object with a type (the operation)',
  },
);

/** One Outreach operation. */
export type Operation = z.infer<typeof operationSchema>;

/** The type of an operation. */
export type OperationType = Operation['type'];

/** The versioned intent envelope. Unknown keys are errors at every level except Outreach attributes and bodies. */
export const intentSchema = z.strictObject(
  {
    /** Schema version; intents of a version this code does not know are refused, never guessed at. */
    v: z.literal(INTENT_SCHEMA_VERSION, {
      error: (issue) =>
        issue.input === undefined
          ? `is required: the intent schema version (${INTENT_SCHEMA_VERSION})`
          : `unsupported intent schema version ${JSON.stringify(issue.input)}; this gate understands version ${INTENT_SCHEMA_VERSION}`,
    }),
    /** The producer's idempotency key: the same id is performed at most once. */
    id: intentIdSchema,
    /** The Outreach user whose token and hourly budget the intent spends. */
    user: z
      .string({ error: 'must be a string (the Outreach user whose token and budget the intent spends)' })
      .regex(USER_PATTERN, {
        error: "must be 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
      }),
    /** The priority lane it waits on. */
    lane: z.enum(LANES, { error: `must be one of ${LANES.join(', ')}` }),
    operation: operationSchema,
    /** Intents sharing an ordering key are performed one after another, in the order sent (their message group). */
    orderingKey: key('intents sharing it are performed in order').optional(),
    /** Sparse fieldsets: the attributes Outreach should return, per resource type. */
    fields: z
      .record(
        fieldName,
        z
          .array(fieldName, { error: 'must be a list of field names' })
          .min(1, 'must list at least one field')
          .max(MAX_FIELDS_PER_TYPE, `must list at most ${MAX_FIELDS_PER_TYPE} fields`),
        {
          error: 'must be an object of resource types to lists of field names',
        },
      )
      .refine((value) => Object.keys(value).length <= MAX_FIELD_TYPES, {
        error: `must name at most ${MAX_FIELD_TYPES} resource types`,
      })
      .optional(),
    /** Past this instant the dispatcher no longer performs the intent and dead-letters it as `expired`. */
    deadline: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 timestamp with a time zone, e.g. 2030-01-01T00:00:00Z' })
      .optional(),
    /** The producer's own id for tracing; copied to logs and to the message attributes. */
    correlationId: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .max(256, { error: 'must be at most 256 characters' })
      .regex(/^[\x20-\x7E]+$/, { error: 'must be printable ASCII' })
      .optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'an intent must be a JSON object' : undefined) },
);

/** One Outreach operation a producer wants done, validated. */
export type Intent = z.infer<typeof intentSchema>;

/** One problem with an intent: where (a dotted path) and what. */
export interface IntentIssue {
  readonly path: string;
  readonly message: string;
}

/** Raised for an invalid intent; the message names every bad field by its path. */
export class IntentValidationError extends Error {
  override readonly name = 'IntentValidationError';
  constructor(
    readonly issues: readonly IntentIssue[],
    context = 'invalid intent',
  ) {
    super(`${context}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  }
}

/** Formats a zod issue path as `operation.prospectIds[2]`, or `(intent)` for the root. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(intent)' : out;
}

function toIssues(error: z.ZodError): IntentIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((name) => ({ path: formatIssuePath([...issue.path, name]), message: 'is not a known field' }))
      : [{ path: formatIssuePath(issue.path), message: issue.message }],
  );
}

/** The result of {@link safeParseIntent}. */
export type IntentParseResult =
  | { readonly success: true; readonly intent: Intent }
  | { readonly success: false; readonly error: IntentValidationError };

const invalid = (issues: IntentIssue[]): IntentParseResult => ({
  success: false,
  error: new IntentValidationError(issues),
});

/** A path for an error message: at most the first 12 parts, each at most 64 characters. */
function shortPath(path: readonly (string | number)[]): string {
  const parts = path
    .slice(0, 12)
    .map((part) => (typeof part === 'string' && part.length > 64 ? `${part.slice(0, 64)}…` : part));
  const formatted = formatIssuePath(parts);
  return path.length > parts.length ? `${formatted}…` : formatted;
}

/**
 * Validates a value as an intent without throwing, whatever the value: its depth and size are bounded before
 * the schema runs (see `intent-limits`), and a value that cannot even be read (a throwing getter, a revoked
 * proxy) is refused too.
 */
export function safeParseIntent(value: unknown): IntentParseResult {
  try {
    const shape = intentShapeProblem(value);
    if (shape !== undefined) return invalid([{ path: shortPath(shape.path), message: shape.message }]);
    const parsed = intentSchema.safeParse(value);
    if (parsed.success) return { success: true, intent: parsed.data };
    return invalid(toIssues(parsed.error));
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return invalid([{ path: '(intent)', message: `could not be read as JSON data (${why.slice(0, 200)})` }]);
  }
}

/**
 * Validates a value as an intent.
 * @throws IntentValidationError naming each bad field by path, e.g. `operation.attributes.emails: must list at least one email`.
 */
export function parseIntent(value: unknown): Intent {
  const result = safeParseIntent(value);
  if (!result.success) throw result.error;
  return result.intent;
}

/** The intent as it travels on a queue (UTF-8 JSON). */
export function serializeIntent(intent: Intent): string {
  return JSON.stringify(intent);
}

/** Size of the serialised intent in bytes, to compare with {@link MAX_INTENT_BYTES}. */
export function intentSizeBytes(intent: Intent): number {
  return Buffer.byteLength(serializeIntent(intent), 'utf8');
}

/** Upstream requests the gate charges against the user's budget for this intent (an upsert looks up, then writes). */
export function upstreamRequestsFor(intent: Intent): number {
  return intent.operation.type === 'prospect.upsert' ? 2 : 1;
}

/** What SQS accepts as a MessageGroupId: 1–128 alphanumeric or ASCII punctuation characters. */
const MESSAGE_GROUP_ID_PATTERN = /^[A-Za-z0-9!-/:-@[-`{-~]{1,128}$/;

/** `value` if SQS accepts it as a MessageGroupId, else a stable sha-256 digest of it that SQS accepts. */
export function toMessageGroupId(value: string): string {
  if (MESSAGE_GROUP_ID_PATTERN.test(value)) return value;
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 64)}`;
}

function resourceGroup(intent: Intent): string {
  const { user, operation } = intent;
  switch (operation.type) {
    case 'prospect.update':
    case 'sequenceState.create':
      return `${user}:prospect:${operation.prospectId}`;
    case 'prospect.create':
      return `${user}:prospect-email:${(operation.attributes.emails[0] ?? '').toLowerCase()}`;
    case 'prospect.upsert':
      return `${user}:prospect-email:${operation.email.toLowerCase()}`;
    case 'batch.prospectsAddToSequence':
      return `${user}:batch:${operation.sequenceId}`;
    case 'request':
      return `${user}:${operation.path.slice(1).split('/').slice(0, 2).join('/')}`;
  }
}

/**
 * The SQS MessageGroupId for an intent: its `orderingKey` when set, else one group per resource, so that
 * changes to one prospect stay in order while unrelated intents run in parallel. Values SQS would refuse
 * (too long, or outside its alphabet) are replaced by a stable digest.
 */
export function defaultMessageGroupId(intent: Intent): string {
  return toMessageGroupId(intent.orderingKey ?? resourceGroup(intent));
}
