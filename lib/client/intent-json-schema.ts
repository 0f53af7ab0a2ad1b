import { z } from 'zod';
import {
  FIELD_NAME_PATTERN,
  FORBIDDEN_PATH_ROOTS,
  INTENT_SCHEMA_VERSION,
  intentSchema,
  MAX_ATTRIBUTES,
  MAX_FIELD_TYPES,
  MAX_QUERY_PARAMETERS,
  PATH_SEGMENT_PATTERN,
} from '../../lambdas/shared/intent';
import { MAX_DEADLINE_AHEAD_MS, MAX_INTENT_BYTES, MAX_INTENT_DEPTH } from '../../lambdas/shared/intent-limits';

/**
 * The intent schema as JSON Schema (draft 2020-12), for producers in any language. It is generated from the
 * zod schema the producer client and the dispatcher validate with; the rules zod checks in code (refinements)
 * are added here wherever JSON Schema can say them, and the rest are listed in the schema's description.
 */

/** A JSON Schema object, as this module reads and writes it. */
type JsonSchema = Record<string, unknown>;

/** The schema's `$id`: names the intent schema version it describes. */
export const INTENT_JSON_SCHEMA_ID = `urn:outreach-gate:intent:v${INTENT_SCHEMA_VERSION}`;

/** The rules the dispatcher enforces that JSON Schema cannot express; a message that breaks one is dead-lettered. */
export const RULES_BEYOND_JSON_SCHEMA = [
  `The message body (this JSON, UTF-8) is at most ${MAX_INTENT_BYTES} bytes (256 KiB); the lane queues refuse a message whose body and attributes together are larger.`,
  '`user` is one of the users the gate is deployed with.',
  '`lane` names the lane whose queue the message is sent to.',
  `\`deadline\`, when set, is in the future and at most ${MAX_DEADLINE_AHEAD_MS / 86_400_000} days ahead; a deadline passed before the intent is performed dead-letters it as \`expired\`.`,
  "A generic `request` is allowed by the deployment's `requestPolicy` (by default: reads of common sales resources and a few writes, never a DELETE).",
  'An `id` already used for another payload (`user`, `operation`, `fields`) is dead-lettered as `id-reused`.',
] as const;

function child(schema: JsonSchema, key: string, where: string): JsonSchema {
  const value = schema[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`intent JSON Schema: ${where}.${key} is missing; the intent schema changed shape`);
  }
  return value as JsonSchema;
}

function property(schema: JsonSchema, name: string, where: string): JsonSchema {
  return child(child(schema, 'properties', where), name, `${where}.properties`);
}

function operationBranch(root: JsonSchema, type: string): JsonSchema {
  const branches = property(root, 'operation', '(intent)').oneOf;
  const branch = Array.isArray(branches)
    ? (branches as JsonSchema[]).find(
        (candidate) => candidate.properties && property(candidate, 'type', type).const === type,
      )
    : undefined;
  if (branch === undefined) throw new Error(`intent JSON Schema: no operation branch for type ${type}`);
  return branch;
}

