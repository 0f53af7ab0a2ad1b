import { createHash } from 'node:crypto';
import {
  defaultMessageGroupId,
  type Intent,
  IntentValidationError,
  intentSizeBytes,
  MAX_BULK_PROSPECT_IDS,
  MAX_INTENT_BYTES,
  parseIntent,
  requestPathProblem,
  safeParseIntent,
  toMessageGroupId,
  upstreamRequestsFor,
} from '../../lambdas/shared/intent';

const envelope = { v: 1, id: 'order-42:create', user: 'u1', lane: 'standard' } as const;

const operations = {
  create: { type: 'prospect.create', attributes: { emails: ['Ada@Example.com'], firstName: 'Ada' } },
  update: { type: 'prospect.update', prospectId: 7, attributes: { title: 'CTO' } },
  upsert: { type: 'prospect.upsert', email: 'Ada@Example.com', attributes: { firstName: 'Ada' } },
  enrol: { type: 'sequenceState.create', prospectId: 7, sequenceId: 3, mailboxId: 1 },
  bulk: { type: 'batch.prospectsAddToSequence', prospectIds: [1, 2, 3], sequenceId: 3, mailboxId: 1 },
  request: { type: 'request', method: 'GET', path: '/prospects/42', query: { 'fields[prospect]': 'emails' } },
} as const;

/** A valid intent with some fields replaced (a field set to undefined is removed). */
function intent(overrides: Record<string, unknown> = {}, operation: object = operations.create): unknown {
  const value: Record<string, unknown> = { ...envelope, operation, ...overrides };
  for (const [key, field] of Object.entries(value)) if (field === undefined) delete value[key];
  return value;
}

function issuesOf(value: unknown) {
  const result = safeParseIntent(value);
  if (result.success) throw new Error('expected the intent to be invalid');
  return result.error;
}

