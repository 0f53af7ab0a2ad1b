/** Contract items 10 and 11: resources, cursor pages, sparse fieldsets, look-ups, enrolment, batches, duplicates. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken, api, enrolBody, ManualClock, prospectBody, startSim } from './helpers';

describe('resources', () => {
  let sim: RunningSimulator;
  let token: string;
  const clock = new ManualClock();

  beforeEach(async () => {
    sim = await startSim({ users: ['u1'], now: clock.now, resources: { seedSequences: 2, seedMailboxes: 1 } });
    token = await accessToken(sim);
  });
  afterEach(() => sim.stop());

  async function createProspect(email: string): Promise<number> {
    const response = await api(sim, token, 'POST', '/prospects', prospectBody(email));
    expect(response.status).toBe(201);
    return response.json.data.id as number;
  }

  test('GIVEN start-up seeds WHEN listing sequences and mailboxes THEN they exist for enrolment', async () => {
    const sequences = await api(sim, token, 'GET', '/sequences');
    const mailboxes = await api(sim, token, 'GET', '/mailboxes');
    expect(sequences.json.data.map((resource: { id: number }) => resource.id)).toEqual([1, 2]);
    expect(mailboxes.json.data).toHaveLength(1);
    expect((await api(sim, token, 'GET', '/accounts')).json.data).toHaveLength(3);
  });

  test('GIVEN seedProspects WHEN the simulator starts THEN prospects 1…n exist with their seed e-mails, no budget spent', async () => {
    const seeded = await startSim({ users: ['u1'], now: clock.now, resources: { seedProspects: 3 } });
    try {
      const seededToken = await accessToken(seeded);
      const listed = await api(seeded, seededToken, 'GET', '/prospects');
      expect(
        listed.json.data.map((p: { id: number; attributes: { emails: string[] } }) => [p.id, p.attributes.emails]),
      ).toEqual([
        [1, ['seed-1@example.com']],
        [2, ['seed-2@example.com']],
        [3, ['seed-3@example.com']],
      ]);
      expect(seeded.stats().users.u1?.requests).toBe(1);
    } finally {
      await seeded.stop();
    }
  });

  test('GIVEN a prospect WHEN read back and patched THEN the update is visible', async () => {
    const id = await createProspect('patch@example.com');
    const patched = await api(sim, token, 'PATCH', `/prospects/${id}`, {
      data: { type: 'prospect', id, attributes: { title: 'CTO' } },
    });
    expect(patched.status).toBe(200);
    const read = await api(sim, token, 'GET', `/prospects/${id}`);
    expect(read.json.data.attributes).toMatchObject({ firstName: 'Ada', title: 'CTO', emails: ['patch@example.com'] });
  });

  test('GIVEN 5 prospects WHEN listed 2 per page THEN links.next carries page[after] until the last page', async () => {
    for (let i = 0; i < 5; i += 1) await createProspect(`page${i}@example.com`);
    const ids: number[] = [];
    let path: string | null = '/prospects?page[size]=2';
    let pages = 0;
    while (path) {
      const response = await api(sim, token, 'GET', path);
      expect(response.status).toBe(200);
      ids.push(...response.json.data.map((resource: { id: number }) => resource.id));
      const next: string | undefined = response.json.links?.next;
      if (next) expect(next).toMatch(/page\[after\]=[A-Za-z0-9_-]+/);
      path = next ? next.slice(sim.apiBaseUrl.length) : null;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  test('GIVEN a page size over 1000 WHEN listing THEN 400 naming page[size]', async () => {
    const response = await api(sim, token, 'GET', '/prospects?page[size]=1001');
    expect(response.status).toBe(400);
    expect(response.json.errors[0].source).toEqual({ parameter: 'page[size]' });
  });

  test('GIVEN a sparse fieldset WHEN reading THEN only the named attributes are returned', async () => {
    const id = await createProspect('sparse@example.com');
    const response = await api(sim, token, 'GET', `/prospects/${id}?fields[prospect]=emails`);
    expect(response.json.data.attributes).toEqual({ emails: ['sparse@example.com'] });
  });

  test('GIVEN prospects WHEN looked up with filter[emails] THEN only the matching one is returned', async () => {
    await createProspect('first@example.com');
    const id = await createProspect('second@example.com');
    const response = await api(
      sim,
      token,
      'GET',
      '/prospects?filter[emails]=SECOND@example.com&fields[prospect]=firstName',
    );
    expect(response.json.data).toEqual([
      expect.objectContaining({ type: 'prospect', id, attributes: { firstName: 'Ada' } }),
    ]);
  });

  test('GIVEN a prospect WHEN enrolled THEN the sequence state can be read back by prospect and sequence', async () => {
    const id = await createProspect('enrol@example.com');
    const created = await api(sim, token, 'POST', '/sequenceStates', enrolBody(id, 2));
    expect(created.status).toBe(201);
    expect(created.json.data.attributes.state).toBe('active');
    const found = await api(sim, token, 'GET', `/sequenceStates?filter[prospect][id]=${id}&filter[sequence][id]=2`);
    expect(found.json.data).toHaveLength(1);
    expect(found.json.data[0].relationships.mailbox.data).toEqual({ type: 'mailbox', id: 1 });
  });

  test('GIVEN a sequence state WHEN paused and finished THEN its state follows', async () => {
    const id = await createProspect('actions@example.com');
    const state = (await api(sim, token, 'POST', '/sequenceStates', enrolBody(id))).json.data.id;
    expect((await api(sim, token, 'POST', `/sequenceStates/${state}/actions/pause`)).json.data.attributes.state).toBe(
      'paused',
    );
    expect((await api(sim, token, 'POST', `/sequenceStates/${state}/actions/finish`)).json.data.attributes.state).toBe(
      'finished',
    );
  });

  test('GIVEN an enrolment with a missing mailbox WHEN posted THEN 422 pointing at the relationship', async () => {
    const id = await createProspect('nomailbox@example.com');
    const body = enrolBody(id);
    const { mailbox: _mailbox, ...relationships } = body.data.relationships;
    const response = await api(sim, token, 'POST', '/sequenceStates', { data: { ...body.data, relationships } });
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/relationships/mailbox' });
  });

  test('GIVEN the same prospect is posted twice WHEN created THEN two prospects exist and one duplicate is counted', async () => {
    const first = await createProspect('twice@example.com');
    const second = await createProspect('Twice@Example.com');
    expect(second).not.toBe(first);
    expect(sim.stats().users.u1).toMatchObject({ duplicatesCreated: 1, duplicatesByType: { prospect: 1 } });
  });

  test('GIVEN an active enrolment WHEN the same enrolment is posted again THEN a second state is created and counted', async () => {
    const id = await createProspect('double@example.com');
    await api(sim, token, 'POST', '/sequenceStates', enrolBody(id));
    expect((await api(sim, token, 'POST', '/sequenceStates', enrolBody(id))).status).toBe(201);
    expect(sim.stats().total).toMatchObject({ duplicatesCreated: 1, duplicatesByType: { sequenceState: 1 } });
  });

  test('GIVEN duplicateSequenceState reject WHEN the same enrolment is posted again THEN 422 and a refused duplicate', async () => {
    sim.configure({ resources: { duplicateSequenceState: 'reject' } });
    const id = await createProspect('reject@example.com');
    await api(sim, token, 'POST', '/sequenceStates', enrolBody(id));
    const second = await api(sim, token, 'POST', '/sequenceStates', enrolBody(id));
    expect(second.status).toBe(422);
    expect(second.json.errors[0].id).toBe('validationError');
    expect(sim.stats().users.u1).toMatchObject({ duplicatesCreated: 0, duplicatesRefused: 1 });
  });

  test('GIVEN a prospectsAddToSequence batch WHEN polled over time THEN it goes pending, processing, finished', async () => {
    const ids = [await createProspect('b1@example.com'), await createProspect('b2@example.com'), 9999];
    const created = await api(sim, token, 'POST', '/batches/actions/prospectsAddToSequence', {
      data: { type: 'batch', attributes: { ids, sequenceId: 1, mailboxId: 1 } },
    });
    expect(created.status).toBe(200);
    const batchId = created.json.data.id;
    const poll = async () => (await api(sim, token, 'GET', `/batches/${batchId}`)).json.data.attributes;
    expect(await poll()).toMatchObject({ state: 'pending', total: 3, pending: 3, failures: 0 });
    clock.advance(2_000 + 200);
    expect(await poll()).toMatchObject({ state: 'processing', pending: 2 });
    clock.advance(1_000);
    expect(await poll()).toMatchObject({ state: 'finished', pending: 0, failures: 1 });
    const states = await api(sim, token, 'GET', '/sequenceStates?filter[sequence][id]=1');
    expect(states.json.data).toHaveLength(2);
  });

  test('GIVEN a bulk action without ids or filter WHEN posted THEN it applies to every prospect and is reported', async () => {
    await createProspect('all1@example.com');
    await createProspect('all2@example.com');
    const created = await api(sim, token, 'POST', '/batches/actions/prospectsAddToSequence', {
      data: { type: 'batch', attributes: { sequenceId: 1, mailboxId: 1 } },
    });
    expect(created.json.data.attributes.total).toBe(2);
    expect(sim.stats().users.u1?.unfilteredBulkActions).toBe(1);
  });

  test('GIVEN a batch naming a sequence that does not exist WHEN posted THEN 422 at sequenceId', async () => {
    const response = await api(sim, token, 'POST', '/batches/actions/prospectsAddToSequence', {
      data: { type: 'batch', attributes: { ids: [1], sequenceId: 77, mailboxId: 1 } },
    });
    expect(response.status).toBe(422);
    expect(response.json.errors[0].source).toEqual({ pointer: '/data/attributes/sequenceId' });
  });
});
