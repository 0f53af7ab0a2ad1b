/**
 * Generates `lambdas/outreach/openapi.gen.ts` from Outreach's published OpenAPI document, kept in the repository as
 * `scripts/outreach/openapi.json`.
 *
 * Only the parts this project talks to are kept (prospects, accounts, sequences, mailboxes, sequenceStates,
 * batches and every schema they reference), so the generated file stays small enough to read and review.
 * Besides the TypeScript types produced by openapi-typescript, the file carries `outreachResourceMeta`: a
 * runtime table of each resource's attributes (type, read-only, filterable) and relationships, which the
 * simulator uses to validate request bodies the way Outreach does.
 *
 * Usage: `npm run gen:outreach-types [-- <path/to/openapi.json> [<output.ts>]]`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

/** Outreach's published document, kept in the repository beside this script (see outreach/README.md). */
export const DEFAULT_SPEC_PATH = path.join(__dirname, 'outreach', 'openapi.json');
/** Where the generated module is written. */
export const DEFAULT_OUTPUT_PATH = path.join(__dirname, '..', 'lambdas', 'outreach', 'openapi.gen.ts');

/** Path templates kept from the document. */
const KEPT_PATHS: readonly RegExp[] = [
  /^\/(prospects|accounts|sequences|mailboxes|sequenceStates|batches)(\/\{id\})?$/,
  /^\/sequenceStates\/\{id\}\/actions\/(pause|resume|finish)$/,
  /^\/batches\/actions\/prospectsAddToSequence$/,
  /^\/batches\/\{id\}\/actions\/(confirm|cancel)$/,
];

/** Resources described in the runtime metadata table (JSON:API type → schema names). */
const META_RESOURCES = ['prospect', 'account', 'sequence', 'mailbox', 'sequenceState', 'batch'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects every `#/components/schemas/<name>` referenced anywhere under `node`. */
function collectRefs(node: Json | undefined, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const match = /^#\/components\/schemas\/(.+)$/.exec(value);
      if (match?.[1]) into.add(match[1]);
    } else {
      collectRefs(value, into);
    }
  }
}

/** `custom1`…`custom150`: their descriptions only repeat the number. */
const CUSTOM_FIELD = /^custom\d+$/;

const BADGE = /<img src=https:\/\/developers\.outreach\.io\/badges\/([a-z]+)\.svg>/g;

/** Badges (`readonly`, `filterable`, `sortable`) that Outreach encodes in a description. */
function badgesOf(description: Json | undefined): Set<string> {
  const found = new Set<string>();
  if (typeof description !== 'string') return found;
  for (const match of description.matchAll(BADGE)) if (match[1]) found.add(match[1]);
  return found;
}

/**
 * Removes noise that would only bloat the generated file: badge images in descriptions (their meaning
 * moves into `readOnly` and the metadata table), `x-internal` flags, empty descriptions and the
 * descriptions of numbered custom fields.
 */
function clean(node: Json, name = ''): Json {
  if (Array.isArray(node)) return node.map((item) => clean(item));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-internal') continue;
    if (key === 'description' && typeof value === 'string') {
      if (CUSTOM_FIELD.test(name)) continue;
      const text = value.replace(BADGE, '').trim();
      if (badgesOf(value).has('readonly')) out.readOnly = true;
      if (text) out.description = text;
      continue;
    }
    out[key] = clean(value, key);
  }
  return out;
}

/** Builds the reduced OpenAPI document: kept paths plus the transitive closure of their schemas. */
export function subsetDocument(doc: JsonObject): JsonObject {
  const paths = isObject(doc.paths) ? doc.paths : {};
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const keptPaths: JsonObject = {};
  for (const key of Object.keys(paths).sort()) {
    const item = paths[key];
    if (item !== undefined && KEPT_PATHS.some((pattern) => pattern.test(key))) keptPaths[key] = item;
  }
  const wanted = new Set<string>();
  collectRefs(keptPaths, wanted);
  for (const name of META_RESOURCES) {
    wanted.add(name);
    wanted.add(`${name}Relationships`);
    wanted.add(`${name}Response`);
  }
  const done = new Set<string>();
  while (done.size < wanted.size) {
    for (const name of [...wanted]) {
      if (done.has(name)) continue;
      done.add(name);
      collectRefs(schemas[name], wanted);
    }
  }
  const keptSchemas: JsonObject = {};
  for (const name of [...wanted].sort()) {
    const schema = schemas[name];
    if (schema !== undefined) keptSchemas[name] = schema;
  }
  const info = isObject(doc.info) ? doc.info : {};
  return clean({
    openapi: doc.openapi ?? '3.0.3',
    info: { title: info.title ?? 'Outreach API', version: info.version ?? 'unknown' },
    paths: keptPaths,
    components: { schemas: keptSchemas },
  }) as JsonObject;
}

