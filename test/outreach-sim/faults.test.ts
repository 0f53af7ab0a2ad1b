import { defaultConfig } from '../../local/outreach-sim/config';
import { decideFaults } from '../../local/outreach-sim/faults';

const NOW = 1_000_000;
const never = () => 0.99;

describe('fault decisions', () => {
  test('GIVEN an error burst of 2 WHEN three requests arrive THEN two fail and the count reaches zero', () => {
    const faults = { ...defaultConfig().faults, errorBurst: { status: 502 as const, count: 2 } };
    const statuses = [1, 2, 3].map(() => decideFaults(faults, NOW, never).errorStatus);
    expect(statuses).toEqual([502, 502, null]);
    expect(faults.errorBurst.count).toBe(0);
  });

  test('GIVEN resetNext 1 WHEN two requests arrive THEN only the first is reset', () => {
    const faults = { ...defaultConfig().faults, resetNext: 1 };
    expect(decideFaults(faults, NOW, never).reset).toBe('before');
    expect(decideFaults(faults, NOW, never).reset).toBeNull();
  });

  test('GIVEN a maintenance window WHEN a request arrives inside and after it THEN only the first is in maintenance', () => {
    const faults = { ...defaultConfig().faults, maintenance: { untilEpochMs: NOW + 5_000 } };
    expect(decideFaults(faults, NOW, never).maintenanceUntil).toBe(NOW + 5_000);
    expect(decideFaults(faults, NOW + 5_000, never).maintenanceUntil).toBeNull();
  });

  test('GIVEN latency, jitter and a certain slow response WHEN decided THEN the delays add up', () => {
    const faults = {
      ...defaultConfig().faults,
      latencyMs: 50,
      latencyJitterMs: 100,
      slowResponseMs: 1_000,
      slowRate: 1,
    };
    expect(decideFaults(faults, NOW, () => 0.5).delayMs).toBe(1_100);
  });
});