describe('parseIntent', () => {
  it.each([
    ['a prospect create', intent()],
    ['a prospect create with an account', intent({}, { ...operations.create, relationships: { account: { id: 9 } } })],
    ['a prospect update', intent({}, operations.update)],
    ['a prospect upsert', intent({}, operations.upsert)],
    ['a sequence enrolment', intent({}, operations.enrol)],
    ['a bulk add to sequence', intent({}, operations.bulk)],
    ['a generic GET', intent({}, operations.request)],
    [
      'a generic POST with a body',
      intent({}, { type: 'request', method: 'POST', path: '/accounts', body: { data: {} } }),
    ],
    [
      'every optional envelope field',
      intent({
        orderingKey: 'crm:account:9',
        fields: { prospect: ['firstName', 'emails'] },
        deadline: '2030-01-01T00:00:00Z',
        correlationId: 'req-1',
      }),
    ],
    [
      'the largest bulk action',
      intent({}, { ...operations.bulk, prospectIds: Array.from({ length: 1000 }, (_, i) => i + 1) }),
    ],
  ])('GIVEN %s WHEN it is parsed THEN it is accepted unchanged', (_, value) => {
    expect(parseIntent(value)).toEqual(value);
  });

  const invalidCases: [what: string, value: unknown, path: string, message: RegExp][] = [
    [
      'an unknown schema version',
      intent({ v: 2 }),
      'v',
      /unsupported intent schema version 2; this gate understands version 1/,
    ],
    ['no schema version', intent({ v: undefined }), 'v', /is required/],
    ['an id with a space', intent({ id: 'a b' }), 'id', /may only contain letters, digits/],
    ['an empty id', intent({ id: '' }), 'id', /must not be empty/],
    ['an id of 129 characters', intent({ id: 'x'.repeat(129) }), 'id', /at most 128 characters/],
    ['no user', intent({ user: undefined }), 'user', /must be a string/],
    ['a user with a slash', intent({ user: 'a/b' }), 'user', /1–64 letters/],
    ['an unknown lane', intent({ lane: 'urgent' }), 'lane', /must be one of critical, standard, bulk/],
    ['an unknown envelope key', intent({ priority: 1 }), 'priority', /is not a known field/],
    ['an ordering key with a slash', intent({ orderingKey: 'a/b' }), 'orderingKey', /may only contain/],
    ['a deadline without a time zone', intent({ deadline: '2030-01-01T00:00:00' }), 'deadline', /ISO-8601/],
    ['a deadline that is not a date', intent({ deadline: 'tomorrow' }), 'deadline', /ISO-8601/],
    ['a field name with a dash', intent({ fields: { prospect: ['first-name'] } }), 'fields.prospect[0]', /field name/],
    ['an empty field list', intent({ fields: { prospect: [] } }), 'fields.prospect', /at least one field/],
    ['an empty correlation id', intent({ correlationId: '' }), 'correlationId', /must not be empty/],
    ['no operation', intent({ operation: undefined }), 'operation', /must be an object with a type/],
    [
      'an unknown operation type',
      intent({}, { type: 'prospect.delete' }),
      'operation.type',
      /must be one of prospect\.create/,
    ],
    [
      'a create without emails',
      intent({}, { type: 'prospect.create', attributes: { emails: [] } }),
      'operation.attributes.emails',
      /must list at least one email/,
    ],
    [
      'a create with a malformed email',
      intent({}, { type: 'prospect.create', attributes: { emails: ['not-an-email'] } }),
      'operation.attributes.emails[0]',
      /must be an email address/,
    ],
    [
      'a create with an unknown operation key',
      intent({}, { ...operations.create, sequenceId: 1 }),
      'operation.sequenceId',
      /is not a known field/,
    ],
    [
      'a create with a malformed attribute name',
      intent({}, { type: 'prospect.create', attributes: { emails: ['a@b.co'], 'first name': 'x' } }),
      'operation.attributes.first name',
      /field name/,
    ],
    [
      'an update of prospect 0',
      intent({}, { ...operations.update, prospectId: 0 }),
      'operation.prospectId',
      /positive id/,
    ],
    [
      'an update with a fractional id',
      intent({}, { ...operations.update, prospectId: 1.5 }),
      'operation.prospectId',
      /whole number/,
    ],
    [
      'an update with no attributes',
      intent({}, { ...operations.update, attributes: {} }),
      'operation.attributes',
      /at least one attribute/,
    ],
    [
      'an upsert with a malformed email',
      intent({}, { ...operations.upsert, email: 'x' }),
      'operation.email',
      /email address/,
    ],
    [
      'an enrolment without a mailbox',
      intent({}, { ...operations.enrol, mailboxId: undefined }),
      'operation.mailboxId',
      /must be a number/,
    ],
    [
      'a bulk action with an empty id list',
      intent({}, { ...operations.bulk, prospectIds: [] }),
      'operation.prospectIds',
      /at least one prospect id: a bulk action without ids would apply to every prospect/,
    ],
    [
      'a bulk action without an id list',
      intent({}, { type: 'batch.prospectsAddToSequence', sequenceId: 3, mailboxId: 1 }),
      'operation.prospectIds',
      /a bulk action without ids would apply to every prospect/,
    ],
    [
      'a bulk action over the id limit',
      intent(
        {},
        { ...operations.bulk, prospectIds: Array.from({ length: MAX_BULK_PROSPECT_IDS + 1 }, (_, i) => i + 1) },
      ),
      'operation.prospectIds',
      /at most 1000 prospect ids/,
    ],
    [
      'a bulk action with a negative id',
      intent({}, { ...operations.bulk, prospectIds: [1, -2] }),
      'operation.prospectIds[1]',
      /positive id/,
    ],
    [
      'a request with method PUT',
      intent({}, { ...operations.request, method: 'PUT' }),
      'operation.method',
      /GET, POST, PATCH, DELETE/,
    ],
    [
      'a GET with a body',
      intent({}, { ...operations.request, body: { a: 1 } }),
      'operation.body',
      /must not be set on a GET request/,
    ],
    [
      'a request with a numeric query value',
      intent({}, { ...operations.request, query: { 'page[size]': 50 } }),
      'operation.query.page[size]',
      /expected string/,
    ],
    [
      'a request body that is an array',
      intent({}, { type: 'request', method: 'POST', path: '/accounts', body: [] }),
      'operation.body',
      /JSON object/,
    ],
  ];

  it.each(invalidCases.map(([what, value, path, message]) => ({ what, value, path, message })))(
    'GIVEN $what WHEN it is parsed THEN the error names $path',
    ({ value, path, message }) => {
      const error = issuesOf(value);

      expect(error).toBeInstanceOf(IntentValidationError);
      expect(error.issues).toContainEqual({ path, message: expect.stringMatching(message) });
      expect(error.message).toContain(`${path}: `);
    },
  );

  it.each([
    ['a string', 'intent'],
    ['null', null],
    ['an array', []],
  ])('GIVEN %s instead of an intent WHEN it is parsed THEN it is refused as not an object', (_, value) => {
    expect(() => parseIntent(value)).toThrow('invalid intent: (intent): an intent must be a JSON object');
  });

  it('GIVEN several bad fields WHEN the intent is parsed THEN the error names each one', () => {
    const error = issuesOf(intent({ id: 'a b', lane: 'urgent' }, { ...operations.update, prospectId: -1 }));

    expect(error.issues.map((issue) => issue.path)).toEqual(['id', 'lane', 'operation.prospectId']);
  });
});

