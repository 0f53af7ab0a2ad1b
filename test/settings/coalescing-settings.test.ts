import { resolveGateSettings } from '../../lib/settings';

describe('resolveGateSettings: coalescing of bulk enrolments', () => {
  it('GIVEN nothing THEN coalescing is off, with 100 per batch, a 2 s window and a 69 s park (30 s timeout)', () => {
    expect(resolveGateSettings().gate.coalescing).toEqual({
      enabled: false,
      maxSize: 100,
      maxAgeMs: 2000,
      parkMs: 69_000,
    });
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
      /coalescing\.parkMs \(10000\) must be from 39000/,
    );
  });

  it('GIVEN a window that does not fit the dispatcher timeout THEN synthesis stops naming it', () => {
    expect(() => resolveGateSettings({ coalescing: { maxAgeMs: 29_000 } })).toThrow(/coalescing\.maxAgeMs \(29000\)/);
  });
});
