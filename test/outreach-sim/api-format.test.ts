/** Contract items 1 and 9, and bad input: JSON:API format, 415, 403, 404, 422, malformed bodies. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken, api, prospectBody, startSim } from './helpers';

describe('JSON:API format and errors', () => {
  let sim: RunningSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSim({ users: ['u1', 'reader'], oauth: { scopes: { reader: ['prospects.read'] } } });
    token = await accessToken(sim);
  });
  afterAll(() => sim.stop());

  test("GIVEN a wrong Content-Type WHEN a read is sent THEN 415 with Outreach's exact body", async () => {
    const response = await api(sim, token, 'GET', '/prospects', undefined, {
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(415);
    expect(response.text).toBe(
      '{"errors":[{"id":"unsupportedMediaType","title":"Unsupported Media Type","details":"Expected Content-Type header to be \'application/vnd.api+json\'."}]}',
    );
  });

  test('GIVEN a valid create WHEN posted THEN 201 with a JSON:API resource and integer id', async () => {
    const response = await api(sim, token, 'POST', '/prospects', prospectBody('format@example.com'));
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/vnd\.api\+json/);
    expect(response.json.data).toMatchObject({
      type: 'prospect',
      id: expect.any(Number),
      attributes: { firstName: 'Ada', emails: ['format@example.com'] },
    });
  });

  test('GIVEN a token without prospects.write WHEN creating a prospect THEN 403 unauthorizedOauthScope', async () => {
    const readerToken = await accessToken(sim, 'reader');
    const response = await api(sim, readerToken, 'POST', '/prospects', prospectBody('x@example.com'));
    expect(response.status).toBe(403);
    expect(response.json.errors[0]).toMatchObject({ id: 'unauthorizedOauthScope' });
    expect((await api(sim, readerToken, 'GET', '/prospects')).status).toBe(200);
  });

  test("GIVEN an id that does not exist WHEN read THEN 404 resourceNotFound in Outreach's words", async () => {
    const response = await api(sim, token, 'GET', '/prospects/999999');
    expect(response.status).toBe(404);
    expect(response.json.errors[0]).toEqual({
      id: 'resourceNotFound',
      title: 'Resource Not Found',
      detail: "Could not find 'prospect' with ID '999999'.",
    });
  });

  test('GIVEN a non-numeric id WHEN read THEN 404 resourceNotFound', async () => {
    expect((await api(sim, token, 'GET', '/accounts/abc')).json.errors[0].id).toBe('resourceNotFound');
  });

  test('GIVEN malformed JSON WHEN posted THEN 400 badRequest and the simulator keeps serving', async () => {
    const response = await api(sim, token, 'POST', '/prospects', undefined, { rawBody: '{"data": {' });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].id).toBe('badRequest');
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
  });

  test('GIVEN the wrong resource type in the body WHEN posted THEN 422 validationError at /data/type', async () => {
    const response = await api(sim, token, 'POST', '/prospects', { data: { type: 'widget', attributes: {} } });
    expect(response.status).toBe(422);
    expect(response.json.errors[0]).toMatchObject({ id: 'validationError', source: { pointer: '/data/type' } });
  });

  test('GIVEN a create without attributes WHEN posted THEN 422 pointing at /data/attributes', async () => {
    const response = await api(sim, token, 'POST', '/accounts', { data: { type: 'account' } });
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/attributes' });
  });

  test('GIVEN an account without a name WHEN posted THEN 422 pointing at the missing attribute', async () => {
    const response = await api(sim, token, 'POST', '/accounts', {
      data: { type: 'account', attributes: { domain: 'x.io' } },
    });
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/attributes/name' });
  });

  test('GIVEN an unknown attribute WHEN posted THEN 422 pointing at it', async () => {
    const response = await api(
      sim,
      token,
      'POST',
      '/prospects',
      prospectBody('y@example.com', { favouriteColour: 'red' }),
    );
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/attributes/favouriteColour' });
  });

  test('GIVEN an attribute of the wrong type WHEN posted THEN 422 pointing at it', async () => {
    const response = await api(sim, token, 'POST', '/prospects', prospectBody('z@example.com', { firstName: 42 }));
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/attributes/firstName' });
  });

  test('GIVEN a relationship to a record that does not exist WHEN posted THEN 422 pointing at the relationship', async () => {
    const body = prospectBody('w@example.com');
    const response = await api(sim, token, 'POST', '/prospects', {
      data: { ...body.data, relationships: { account: { data: { type: 'account', id: 4242 } } } },
    });
    expect(response.status).toBe(422);
    expect(response.json.errors[0]).toMatchObject({
      id: 'validationError',
      source: { pointer: '/data/relationships/account' },
    });
  });

  test('GIVEN an unknown collection WHEN requested THEN 404 JSON:API error', async () => {
    const response = await api(sim, token, 'GET', '/widgets');
    expect(response.status).toBe(404);
    expect(response.json.errors[0].id).toBe('notFound');
  });

  test('GIVEN an unsupported method WHEN sent THEN 405 JSON:API error', async () => {
    const response = await api(sim, token, 'PATCH', '/sequenceStates/1', { data: { type: 'sequenceState' } });
    expect(response.status).toBe(405);
    expect(response.json.errors[0].id).toBe('methodNotAllowed');
  });

  test('GIVEN an unknown filter WHEN listing THEN 400 naming the parameter', async () => {
    const response = await api(sim, token, 'GET', '/prospects?filter[email]=a@b.c');
    expect(response.status).toBe(400);
    expect(response.json.errors[0].source).toEqual({ parameter: 'filter[email]' });
  });

  test.each([
    ['null', 'POST', '/prospects', 'null', 422],
    ['an array', 'POST', '/prospects', '[]', 422],
    ['data as a list', 'POST', '/prospects', '{"data":[]}', 422],
    ['attributes as a string', 'POST', '/prospects', '{"data":{"type":"prospect","attributes":"x"}}', 422],
    [
      'a relationship without data',
      'POST',
      '/sequenceStates',
      '{"data":{"type":"sequenceState","relationships":{"prospect":1}}}',
      422,
    ],
    [
      'an unknown relationship',
      'POST',
      '/prospects',
      '{"data":{"type":"prospect","attributes":{},"relationships":{"boss":{"data":null}}}}',
      422,
    ],
    ['an empty body', 'POST', '/accounts', '', 422],
    ['a bad cursor', 'GET', '/prospects?page[after]=%%%', undefined, 400],
    ['an unknown action', 'POST', '/sequenceStates/1/actions/explode', '', 404],
    ['a mismatched id', 'PATCH', '/accounts/1', '{"data":{"type":"account","id":2,"attributes":{}}}', 422],
  ])('GIVEN %s WHEN sent THEN a JSON:API error, never a crash', async (_name, method, path, rawBody, status) => {
    const response = await api(sim, token, method, path, undefined, rawBody === undefined ? {} : { rawBody });
    expect(response.status).toBe(status);
    expect(Array.isArray(response.json.errors)).toBe(true);
  });

  test('GIVEN a body over the size limit WHEN posted THEN 413 and the simulator keeps serving', async () => {
    const response = await api(sim, token, 'POST', '/prospects', undefined, { rawBody: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(response.json.errors[0].id).toBe('requestEntityTooLarge');
    expect((await api(sim, token, 'GET', '/mailboxes')).status).toBe(200);
  });
});