/** `word` matched in any letter case, without relying on regex flags other languages may not have. */
function anyCase(word: string): string {
  return [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');
}

/** Adds the refinements zod checks in code to the generated schema, in place. */
function addRefinements(root: JsonSchema): void {
  property(root, 'v', '(intent)').type = 'integer';

  const fieldNames = { type: 'string', pattern: FIELD_NAME_PATTERN.source };
  Object.assign(property(operationBranch(root, 'prospect.create'), 'attributes', 'prospect.create'), {
    propertyNames: fieldNames,
    maxProperties: MAX_ATTRIBUTES,
  });
  Object.assign(property(operationBranch(root, 'prospect.update'), 'attributes', 'prospect.update'), {
    minProperties: 1,
    maxProperties: MAX_ATTRIBUTES,
  });
  property(operationBranch(root, 'prospect.upsert'), 'attributes', 'prospect.upsert').maxProperties = MAX_ATTRIBUTES;

  const request = operationBranch(root, 'request');
  const segment = PATH_SEGMENT_PATTERN.source.replace(/^\^/, '').replace(/\$$/, '');
  const forbiddenRoots = [...FORBIDDEN_PATH_ROOTS, 'api'].map(anyCase).join('|');
  Object.assign(property(request, 'path', 'request'), {
    description:
      'A path relative to /api/v2, e.g. /prospects/42: no URL, query string, encoding, dot or empty segments, and not under /oauth, /__sim or /api.',
    minLength: 1,
    maxLength: 2048,
    pattern: `^(?:/${segment})+$`,
    not: { pattern: `^/(?:${forbiddenRoots})(?:/|$)` },
  });
  property(request, 'query', 'request').maxProperties = MAX_QUERY_PARAMETERS;
  Object.assign(request, {
    if: { properties: { method: { const: 'GET' } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a promise
    then: { properties: { body: false } },
  });

  property(root, 'fields', '(intent)').maxProperties = MAX_FIELD_TYPES;
}

/**
 * Level of the objects whose values are free JSON (Outreach attributes and request bodies: intent → operation
 * → `attributes` or `body`), so their values may nest {@link MAX_INTENT_DEPTH} minus this many levels.
 */
const FREE_JSON_PARENT_LEVEL = 3;

const jsonDef = (levels: number) => `jsonNestedAtMost${levels}`;

function replaceRefs(value: unknown, from: string, to: string): void {
  if (Array.isArray(value)) {
    for (const item of value) replaceRefs(item, from, to);
  } else if (typeof value === 'object' && value !== null) {
    const schema = value as JsonSchema;
    if (schema.$ref === from) schema.$ref = to;
    for (const item of Object.values(schema)) replaceRefs(item, from, to);
  }
}

/**
 * Replaces zod's one recursive JSON value with a chain of definitions that nest at most as deep as the
 * dispatcher's depth limit allows, so a validator in any language refuses a body nested too deep.
 */
function boundJsonDepth(root: JsonSchema): void {
  const defs = child(root, '$defs', '(intent)');
  const names = Object.keys(defs);
  if (names.length !== 1 || names[0] === undefined) {
    throw new Error(`intent JSON Schema: expected one recursive JSON value in $defs, found ${names.join(', ')}`);
  }
  const levels = MAX_INTENT_DEPTH - FREE_JSON_PARENT_LEVEL;
  replaceRefs(root, `#/$defs/${names[0]}`, `#/$defs/${jsonDef(levels)}`);
  const scalars = ['string', 'number', 'boolean', 'null'].map((type) => ({ type }));
  const bounded: JsonSchema = { [jsonDef(0)]: { anyOf: scalars } };
  for (let level = 1; level <= levels; level += 1) {
    const inner = { $ref: `#/$defs/${jsonDef(level - 1)}` };
    bounded[jsonDef(level)] = {
      anyOf: [
        { $ref: `#/$defs/${jsonDef(0)}` },
        { type: 'array', items: inner },
        { type: 'object', additionalProperties: inner },
      ],
    };
  }
  bounded[jsonDef(levels)] = {
    description: `Any JSON value whose objects and arrays nest at most ${levels} levels (${MAX_INTENT_DEPTH} counting from the intent).`,
    ...(bounded[jsonDef(levels)] as JsonSchema),
  };
  root.$defs = bounded;
}

/** The JSON Schema of an intent message body, with every limit JSON Schema can express. */
export function intentJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(intentSchema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  addRefinements(generated);
  boundJsonDepth(generated);
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: INTENT_JSON_SCHEMA_ID,
    title: `outreach-gate intent, schema version ${INTENT_SCHEMA_VERSION}`,
    description: [
      'The body of a message on an outreach-gate lane: one Outreach operation to perform, at most once per id.',
      'The dispatcher also enforces these rules, which JSON Schema cannot express:',
      ...RULES_BEYOND_JSON_SCHEMA.map((rule) => `- ${rule}`),
    ].join('\n'),
    ...rest,
  };
}
