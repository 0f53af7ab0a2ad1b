/** Calls made while a cool-down a 429 announced is in force, counted from the real simulator's statistics. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { callsDuringCooldown } from '../../local/run';
import { injectsFaults } from '../../local/scenarios';
import { accessToken, api, ManualClock, startSim } from '../outreach-sim/helpers';

describe('callsDuringCooldown', () => {
  const clock = new ManualClock();
  let sim: RunningSimulator | undefined;
  afterEach(() => sim?.stop());

  /** A user with a budget of one request makes `calls` requests at one instant. */
  async function spend(calls: number, penalty: boolean): Promise<RunningSimulator> {
    sim = await startSim({ users: ['u1'], budget: 1, now: clock.now, penalty: { enabled: penalty } });
    const token = await accessToken(sim);
    for (let n = 0; n < calls; n += 1) await api(sim, token, 'GET', '/prospects');
    return sim;
  }

  it.each([true, false])(
    'GIVEN penalty mode %p and two calls after the 429 that started the cool-down WHEN counted THEN both count',
    async (penalty) => {
      // One served, one refused for the spent budget (the cool-down starts), then two made during it.
      const running = await spend(4, penalty);
      expect(callsDuringCooldown(running.stats(), ['u1'])).toBe(2);
    },
  );

  it('GIVEN calls within the budget only WHEN counted THEN none was made during a cool-down', async () => {
    const running = await spend(1, true);
    expect(callsDuringCooldown(running.stats(), ['u1'])).toBe(0);
  });

  it('GIVEN an Outreach without statistics WHEN counted THEN it is not measured (null)', () => {
    expect(callsDuringCooldown(undefined, ['u1'])).toBeNull();
  });
});

describe('injectsFaults', () => {
  it('GIVEN latency only WHEN asked THEN the scenario injects no faults', () => {
    expect(injectsFaults({ simulator: { faults: { latencyMs: 150, latencyJitterMs: 50 } } })).toBe(false);
  });

  it('GIVEN a 5xx rate beside the latency WHEN asked THEN the scenario injects faults', () => {
    expect(injectsFaults({ simulator: { faults: { latencyMs: 150, errorRate: 0.03 } } })).toBe(true);
  });
});
