/**
 * DynamoDB's 400 KB item limit and the size DynamoDB counts for an item, to check that what the gate stores stays
 * bounded well below it.
 */

/** DynamoDB's largest item, attribute names and values included. */
export const DYNAMODB_MAX_ITEM_BYTES = 409_600;

/**
 * The size of an item (unmarshalled, as the document client writes it) as DynamoDB counts it: each attribute's
 * name plus its value; strings in UTF-8, numbers up to 21 bytes, booleans and nulls 1 byte, maps and lists 3 bytes
 * plus their elements (1 byte each in lists, name and value in maps). Pure; an upper bound for numbers.
 */
export function dynamodbItemBytes(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return 21;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
  if (typeof value === 'object') return 3 + dynamodbItemBytes(value as Record<string, unknown>);
  throw new TypeError(`cannot size a DynamoDB value of type ${typeof value}`);
}