/** Runtime description of one attribute, derived from the schema. */
interface AttributeMeta {
  type: string;
  readOnly: boolean;
  filterable: boolean;
}

/** Builds the runtime metadata table from the original (uncleaned) schemas. */
function resourceMeta(doc: JsonObject): JsonObject {
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const table: JsonObject = {};
  for (const resource of META_RESOURCES) {
    const attributeSchema = schemas[resource];
    const relationshipSchema = schemas[`${resource}Relationships`];
    const attributes: JsonObject = {};
    const properties =
      isObject(attributeSchema) && isObject(attributeSchema.properties) ? attributeSchema.properties : {};
    for (const name of Object.keys(properties).sort()) {
      const property = properties[name];
      if (!isObject(property)) continue;
      const badges = badgesOf(property.description);
      const meta: AttributeMeta = {
        type: typeof property.type === 'string' ? property.type : 'object',
        readOnly: badges.has('readonly'),
        filterable: badges.has('filterable'),
      };
      attributes[name] = { ...meta };
    }
    const relationships: JsonObject = {};
    const relProperties =
      isObject(relationshipSchema) && isObject(relationshipSchema.properties) ? relationshipSchema.properties : {};
    for (const name of Object.keys(relProperties).sort()) {
      const property = relProperties[name];
      if (!isObject(property) || !isObject(property.properties)) continue;
      const data = property.properties.data;
      if (!isObject(data)) continue;
      const many = data.type === 'array';
      const target = many && isObject(data.items) ? data.items : data;
      const typeEnum = isObject(target) && isObject(target.properties) ? target.properties.type : undefined;
      const targetType = isObject(typeEnum) && Array.isArray(typeEnum.enum) ? typeEnum.enum[0] : undefined;
      if (typeof targetType !== 'string') continue;
      relationships[name] = {
        type: targetType,
        many,
        readOnly: badgesOf(property.description).has('readonly'),
      };
    }
    table[resource] = { attributes, relationships };
  }
  return table;
}

/** JSON with one line per leaf object, so the metadata table stays short and diffs stay readable. */
function compactJson(value: Json, indent = ''): string {
  if (!isObject(value) || Object.values(value).every((child) => !isObject(child))) return JSON.stringify(value);
  const inner = `${indent}  `;
  const lines = Object.entries(value).map(
    ([key, child]) => `${inner}${JSON.stringify(key)}: ${compactJson(child, inner)}`,
  );
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** Produces the full text of the generated module. */
export async function generate(specPath: string = DEFAULT_SPEC_PATH): Promise<string> {
  const doc = JSON.parse(readFileSync(specPath, 'utf8')) as JsonObject;
  const subset = subsetDocument(doc);
  const ast = await openapiTS(subset as unknown as OpenAPI3, { alphabetize: true, silent: true });
  const header = [
    '/**',
    " * Generated by scripts/gen-outreach-types.ts from Outreach's published OpenAPI document. Do not edit:",
    ' * run `npm run gen:outreach-types` instead. Friendly aliases live in ./types.ts.',
    ' */',
    '',
  ].join('\n');
  const meta = [
    '',
    '/** Attributes and relationships of each resource, as the OpenAPI document declares them. */',
    `export const outreachResourceMeta = ${compactJson(resourceMeta(doc))} as const;`,
    '',
  ].join('\n');
  return `${header}${astToString(ast)}${meta}`;
}

async function main(): Promise<void> {
  const specPath = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_SPEC_PATH;
  const outputPath = process.argv[3] ? path.resolve(process.argv[3]) : DEFAULT_OUTPUT_PATH;
  const text = await generate(specPath);
  writeFileSync(outputPath, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), outputPath)} (${Math.round(text.length / 1024)} KB)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
