/**
 * A DynamoDB attribute value in either wire form (`{N: "1"}`) or document form (`1`). The document client
 * unmarshalls what a call returns, but not the item a refused condition carries (`ReturnValuesOnConditionCheckFailure`),
 * which arrives in wire form.
 */
export function plainValue(raw: unknown): unknown {
  if (raw !== null && typeof raw === 'object') {
    const wire = raw as { N?: unknown; S?: unknown };
    if (typeof wire.N === 'string') return Number(wire.N);
    if (typeof wire.S === 'string') return wire.S;
  }
  return raw;
}
