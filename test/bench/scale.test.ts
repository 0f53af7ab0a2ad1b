import { ScaleError, scaleScenario } from '../../bench/scale';
import { buildScenario } from '../../local/scenarios';

describe('scaleScenario', () => {
  const full = buildScenario('seed-002');
  const quick = scaleScenario(full, 8);

  it('GIVEN a factor of 8 WHEN scaled THEN the budget is an eighth and time runs 8 times faster', () => {
    expect([quick.settings.budgetPerWindow, quick.timeScale]).toEqual([
      full.settings.budgetPerWindow / 8,
      full.timeScale * 8,
    ]);
  });

  it('GIVEN a factor of 8 WHEN scaled THEN each producer keeps every 8th intent of each lane and user', () => {
    const count = (items: typeof full.workload, producer: string) =>
      items.filter((item) => item.producer === producer).length;
    expect(count(quick.workload, 'producer-a')).toBe(Math.ceil(count(full.workload, 'producer-a') / 8));
  });

  it('GIVEN kept intents that use seed prospects WHEN scaled THEN those prospects are renumbered 1…n', () => {
    const ids = new Set<number>();
    for (const { intent } of quick.workload) {
      const op = intent.operation;
      if (op.type === 'prospect.update' || op.type === 'sequenceState.create') ids.add(op.prospectId);
      if (op.type === 'prospect.upsert') {
        const match = /^seed-(\d+)@example\.com$/.exec(op.email);
        if (match) ids.add(Number(match[1]));
      }
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: quick.seedProspects }, (_, i) => i + 1));
  });

  it('GIVEN an import interleaving four users WHEN scaled THEN each user keeps its share', () => {
    const many = buildScenario('many-users');
    const scaled = scaleScenario(many, 8);
    const bulkOf = (items: typeof many.workload, user: string) =>
      items.filter((item) => item.intent.user === user && item.intent.lane === 'bulk').length;
    expect(many.settings.users.map((user) => bulkOf(scaled.workload, user))).toEqual(
      many.settings.users.map((user) => Math.ceil(bulkOf(many.workload, user) / 8)),
    );
  });

  it('GIVEN a factor of 1 WHEN scaled THEN the scenario is unchanged', () => {
    expect(scaleScenario(full, 1)).toBe(full);
  });

  it.each([0, 2.5, -3])('GIVEN a factor of %p WHEN scaled THEN a ScaleError names the factor', (factor) => {
    expect(() => scaleScenario(full, factor)).toThrow(
      new ScaleError(`factor must be a whole number ≥ 1, got ${factor}`),
    );
  });

  it('GIVEN bulk-enrol WHEN scaled by 8 THEN 2,500 bulk enrolments remain, each of a different seed prospect 1…n', () => {
    const scaled = scaleScenario(buildScenario('bulk-enrol'), 8);
    const enrolled = scaled.workload.flatMap(({ intent }) =>
      intent.lane === 'bulk' && intent.operation.type === 'sequenceState.create' ? [intent.operation.prospectId] : [],
    );
    expect({
      bulkEnrolments: enrolled.length,
      distinct: new Set(enrolled).size,
      withinSeeds: enrolled.every((id) => id >= 1 && id <= scaled.seedProspects),
    }).toEqual({ bulkEnrolments: 2500, distinct: 2500, withinSeeds: true });
  });
});