describe('the request path guard', () => {
  it.each<[string, RegExp]>([
    ['https://evil', /not a URL/],
    ['//host/x', /not a URL/],
    ['/../oauth/token', /'\.' or '\.\.' segments/],
    ['/prospects/./42', /'\.' or '\.\.' segments/],
    ['/prospects/%2e%2e', /percent-encoded/],
    ['/prospects?x=1', /put query parameters in operation\.query/],
    ['/prospects#x', /'\?' or '#'/],
    ['/oauth/token', /must not address \/oauth/],
    ['/OAuth/token', /must not address \/OAuth/],
    ['/__sim/reset', /must not address \/__sim/],
    ['prospects', /must start with '\/'/],
    ['/prospects/', /empty segments/],
    ['/prospects//42', /empty segments/],
    ['/prospects\\42', /'\\'/],
    ['/prospects/4 2', /letters, digits, '_' and '-'/],
    ['/api/v2/prospects', /leave out the \/api\/v2 prefix/],
    ['', /must not be empty/],
  ])('GIVEN the path "%s" WHEN a request intent is parsed THEN operation.path is refused', (path, message) => {
    const error = issuesOf(intent({}, { ...operations.request, path }));

    expect(error.issues).toEqual([{ path: 'operation.path', message: expect.stringMatching(message) }]);
  });

  it.each([
    '/prospects',
    '/prospects/42',
    '/sequenceStates/7/actions/pause',
    '/batches/actions/prospectsAddToSequence',
  ])('GIVEN the path "%s" WHEN it is checked THEN it is accepted', (path) => {
    expect(requestPathProblem(path)).toBeUndefined();
  });
});

describe('upstreamRequestsFor', () => {
  it.each<[what: string, operation: object, requests: number]>([
    ['an upsert (look-up, then create or update)', operations.upsert, 2],
    ['a create', operations.create, 1],
    ['an update', operations.update, 1],
    ['an enrolment', operations.enrol, 1],
    ['a bulk action', operations.bulk, 1],
    ['a generic request', operations.request, 1],
  ])('GIVEN %s WHEN its cost is asked THEN it is %i upstream requests', (_, operation, expected) => {
    expect(upstreamRequestsFor(parseIntent(intent({}, operation)))).toBe(expected);
  });
});

describe('defaultMessageGroupId', () => {
  const groupCases: [what: string, operation: object, group: string][] = [
    ['an update', operations.update, 'u1:prospect:7'],
    ['an enrolment', operations.enrol, 'u1:prospect:7'],
    ['a create (first email, lower-cased)', operations.create, 'u1:prospect-email:ada@example.com'],
    ['an upsert (email, lower-cased)', operations.upsert, 'u1:prospect-email:ada@example.com'],
    ['a bulk action', operations.bulk, 'u1:batch:3'],
    [
      'a request (first two path segments)',
      { ...operations.request, path: '/prospects/42/relationships/x' },
      'u1:prospects/42',
    ],
    ['a request with one path segment', { ...operations.request, path: '/prospects' }, 'u1:prospects'],
  ];

  it.each(groupCases.map(([what, operation, group]) => ({ what, operation, group })))(
    'GIVEN $what without an ordering key WHEN its group is derived THEN it is $group',
    ({ operation, group }) => {
      expect(defaultMessageGroupId(parseIntent(intent({}, operation)))).toBe(group);
    },
  );

  it('GIVEN an ordering key WHEN the group is derived THEN the ordering key is the group', () => {
    expect(defaultMessageGroupId(parseIntent(intent({ orderingKey: 'crm:account:9' }, operations.update)))).toBe(
      'crm:account:9',
    );
  });

  it('GIVEN an email that makes the group longer than 128 characters WHEN the group is derived THEN it is a sha-256 digest SQS accepts', () => {
    const email = `${'a'.repeat(120)}@example.com`;
    const group = defaultMessageGroupId(parseIntent(intent({}, { ...operations.upsert, email })));

    const expectedDigest = createHash('sha256').update(`u1:prospect-email:${email}`).digest('hex');
    expect(group).toBe(`sha256:${expectedDigest}`);
    expect(group.length).toBeLessThanOrEqual(128);
  });

  it.each([
    ['a space', 'a b'],
    ['a non-ASCII letter', 'café'],
    ['129 characters', 'x'.repeat(129)],
  ])('GIVEN a candidate group with %s WHEN it is made a group id THEN it is hashed into SQS alphabet', (_, value) => {
    expect(toMessageGroupId(value)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('GIVEN the same candidate twice WHEN it is made a group id THEN the digest is the same', () => {
    expect(toMessageGroupId('a b')).toBe(toMessageGroupId('a b'));
  });

  it('GIVEN a candidate of punctuation and 128 characters WHEN it is made a group id THEN it is kept as is', () => {
    const value = `u1:!#$%&'()*+,-./;<=>?@[]^_\`{|}~${'x'.repeat(96)}`;

    expect(toMessageGroupId(value)).toBe(value);
  });
});

describe('the serialised-size limit', () => {
  it('GIVEN the limit WHEN it is read THEN it is 256 KiB', () => {
    expect(MAX_INTENT_BYTES).toBe(256 * 1024);
  });

  it('GIVEN an intent with multi-byte characters WHEN its size is measured THEN UTF-8 bytes of its JSON are counted', () => {
    const value = parseIntent(intent({}, { ...operations.update, attributes: { title: 'é'.repeat(10) } })) as Intent;

    expect(intentSizeBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value), 'utf8'));
    expect(intentSizeBytes(value)).toBe(JSON.stringify(value).length + 10);
  });
});
