import {
  applyConfigPatch,
  ConfigError,
  defaultConfig,
  deriveTimings,
  parseConfigPatch,
} from '../../local/outreach-sim/config';

describe('simulator config', () => {
  test('GIVEN a 2-second window WHEN timings are derived THEN Outreach durations shrink in proportion', () => {
    const config = applyConfigPatch(defaultConfig(), { windowSeconds: 2 }, 0);
    const timings = deriveTimings(config);
    expect(timings.windowMs).toBe(2000);
    expect(timings.accessTokenLifetimeMs).toBeCloseTo(4000);
    expect(timings.penaltyInitialWaitMs).toBeCloseTo(10_000 / 1800);
  });

  test('GIVEN an explicit time scale WHEN timings are derived THEN it wins over the window', () => {
    const config = applyConfigPatch(defaultConfig(), { windowSeconds: 2, timeScale: 1 }, 0);
    expect(deriveTimings(config).penaltyInitialWaitMs).toBe(10_000);
  });

  test('GIVEN an unknown key and a bad value WHEN parsed THEN both problems are reported', () => {
    expect.assertions(2);
    try {
      parseConfigPatch({ budgte: 5, retryAfter: 'soon' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toMatch(/budgte[\s\S]*retryAfter|retryAfter[\s\S]*budgte/);
    }
  });

  test('GIVEN a maintenance duration WHEN applied THEN it becomes an end time from now', () => {
    const config = applyConfigPatch(
      defaultConfig(),
      parseConfigPatch({ faults: { maintenance: { durationMs: 500 } } }),
      1000,
    );
    expect(config.faults.maintenance).toEqual({ untilEpochMs: 1500 });
  });

  test('GIVEN a nested patch WHEN applied THEN untouched settings of the group are kept', () => {
    const config = applyConfigPatch(defaultConfig(), { penalty: { enabled: true } }, 0);
    expect(config.penalty).toEqual({ enabled: true, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 });
  });
});
