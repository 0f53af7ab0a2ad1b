import { ChaosMetrics } from '../../local/chaos/metrics';

describe('the metrics a chaos run keeps', () => {
  it('GIVEN cool-downs of 3 s, 9 s and 1 s reported by the dispatchers WHEN read THEN the longest is 9 s', () => {
    const metrics = new ChaosMetrics();
    metrics.cooldownRemaining('u1', 3000);
    metrics.cooldownRemaining('u2', 9000);
    metrics.cooldownRemaining('u1', 1000);
    expect(metrics.longestCooldownMs).toBe(9000);
  });

  it('GIVEN measurements forwarded by the workers WHEN counted THEN they are recorded as a local run records them', () => {
    const metrics = new ChaosMetrics();
    metrics.succeeded('bulk', 20);
    metrics.upstream(429, 5, { lane: 'bulk', user: 'u1' });
    metrics.cooldownRemaining('u1', 2000);
    metrics.credentialsPaused('u2', 'invalid-grant');
    expect([
      metrics.count('succeeded', 'bulk'),
      metrics.countFrom('upstream429', { user: 'u1' }),
      metrics.count('cooldownRemaining', 'u1'),
      metrics.count('credentialsPaused', 'u2:invalid-grant'),
    ]).toEqual([1, 1, 1, 1]);
  });
});
