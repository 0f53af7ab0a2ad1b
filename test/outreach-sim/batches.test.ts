/** Bulk actions over HTTP: batches, their items and outcomes, paging, bad bodies, and what they cost against the limit. */
import type { RunningSimulator, SimulatorStartOptions } from '../../local/outreach-sim';
import { type ApiResponse, accessToken, api, enrolBody, ManualClock, prospectBody, startSim } from './helpers';

const ADD_TO_SEQUENCE = '/batches/actions/prospectsAddToSequence';
const addToSequence = (ids: unknown, extra: Record<string, unknown> = {}) => ({
  data: { type: 'batch', attributes: { ids, sequenceId: 1, mailboxId: 1, ...extra } },
});

describe('bulk actions', () => {
  let sim: RunningSimulator;
  let token: string;
  let clock: ManualClock;

  async function start(options: SimulatorStartOptions = {}): Promise<void> {
    clock = new ManualClock();
    sim = await startSim({
      users: ['u1'],
      now: clock.now,
      resources: { seedSequences: 2, seedMailboxes: 1 },
      ...options,
    });
    token = await accessToken(sim);
  }

  beforeEach(() => start());
  afterEach(() => sim.stop());

  async function prospects(count: number, prefix = 'p'): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const response = await api(sim, token, 'POST', '/prospects', prospectBody(`${prefix}${i}@example.com`));
      expect(response.status).toBe(201);
      ids.push(response.json.data.id as number);
    }
    return ids;
  }

  /** Polls the batch, moving the clock on by `stepMs` before each poll, until it is finished; returns the polls made. */
  async function pollUntilFinished(batchId: number, stepMs = 500): Promise<{ polls: number; last: ApiResponse }> {
    for (let polls = 1; polls <= 100; polls += 1) {
      clock.advance(stepMs);
      const last = await api(sim, token, 'GET', `/batches/${batchId}`);
      expect(last.status).toBe(200);
      if (last.json.data.attributes.state === 'finished') return { polls, last };
    }
    throw new Error(`batch ${batchId} did not finish`);
  }

  async function itemsOf(batchId: number): Promise<ApiResponse> {
    const response = await api(sim, token, 'GET', `/batchItems?filter[batch][id]=${batchId}&page[size]=1000`);
    expect(response.status).toBe(200);
    return response;
  }

  test('GIVEN 5 prospects WHEN added to a sequence in one action THEN a pending JSON:API batch of 5 is answered', async () => {
    const ids = await prospects(5);
    const created = await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids));
    expect(created.status).toBe(200);
    expect(created.json.data).toMatchObject({
      type: 'batch',
      id: expect.any(Number),
      attributes: { action: 'prospectsAddToSequence', state: 'pending', total: 5, pending: 5, failures: 0 },
      links: { self: `${sim.apiBaseUrl}/batches/${created.json.data.id}` },
    });
    expect(created.json.data.relationships.batchItems.links.related).toBe(
      `${sim.apiBaseUrl}/batchItems?filter[batch][id]=${created.json.data.id}`,
    );
  });

  test('GIVEN a batch of 5 WHEN polled until finished THEN every item names the sequence state it created', async () => {
    const ids = await prospects(5);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    const { last } = await pollUntilFinished(batchId);
    expect(last.json.data.attributes).toMatchObject({ state: 'finished', total: 5, pending: 0, failures: 0 });
    const items = (await itemsOf(batchId)).json.data;
    expect(items).toHaveLength(5);
    for (const [index, item] of items.entries()) {
      expect(item.attributes).toMatchObject({ batchId, state: 'finished', failed: false, info: null });
      expect(item.relationships.prospect.data).toEqual({ type: 'prospect', id: ids[index] });
      const state = await api(sim, token, 'GET', `/sequenceStates/${item.relationships.sequenceState.data.id}`);
      expect(state.json.data.relationships.prospect.data).toEqual({ type: 'prospect', id: ids[index] });
    }
  });

  test('GIVEN a batch WHEN its start delay has not passed THEN no item has run and no sequence state exists', async () => {
    const ids = await prospects(3);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    clock.advance(1_999);
    expect((await api(sim, token, 'GET', `/batches/${batchId}`)).json.data.attributes.state).toBe('pending');
    expect(
      (await itemsOf(batchId)).json.data.map((item: { attributes: { state: string } }) => item.attributes.state),
    ).toEqual(['pending', 'pending', 'pending']);
    expect((await api(sim, token, 'GET', '/sequenceStates')).json.data).toHaveLength(0);
  });

  test('GIVEN a time scale of 0.01 WHEN 25 ms pass THEN the 20 ms start delay is over and items run', async () => {
    await sim.stop();
    await start({ windowSeconds: 36, batches: { secondsPerItem: 0 } });
    const ids = await prospects(2);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    clock.advance(25);
    expect((await api(sim, token, 'GET', `/batches/${batchId}`)).json.data.attributes).toMatchObject({
      state: 'finished',
      pending: 0,
    });
  });

  test('GIVEN a missing prospect among the ids WHEN the batch runs THEN only its item fails, with Outreach’s error', async () => {
    const ids = await prospects(2);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence([ids[0], 9999, ids[1]]))).json.data
      .id;
    const { last } = await pollUntilFinished(batchId);
    expect(last.json.data.attributes).toMatchObject({ total: 3, failures: 1 });
    const [first, missing, third] = (await itemsOf(batchId)).json.data;
    expect([first.attributes.failed, third.attributes.failed]).toEqual([false, false]);
    expect(missing.attributes).toMatchObject({
      failed: true,
      state: 'finished',
      info: "Could not find 'prospect' with ID '9999'.",
    });
    expect(missing.meta.errors).toEqual([
      expect.objectContaining({
        id: 'validationError',
        title: 'Validation Error',
        detail: "Could not find 'prospect' with ID '9999'.",
      }),
    ]);
    expect(missing.relationships.sequenceState).toBeUndefined();
    expect((await api(sim, token, 'GET', '/sequenceStates')).json.data).toHaveLength(2);
  });

  test('GIVEN duplicates refused and a prospect already enrolled WHEN it is in a batch THEN its item fails as a duplicate', async () => {
    sim.configure({ resources: { duplicateSequenceState: 'reject' } });
    const ids = await prospects(2);
    await api(sim, token, 'POST', '/sequenceStates', enrolBody(ids[0] as number));
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    await pollUntilFinished(batchId);
    const [duplicate, fresh] = (await itemsOf(batchId)).json.data;
    expect(duplicate.meta.errors[0]).toMatchObject({
      id: 'validationError',
      detail: `Prospect ${ids[0]} is already active in sequence 1.`,
    });
    expect(fresh.attributes.failed).toBe(false);
    expect(sim.stats().users.u1).toMatchObject({ duplicatesCreated: 0, duplicatesRefused: 1 });
  });

  test('GIVEN duplicates allowed and a prospect already enrolled WHEN it is in a batch THEN a second state is counted as created twice', async () => {
    const [id] = await prospects(1);
    await api(sim, token, 'POST', '/sequenceStates', enrolBody(id as number));
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence([id]))).json.data.id;
    await pollUntilFinished(batchId);
    expect(sim.stats().users.u1).toMatchObject({ duplicatesCreated: 1, duplicatesByType: { sequenceState: 1 } });
  });

  test('GIVEN a batch of 5 WHEN its items are read 2 per page THEN links.next leads through all 5 in order', async () => {
    const ids = await prospects(5);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    const seen: number[] = [];
    let next: string | undefined = `/batchItems?filter[batch][id]=${batchId}&page[size]=2`;
    let pages = 0;
    while (next) {
      const page: ApiResponse = await api(sim, token, 'GET', next);
      pages += 1;
      for (const item of page.json.data) seen.push(item.relationships.prospect.data.id);
      next = page.json.links.next?.slice(sim.apiBaseUrl.length);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  test('GIVEN a batch, 3 polls and an item read WHEN the budget is read THEN each request cost one, whatever the batch size', async () => {
    const ids = await prospects(20);
    const before = sim.stats().users.u1?.budget.remaining as number;
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    for (let i = 0; i < 3; i += 1) await api(sim, token, 'GET', `/batches/${batchId}`);
    await itemsOf(batchId);
    expect(sim.stats().users.u1?.budget.remaining).toBe(before - 5);
  });

  test('GIVEN a batch polled until finished WHEN the requests are counted THEN they are the action plus the polls', async () => {
    const ids = await prospects(10);
    const requestsBefore = sim.stats().users.u1?.requests as number;
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    const { polls, last } = await pollUntilFinished(batchId, 700);
    expect(sim.stats().users.u1?.requests).toBe(requestsBefore + 1 + polls);
    expect(Number(last.headers.get('x-ratelimit-remaining'))).toBe(sim.stats().users.u1?.budget.remaining);
  });

  test('GIVEN a spent budget WHEN a bulk action is posted THEN 429 and no batch or sequence state is made', async () => {
    await sim.stop();
    await start({ budget: 3 });
    const ids = await prospects(2);
    await api(sim, token, 'GET', '/sequences');
    const refused = await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids));
    expect(refused.status).toBe(429);
    expect(refused.json.errors[0].id).toBe('rateLimitExceeded');
    clock.advance(3_600_000);
    expect((await api(sim, token, 'GET', '/batches')).json.data).toEqual([]);
    expect((await api(sim, token, 'GET', '/sequenceStates')).json.data).toEqual([]);
  });

  test('GIVEN a batch WHEN the user is cooling down THEN a poll is refused with 429 like any request', async () => {
    await sim.stop();
    await start({ budget: 4, penalty: { enabled: true } });
    const ids = await prospects(2);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    await api(sim, token, 'GET', `/batches/${batchId}`);
    const refused = await api(sim, token, 'GET', `/batches/${batchId}`);
    expect(refused.status).toBe(429);
    expect(sim.stats().users.u1?.cooldownUntil).not.toBeNull();
  });

  test('GIVEN a running batch WHEN it is canceled THEN the items not yet run are canceled and enrol nobody', async () => {
    const ids = await prospects(5);
    const batchId = (await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids))).json.data.id;
    clock.advance(2_000 + 2 * 200);
    const canceled = await api(sim, token, 'POST', `/batches/${batchId}/actions/cancel`);
    expect(canceled.json.data.attributes.state).toBe('canceled');
    clock.advance(10_000);
    const states = (await itemsOf(batchId)).json.data.map(
      (item: { attributes: { state: string } }) => item.attributes.state,
    );
    expect(states).toEqual(['finished', 'finished', 'canceled', 'canceled', 'canceled']);
    expect((await api(sim, token, 'GET', '/sequenceStates')).json.data).toHaveLength(2);
  });

  test('GIVEN prospects WHEN prospectsAddTags runs THEN each prospect has the tags added to its own', async () => {
    const [tagged] = await prospects(1);
    await api(sim, token, 'PATCH', `/prospects/${tagged}`, {
      data: { type: 'prospect', id: tagged, attributes: { tags: ['old'] } },
    });
    const created = await api(sim, token, 'POST', '/batches/actions/prospectsAddTags', {
      data: { type: 'batch', attributes: { ids: [tagged], tags: ['vip'] } },
    });
    await pollUntilFinished(created.json.data.id);
    expect((await api(sim, token, 'GET', `/prospects/${tagged}`)).json.data.attributes.tags).toEqual(['old', 'vip']);
  });

  test('GIVEN an enrolled prospect WHEN prospectsFinishAll runs THEN its sequence state is finished', async () => {
    const [id] = await prospects(1);
    const state = await api(sim, token, 'POST', '/sequenceStates', enrolBody(id as number));
    const created = await api(sim, token, 'POST', '/batches/actions/prospectsFinishAll', {
      data: { type: 'batch', attributes: { ids: [id] } },
    });
    await pollUntilFinished(created.json.data.id);
    const read = await api(sim, token, 'GET', `/sequenceStates/${state.json.data.id}`);
    expect(read.json.data.attributes.state).toBe('finished');
  });

  test.each([
    ['no data object', { nope: 1 }, '/data'],
    ['no attributes', { data: { type: 'batch' } }, '/data/attributes'],
    ['ids not a list', addToSequence(7), '/data/attributes/ids'],
    ['an id that is not an integer', addToSequence([1, 'x']), '/data/attributes/ids/1'],
    ['no sequenceId', { data: { attributes: { ids: [1], mailboxId: 1 } } }, '/data/attributes/sequenceId'],
    ['a sequence that does not exist', addToSequence([1], { sequenceId: 77 }), '/data/attributes/sequenceId'],
    ['a mailbox that does not exist', addToSequence([1], { mailboxId: 9 }), '/data/attributes/mailboxId'],
    ['an unknown attribute', addToSequence([1], { colour: 'red' }), '/data/attributes/colour'],
  ])(
    'GIVEN a body with %s WHEN the action is posted THEN 422 at the bad member and no batch is made',
    async (_what, body, pointer) => {
      const response = await api(sim, token, 'POST', ADD_TO_SEQUENCE, body);
      expect(response.status).toBe(422);
      expect(response.json.errors[0]).toMatchObject({ id: 'validationError', source: { pointer } });
      expect((await api(sim, token, 'GET', '/batches')).json.data).toEqual([]);
    },
  );

  test('GIVEN malformed JSON WHEN the action is posted THEN 400 badRequest', async () => {
    const response = await api(sim, token, 'POST', ADD_TO_SEQUENCE, undefined, { rawBody: '{"data":' });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].id).toBe('badRequest');
  });

  test('GIVEN an action Outreach does not have WHEN posted THEN 404 naming the path', async () => {
    const response = await api(sim, token, 'POST', '/batches/actions/prospectsTeleport', addToSequence([1]));
    expect(response.status).toBe(404);
    expect(response.json.errors[0].detail).toContain('/batches/actions/prospectsTeleport');
  });

  test('GIVEN the action path WHEN read with GET THEN 405', async () => {
    expect((await api(sim, token, 'GET', ADD_TO_SEQUENCE)).status).toBe(405);
  });

  test('GIVEN a token without batches.write WHEN the action is posted THEN 403 unauthorizedOauthScope', async () => {
    await sim.stop();
    await start({ oauth: { scopes: { u1: ['prospects.all', 'batches.read'] } } });
    const response = await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence([1]));
    expect(response.status).toBe(403);
    expect(response.json.errors[0].id).toBe('unauthorizedOauthScope');
  });

  test('GIVEN a batch item id that does not exist WHEN read THEN 404 resourceNotFound', async () => {
    const response = await api(sim, token, 'GET', '/batchItems/42');
    expect(response.status).toBe(404);
    expect(response.json.errors[0]).toMatchObject({
      id: 'resourceNotFound',
      detail: "Could not find 'batchItem' with ID '42'.",
    });
  });

  test('GIVEN an unsupported batch item filter WHEN listed THEN 400 naming the filter', async () => {
    const response = await api(sim, token, 'GET', '/batchItems?filter[colour]=red');
    expect(response.status).toBe(400);
    expect(response.json.errors[0].source).toEqual({ parameter: 'filter[colour]' });
  });

  test('GIVEN unlisted prospects WHEN a finished batch’s items are listed THEN their items are left out and the others are listed', async () => {
    const ids = await prospects(3, 'unlisted');
    sim.configure({ batches: { unlistedProspects: [ids[1] as number] } });
    const created = await api(sim, token, 'POST', ADD_TO_SEQUENCE, addToSequence(ids));
    await pollUntilFinished(created.json.data.id as number);
    const listed = await itemsOf(created.json.data.id as number);
    expect(
      (listed.json.data as Array<{ attributes: { data: string } }>).map((item) => JSON.parse(item.attributes.data).id),
    ).toEqual([ids[0], ids[2]]);
  });
});
