import {
  bucketWidthMs,
  downsampleSeries,
  lowestRemainingPerBucket,
  peakPerBucket,
  quantileSample,
  rebucketStatusCounts,
  sampleCooldowns,
} from '../../local/report/series';
import type { RunSeries } from '../../local/report/types';

const emptySeries = (): RunSeries => ({
  upstreamPerSecond: [],
  inFlight: [],
  laneDepth: [],
  laneWaitsMs: {},
  cooldowns: [],
  remainingBudget: [],
});

describe('bucketWidthMs', () => {
  it.each([
    [59_999, 60, 1000],
    [60_000, 60, 2000],
    [3_599_999, 240, 15_000],
    [3_600_000, 240, 30_000],
    [3_600_000, 2000, 2000],
    [86_400_000, 10, 3_600_000 * 3],
  ])('GIVEN a run of %i ms and at most %i buckets THEN buckets are %i ms wide', (lastT, maxBuckets, width) => {
    expect(bucketWidthMs(lastT, maxBuckets)).toBe(width);
  });
});

describe('rebucketStatusCounts', () => {
  it('GIVEN per-second counts WHEN put in 5 s buckets THEN each is the mean per second of its bucket', () => {
    const points = [
      { t: 0, status: '2xx', count: 10 },
      { t: 1000, status: '2xx', count: 20 },
      { t: 2000, status: '429', count: 5 },
      { t: 5000, status: '2xx', count: 5 },
    ];

    expect(rebucketStatusCounts(points, 5000)).toEqual([
      { t: 0, status: '2xx', count: 6 },
      { t: 0, status: '429', count: 1 },
      { t: 5000, status: '2xx', count: 1 },
    ]);
  });
});

describe('peakPerBucket', () => {
  it('GIVEN a brief spike WHEN bucketed THEN the spike survives', () => {
    const points = [
      { t: 0, value: 1 },
      { t: 400, value: 11 },
      { t: 800, value: 2 },
      { t: 1200, value: 3 },
    ];

    expect(peakPerBucket(points, 1000)).toEqual([
      { t: 0, value: 11 },
      { t: 1000, value: 3 },
    ]);
  });
});

describe('lowestRemainingPerBucket', () => {
  it('GIVEN two users WHEN bucketed THEN each keeps its own trough', () => {
    const points = [
      { t: 0, user: 'a', remaining: 9 },
      { t: 500, user: 'a', remaining: 0 },
      { t: 0, user: 'b', remaining: 5 },
    ];

    expect(lowestRemainingPerBucket(points, 1000)).toEqual([
      { t: 0, user: 'a', remaining: 0 },
      { t: 0, user: 'b', remaining: 5 },
    ]);
  });
});

describe('quantileSample', () => {
  it('GIVEN more values than allowed WHEN sampled THEN the smallest and largest are kept, ascending', () => {
    const values = Array.from({ length: 1001 }, (_, i) => 1000 - i);

    const sample = quantileSample(values, 11);

    expect(sample).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
});

describe('sampleCooldowns', () => {
  it('GIVEN many cool-downs WHEN sampled THEN the longest announced is kept', () => {
    const points = Array.from({ length: 100 }, (_, i) => ({ t: i, user: 'a', waitMs: i === 37 ? 99_000 : 1000 }));

    const sample = sampleCooldowns(points, 10);

    expect(sample).toHaveLength(10);
    expect(sample.map((p) => p.waitMs)).toContain(99_000);
  });
});

describe('downsampleSeries', () => {
  it('GIVEN series within the bound WHEN downsampled THEN they are unchanged and nothing is noted', () => {
    const series = { ...emptySeries(), inFlight: [{ t: 0, value: 1 }] };

    expect(downsampleSeries(series)).toEqual({ series, notes: {} });
  });

  it('GIVEN an hour of per-second samples for three lanes WHEN downsampled THEN the series fits and says how', () => {
    const laneDepth = Array.from({ length: 3600 }, (_, s) =>
      ['critical', 'standard', 'bulk'].map((lane) => ({ t: s * 1000, lane, visible: s, inFlight: 1 })),
    ).flat();

    const { series, notes } = downsampleSeries({ ...emptySeries(), laneDepth }, 2000);

    expect(series.laneDepth.length).toBeLessThanOrEqual(2000);
    expect(Math.max(...series.laneDepth.map((p) => p.visible))).toBe(3599);
    expect(notes.laneDepth).toEqual({
      from: 10_800,
      to: series.laneDepth.length,
      method: 'peak messages per 10 s bucket',
    });
  });
});
