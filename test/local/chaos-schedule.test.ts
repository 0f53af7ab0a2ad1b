/** The fault schedule and the tally of a chaos run: pure parts, checked without the pipeline. */
import { FAULT_KINDS, faultSchedule, ScheduleError } from '../../local/chaos/schedule';
import { tallyChaos } from '../../local/chaos/tally';
import type { SimulatorStats, UserStats } from '../../local/outreach-sim';

describe('fault schedule', () => {
  const options = { seed: 42, fromMs: 1_000, toMs: 20_000, simulatedMinuteMs: 5_000 };

  test('GIVEN a seed WHEN the schedule is drawn THEN every fault appears once, inside the window, ordered by start', () => {
    const schedule = faultSchedule(options);
    expect(schedule.map((fault) => fault.kind).sort()).toEqual([...FAULT_KINDS].sort());
    for (const fault of schedule) {
      expect(fault.atMs).toBeGreaterThanOrEqual(options.fromMs);
      expect(fault.atMs).toBeLessThanOrEqual(options.toMs);
    }
    expect(schedule.map((fault) => fault.atMs)).toEqual([...schedule.map((fault) => fault.atMs)].sort((a, b) => a - b));
  });

  test('GIVEN the same seed twice WHEN drawn THEN the same schedule; another seed gives other times', () => {
    expect(faultSchedule(options)).toEqual(faultSchedule(options));
    expect(faultSchedule({ ...options, seed: 43 })).not.toEqual(faultSchedule(options));
  });

  test("GIVEN a simulated minute of 5 s WHEN drawn THEN Outreach's faults last 5 s and DynamoDB's outage 10 s", () => {
    const byKind = new Map(faultSchedule(options).map((fault) => [fault.kind, fault]));
    expect(byKind.get('outreach-503')?.durationMs).toBe(5_000);
    expect(byKind.get('token-endpoint-down')?.durationMs).toBe(5_000);
    expect(byKind.get('dynamodb-stopped')?.durationMs).toBe(10_000);
  });

  test('GIVEN a window that ends before it starts WHEN drawn THEN it is refused naming both ends', () => {
    expect(() => faultSchedule({ ...options, fromMs: 5_000, toMs: 5_000 })).toThrow(ScheduleError);
    expect(() => faultSchedule({ ...options, fromMs: 5_000, toMs: 5_000 })).toThrow(/fromMs.*toMs/);
  });
});

describe('chaos tally', () => {
  const user = (overrides: Partial<UserStats>): UserStats =>
    ({ duplicatesCreated: 0, status429: 0, requests: 0, cooldowns: [], ...overrides }) as UserStats;
  const stats = (users: Record<string, UserStats>): SimulatorStats => ({ users }) as unknown as SimulatorStats;

  test('GIVEN intents succeeded, dead-lettered and unaccounted WHEN tallied THEN lost is enqueued minus the other two', () => {
    const tally = tallyChaos({
      enqueuedIds: ['a', 'b', 'c', 'd'],
      succeededIds: new Set(['a']),
      deadLettered: new Map([
        ['b', 'attempts-exhausted'],
        ['c', 'attempts-exhausted'],
      ]),
      stats: stats({}),
      users: [],
      longestCooldownWallMs: 0,
      timeScale: 1,
    });
    expect(tally).toMatchObject({ succeeded: 1, deadLettered: 2, lost: 1, lostIds: ['d'] });
    expect(tally.deadLetteredByReason).toEqual({ 'attempts-exhausted': 2 });
  });

  test("GIVEN penalty strikes and duplicates in Outreach's statistics WHEN tallied THEN they count per workload user only", () => {
    const strike = { reason: 'penalty' } as UserStats['cooldowns'][number];
    const budget = { reason: 'budget' } as UserStats['cooldowns'][number];
    const tally = tallyChaos({
      enqueuedIds: [],
      succeededIds: new Set(),
      deadLettered: new Map(),
      stats: stats({
        u1: user({ duplicatesCreated: 1, status429: 3, cooldowns: [strike, budget] }),
        seeder: user({ duplicatesCreated: 5, cooldowns: [strike] }),
      }),
      users: ['u1'],
      longestCooldownWallMs: 0,
      timeScale: 1,
    });
    expect(tally).toMatchObject({ createdTwice: 1, callsDuringCooldown: 1, status429: 3 });
  });

  test('GIVEN a cool-down of 10 wall seconds at time scale 12 WHEN tallied THEN the longest cool-down is 120 simulated seconds', () => {
    const tally = tallyChaos({
      enqueuedIds: [],
      succeededIds: new Set(),
      deadLettered: new Map(),
      stats: stats({}),
      users: [],
      longestCooldownWallMs: 10_000,
      timeScale: 12,
    });
    expect(tally.longestCooldownMs).toBe(120_000);
  });
});
