import { safeParseIntent } from '../../lambdas/shared/intent';
import { intentJsonSchema } from '../../lib/client/intent-json-schema';
import { prepareIntent } from '../../lib/client/intent-message';
import { checkedInIntentSchema, intentSchemaValidator } from './intent-schema-validator';

const base = { v: 1, id: 'crm:order-1', user: 'u1', lane: 'standard' };
const update = (operation: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...base,
  ...extra,
  operation: { type: 'prospect.update', prospectId: 7, ...operation },
});
const request = (method: string, path: string, extra: Record<string, unknown> = {}) => ({
  ...base,
  operation: { type: 'request', method, path, ...extra },
});
/** `levels` objects nested in one another around a string. */
const nested = (levels: number): unknown => (levels === 0 ? 'deep' : { a: nested(levels - 1) });
const manyKeys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, i]));

/** The cases below that are valid intents; every other case breaks one rule. */
const VALID = new Set([
  'a prospect update',
  'every optional envelope field',
  'a prospect create',
  'a generic GET',
  'a generic PATCH with a body',
  'a request body nested 32 levels deep, counting the intent',
  'an attribute nested 32 levels deep in arrays',
]);

/** Bodies, each valid or breaking one rule of the intent schema. */
const cases: readonly [string, unknown][] = [
  ['a prospect update', update({ attributes: { title: 'CTO' } })],
  [
    'every optional envelope field',
    update(
      { attributes: { title: 'CTO' } },
      {
        orderingKey: 'crm:acct-9',
        fields: { prospect: ['firstName', 'title'] },
        deadline: '2030-01-01T00:00:00+02:00',
        correlationId: 'req 42',
      },
    ),
  ],
  [
    'a prospect create',
    { ...base, operation: { type: 'prospect.create', attributes: { emails: ['a@example.com'], firstName: 'Ada' } } },
  ],
  [
    'a prospect create with a bad attribute name',
    { ...base, operation: { type: 'prospect.create', attributes: { emails: ['a@example.com'], 'first-name': 'Ada' } } },
  ],
  [
    'a prospect create with too many attributes',
    { ...base, operation: { type: 'prospect.create', attributes: { emails: ['a@example.com'], ...manyKeys(256) } } },
  ],
  ['a prospect update with no attributes', update({ attributes: {} })],
  ['a prospect update with too many attributes', update({ attributes: manyKeys(257) })],
  [
    'a prospect upsert with too many attributes',
    { ...base, operation: { type: 'prospect.upsert', email: 'a@example.com', attributes: manyKeys(257) } },
  ],
  ['a prospect id given as a string', update({ prospectId: '7', attributes: { title: 'CTO' } })],
  ['an unknown envelope field', update({ attributes: { title: 'CTO' } }, { priority: 'high' })],
  ['an unknown schema version', { ...update({ attributes: { title: 'CTO' } }), v: 2 }],
  ['an unknown lane', update({ attributes: { title: 'CTO' } }, { lane: 'urgent' })],
  ['a deadline without a time zone', update({ attributes: { title: 'CTO' } }, { deadline: '2030-01-01T00:00:00' })],
  [
    'a bulk add with no ids',
    { ...base, operation: { type: 'batch.prospectsAddToSequence', prospectIds: [], sequenceId: 1, mailboxId: 1 } },
  ],
  ['a generic GET', request('GET', '/prospects/42', { query: { 'filter[title]': 'CTO' } })],
  ['a generic GET with a body', request('GET', '/prospects', { body: { a: 1 } })],
  ['a generic PATCH with a body', request('PATCH', '/prospects/42', { body: { data: { type: 'prospect' } } })],
  ['a generic request to a full URL', request('GET', 'https://evil.example/prospects')],
  ['a generic request with a dot segment', request('GET', '/prospects/../oauth/token')],
  ['a generic request with a trailing slash', request('GET', '/prospects/')],
  ['a generic request with a query string in its path', request('GET', '/prospects?x=1')],
  ['a generic request to OAuth', request('POST', '/OAuth/token')],
  ['a generic request to the simulator control API', request('GET', '/__sim/state')],
  ['a generic request repeating the API prefix', request('GET', '/api/v2/prospects')],
  [
    'a generic request with too many query parameters',
    request('GET', '/prospects', { query: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`q${i}`, 'x'])) }),
  ],
  [
    'too many resource types in fields',
    update(
      { attributes: { title: 'CTO' } },
      { fields: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`type${i}`, ['id']])) },
    ),
  ],
  ['an intent that is not an object', ['not', 'an', 'intent']],
  [
    'a request body nested 32 levels deep, counting the intent',
    request('PATCH', '/prospects/42', { body: { a: nested(29) } }),
  ],
  ['a request body nested 33 levels deep', request('PATCH', '/prospects/42', { body: { a: nested(30) } })],
  [
    'an attribute nested 32 levels deep in arrays',
    update({ attributes: { tags: JSON.parse(`${'['.repeat(29)}1${']'.repeat(29)}`) } }),
  ],
  [
    'an attribute nested 33 levels deep in arrays',
    update({ attributes: { tags: JSON.parse(`${'['.repeat(30)}1${']'.repeat(30)}`) } }),
  ],
];

describe('intent JSON Schema', () => {
  it('GIVEN the checked-in schema WHEN it is compared with one generated from the intent schema THEN they are equal (run `npm run gen:schema` after changing the intent schema)', () => {
    expect(checkedInIntentSchema()).toEqual(intentJsonSchema());
  });

  const validate = intentSchemaValidator();

  it.each(cases)(
    "GIVEN %s WHEN validated THEN the JSON Schema gives the dispatcher's verdict: valid or not",
    (name, body) => {
      const valid = VALID.has(name);
      const errors = validate(body);
      expect({ dispatcherAccepts: safeParseIntent(body).success, jsonSchemaAccepts: errors.length === 0 }).toEqual({
        dispatcherAccepts: valid,
        jsonSchemaAccepts: valid,
      });
    },
  );

  it('GIVEN an intent of every operation type WHEN the producer client builds its message THEN the JSON Schema accepts the body', () => {
    const inputs = [
      { type: 'prospect.create', attributes: { emails: ['ada@example.com'], firstName: 'Ada' } },
      { type: 'prospect.update', prospectId: 7, attributes: { title: 'CTO' } },
      { type: 'prospect.upsert', email: 'grace@example.com', attributes: {} },
      { type: 'sequenceState.create', prospectId: 7, sequenceId: 3, mailboxId: 1 },
      { type: 'batch.prospectsAddToSequence', prospectIds: [1, 2], sequenceId: 3, mailboxId: 1 },
      { type: 'request', method: 'GET', path: '/prospects', query: { 'page[size]': '5' } },
    ].map((operation, i) => ({ id: `op-${i}`, user: 'u1', lane: 'bulk', operation }));

    const errors = inputs.map((input) => validate(JSON.parse(prepareIntent(input).body)));

    expect(errors).toEqual(inputs.map(() => []));
  });

  it('GIVEN the schema WHEN its description is read THEN it states the size limit JSON Schema cannot express', () => {
    expect(checkedInIntentSchema().description).toEqual(expect.stringContaining('at most 262144 bytes (256 KiB)'));
  });
});
