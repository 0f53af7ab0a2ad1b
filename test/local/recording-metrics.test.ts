import { RecordingGateMetrics } from '../../local/recording-metrics';

describe('RecordingGateMetrics by lane and by user', () => {
  it('GIVEN two 429s of u1 on bulk and a 200 WHEN counted THEN bulk and u1 each have two 429s, critical none', () => {
    const metrics = new RecordingGateMetrics();
    metrics.upstream(429, 5, { lane: 'bulk', user: 'u1' });
    metrics.upstream(429, 5, { lane: 'bulk', user: 'u1' });
    metrics.upstream(200, 5, { lane: 'critical', user: 'u1' });
    expect([
      metrics.countFrom('upstream429', { lane: 'bulk' }),
      metrics.countFrom('upstream429', { user: 'u1' }),
      metrics.countFrom('upstream429', { lane: 'critical' }),
    ]).toEqual([2, 2, 0]);
  });

  it('GIVEN a deferral whose user is unknown WHEN counted THEN it counts for its lane only, and by reason as before', () => {
    const metrics = new RecordingGateMetrics();
    metrics.deferral('time', { lane: 'standard' });
    metrics.deferral('cooldown', { lane: 'standard', user: 'u2' });
    expect([
      metrics.countFrom('deferral', { lane: 'standard' }),
      metrics.countFrom('deferral', { user: 'u2' }),
      metrics.count('deferral', 'time'),
      metrics.count('deferral'),
    ]).toEqual([2, 1, 1, 2]);
  });
});
