import { resolveGateSettings } from '../../lib/settings';

describe('resolveGateSettings: coalescing of bulk enrolments', () => {
  it('GIVEN nothing THEN coalescing is on, with 100 per batch, a 2 s window and a 129 s park (60 s timeout)', () => {
    const settings = resolveGateSettings();
    expect({ timeout: settings.dispatcherTimeoutSeconds, coalescing: settings.gate.coalescing }).toEqual({
      timeout: 60,
      coalescing: { enabled: true, maxSize: 100, maxAgeMs: 2000, parkMs: 129_000 },
    });
  });

  it('GIVEN coalescing turned off THEN the dispatcher timeout defaults to 30 s', () => {
    expect(resolveGateSettings({ coalescing: { enabled: false } }).dispatcherTimeoutSeconds).toBe(30);
  });

  it('GIVEN a dispatcher timeout too short for a bulk action and no word on coalescing THEN coalescing is off', () => {
    expect(resolveGateSettings({ dispatcherTimeoutSeconds: 30 }).gate.coalescing?.enabled).toBe(false);
  });

  it('GIVEN a dispatcher timeout just long enough for a bulk action THEN coalescing is on', () => {
    // 1 s to start, the 2 s window, then 12 s POST + 3 s first poll + 12 s read + 24 s to stop (10 s upstream timeout).
    expect(resolveGateSettings({ dispatcherTimeoutSeconds: 54 }).gate.coalescing?.enabled).toBe(true);
  });

  it('GIVEN coalescing asked for with a dispatcher timeout too short to follow a bulk action THEN synthesis stops naming both', () => {
    expect(() => resolveGateSettings({ dispatcherTimeoutSeconds: 53, coalescing: { enabled: true } })).toThrow(
      'coalescing needs a dispatcher timeout of at least 54 s with upstreamTimeoutMs 10000, coalescing.maxAgeMs 2000 and coalescing.maxSize 100',
    );
  });

  it('GIVEN a shorter upstream timeout THEN coalescing fits a 30 s dispatcher timeout', () => {
    expect(
      resolveGateSettings({ dispatcherTimeoutSeconds: 30, upstreamTimeoutMs: 3000 }).gate.coalescing?.enabled,
    ).toBe(true);
  });

  it('GIVEN a 4 s dispatcher timeout THEN the default window shrinks to fit it', () => {
    expect(
      resolveGateSettings({ dispatcherTimeoutSeconds: 4, upstreamTimeoutMs: 1000 }).gate.coalescing?.maxAgeMs,
    ).toBe(1000);
  });

  it('GIVEN coalescing turned off THEN the configuration says so', () => {
    expect(resolveGateSettings({ coalescing: { enabled: false } }).gate.coalescing?.enabled).toBe(false);
  });

  it('GIVEN a batch size the forming item cannot hold THEN synthesis stops naming it', () => {
    expect(() => resolveGateSettings({ coalescing: { maxSize: 500 } })).toThrow(
      'coalescing.maxSize must be an integer from 1 to 106, got 500',
    );
  });

  it('GIVEN a park shorter than a runner can live THEN synthesis stops naming it and the minimum', () => {
    expect(() => resolveGateSettings({ coalescing: { parkMs: 10_000 } })).toThrow(
      /coalescing\.parkMs \(10000\) must be from 69000/,
    );
  });

  it('GIVEN a window that does not fit the dispatcher timeout THEN synthesis stops naming it', () => {
    expect(() => resolveGateSettings({ coalescing: { maxAgeMs: 59_000 } })).toThrow(/coalescing\.maxAgeMs \(59000\)/);
  });
});
