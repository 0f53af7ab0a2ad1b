import { parseIntent } from '../../lambdas/shared/intent';
import { resolveGateSettings } from '../../lib/settings';
import {
  buildScenario,
  gateSettingsInput,
  SCENARIO_NAMES,
  ScenarioError,
  SEED_USER,
  simulatorOptions,
} from '../../local/scenarios';

describe('scenarios', () => {
  it.each(SCENARIO_NAMES)(
    'GIVEN scenario %s WHEN built THEN every intent of its workload is a valid intent',
    (name) => {
      const scenario = buildScenario(name);
      const invalid = scenario.workload.flatMap(({ intent }) => {
        try {
          parseIntent({ v: 1, ...intent });
          return [];
        } catch (error) {
          return [`${intent.id}: ${(error as Error).message}`];
        }
      });
      expect({ intents: scenario.workload.length > 0, invalid }).toEqual({ intents: true, invalid: [] });
    },
  );

  it.each(SCENARIO_NAMES)(
    'GIVEN scenario %s WHEN built THEN intent ids are unique and enqueue times ascend',
    (name) => {
      const { workload } = buildScenario(name);
      const ids = workload.map(({ intent }) => intent.id);
      const times = workload.map(({ atMs }) => atMs);
      expect({
        uniqueIds: new Set(ids).size,
        ascending: times.every((t, i) => i === 0 || t >= (times[i - 1] as number)),
      }).toEqual({
        uniqueIds: ids.length,
        ascending: true,
      });
    },
  );

  it.each(SCENARIO_NAMES)('GIVEN scenario %s WHEN built twice with one seed THEN the workloads are equal', (name) => {
    expect(buildScenario(name, { seed: 7 })).toEqual(buildScenario(name, { seed: 7 }));
  });

  it('GIVEN two seeds WHEN building the demo THEN the workloads differ', () => {
    expect(buildScenario('demo', { seed: 1 }).workload).not.toEqual(buildScenario('demo', { seed: 2 }).workload);
  });

  it.each(SCENARIO_NAMES)('GIVEN scenario %s WHEN turned into settings THEN the stack accepts them', (name) => {
    const scenario = buildScenario(name);
    const settings = resolveGateSettings(gateSettingsInput(scenario));
    expect(settings.gate.budget.windowSeconds * 1000 * scenario.timeScale).toBe(3_600_000);
  });

  it('GIVEN the demo WHEN its workload is read THEN it has a bulk import, standard CRM changes and critical enrolments', () => {
    const { workload } = buildScenario('demo');
    const kinds = new Set(workload.map(({ intent }) => `${intent.lane}:${intent.operation.type}`));
    expect([...kinds].sort()).toEqual([
      'bulk:prospect.create',
      'critical:sequenceState.create',
      'standard:prospect.update',
      'standard:prospect.upsert',
    ]);
  });

  it('GIVEN a scenario WHEN its enrolments are read THEN each enrols a different seeded prospect', () => {
    const scenario = buildScenario('demo');
    const enrolled = scenario.workload.flatMap(({ intent }) =>
      intent.operation.type === 'sequenceState.create' ? [intent.operation.prospectId] : [],
    );
    expect({
      distinct: new Set(enrolled).size === enrolled.length,
      seeded: enrolled.every((id) => id >= 1 && id <= scenario.seedProspects),
    }).toEqual({ distinct: true, seeded: true });
  });

  it('GIVEN bulk-enrol WHEN built THEN one user has 20,000 bulk enrolments of distinct seeded prospects into sequence 1 from mailbox 1, beside a trickle', () => {
    const scenario = buildScenario('bulk-enrol');
    const bulk = scenario.workload.flatMap(({ intent }) =>
      intent.lane === 'bulk' && intent.operation.type === 'sequenceState.create' ? [intent.operation] : [],
    );
    const kinds = new Set(scenario.workload.map(({ intent }) => `${intent.lane}:${intent.operation.type}`));
    expect({
      users: scenario.settings.users,
      bulk: bulk.length,
      distinctProspects: new Set(bulk.map((op) => op.prospectId)).size,
      seeded: bulk.every((op) => op.prospectId >= 1 && op.prospectId <= scenario.seedProspects),
      sequenceAndMailbox: [...new Set(bulk.map((op) => `${op.sequenceId}/${op.mailboxId}`))],
      kinds: [...kinds].sort(),
      budgetPerWindow: scenario.settings.budgetPerWindow,
    }).toEqual({
      users: ['u1'],
      bulk: 20_000,
      distinctProspects: 20_000,
      seeded: true,
      sequenceAndMailbox: ['1/1'],
      kinds: [
        'bulk:sequenceState.create',
        'critical:sequenceState.create',
        'standard:prospect.update',
        'standard:prospect.upsert',
      ],
      budgetPerWindow: 10_000,
    });
  });

  it('GIVEN a scenario WHEN its simulator options are read THEN the simulator creates its seed prospects', () => {
    const scenario = buildScenario('bulk-enrol');
    expect(simulatorOptions(scenario).resources?.seedProspects).toBe(scenario.seedProspects);
  });

  it('GIVEN users and a time scale WHEN building THEN the workload spreads over those users and the window is compressed', () => {
    const scenario = buildScenario('many-users', { users: ['a', 'b'], timeScale: 60 });
    expect({
      users: [...new Set(scenario.workload.map(({ intent }) => intent.user))].sort(),
      windowSeconds: gateSettingsInput(scenario).budgetWindowSeconds,
      simulatorUsers: simulatorOptions(scenario).users,
    }).toEqual({ users: ['a', 'b'], windowSeconds: 60, simulatorUsers: ['a', 'b', SEED_USER] });
  });

  it.each([
    ['an unknown name', 'nope', {}, 'unknown scenario "nope"'],
    ['a time scale below 1', 'demo', { timeScale: 0.5 }, 'timeScale must be a number ≥ 1'],
    ['no users', 'demo', { users: [] }, 'users must name at least one'],
    ['the seeding user', 'demo', { users: [SEED_USER] }, `must not include "${SEED_USER}"`],
    ['a user twice', 'demo', { users: ['u1', 'u1'] }, 'lists a user twice'],
  ] as const)('GIVEN %s WHEN building THEN a ScenarioError says so', (_case, name, options, message) => {
    expect(() => buildScenario(name, options)).toThrow(
      expect.objectContaining({ name: ScenarioError.name, message: expect.stringContaining(message) }),
    );
  });
});
