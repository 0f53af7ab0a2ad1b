/**
 * Bounding and summarising the run's time series. Long runs produce hundreds of thousands of samples; the report
 * keeps at most a fixed number of points per series, choosing for each series the reduction that keeps what
 * on-call looks for: peaks of in-flight and queue depth, troughs of the remaining budget, the shape of the waits.
 */
import type {
  CooldownPoint,
  LaneDepthPoint,
  RemainingBudgetPoint,
  RunSeries,
  StatusCountPoint,
  ValuePoint,
} from './types';

/** Most points kept per series in `report.json`. */
export const MAX_POINTS_PER_SERIES = 2000;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const NICE_BUCKETS_MS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
];

/** The smallest round bucket width (≥ 1 s) that covers `[0, lastT]` in at most `maxBuckets` buckets. */
export function bucketWidthMs(lastT: number, maxBuckets: number): number {
  const needed = (Math.max(0, lastT) + 1) / Math.max(1, maxBuckets);
  const nice = NICE_BUCKETS_MS.find((width) => width >= needed);
  return nice ?? Math.ceil(needed / HOUR) * HOUR;
}

const bucketStart = (t: number, width: number): number => Math.floor(t / width) * width;
const lastTime = (points: readonly { t: number }[]): number => points.reduce((last, p) => Math.max(last, p.t), 0);
const distinct = (values: readonly string[]): number => new Set(values).size;

function groupInBuckets<P extends { t: number }>(
  points: readonly P[],
  width: number,
  groupOf: (p: P) => string,
): Map<string, { t: number; group: string; members: P[] }> {
  const buckets = new Map<string, { t: number; group: string; members: P[] }>();
  for (const point of points) {
    const t = bucketStart(point.t, width);
    const group = groupOf(point);
    const key = `${t}\u0000${group}`;
    const bucket = buckets.get(key) ?? { t, group, members: [] };
    bucket.members.push(point);
    buckets.set(key, bucket);
  }
  return buckets;
}

/** Largest `measure` among `items` (a loop: spreading 100k+ arguments into Math.max overflows the stack). */
function maxOf<P>(items: readonly P[], measure: (item: P) => number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const item of items) max = Math.max(max, measure(item));
  return max;
}

/** `n` items of `items` at evenly spaced positions, first and last included. */
function evenlySpaced<P>(items: readonly P[], n: number): P[] {
  if (items.length <= n) return [...items];
  const step = (items.length - 1) / Math.max(1, n - 1);
  return Array.from({ length: n }, (_, i) => items[Math.round(i * step)] as P);
}

const byTime = <P extends { t: number }>(a: P, b: P): number => a.t - b.t;

/**
 * Upstream responses re-bucketed to `width` ms, each `count` being the mean per simulated second within the bucket,
 * so the unit stays "responses per second" whatever the bucket width.
 */
export function rebucketStatusCounts(points: readonly StatusCountPoint[], width: number): StatusCountPoint[] {
  const seconds = width / SECOND;
  return [...groupInBuckets(points, width, (p) => p.status).values()]
    .map(({ t, group, members }) => ({
      t,
      status: group,
      count: round(members.reduce((sum, p) => sum + p.count, 0) / seconds, 3),
    }))
    .sort(byTime);
}

/** Peak value per bucket: the cap invariant is about peaks, so averaging would hide what matters. */
export function peakPerBucket(points: readonly ValuePoint[], width: number): ValuePoint[] {
  return [...groupInBuckets(points, width, () => '').values()]
    .map(({ t, members }) => ({ t, value: maxOf(members, (p) => p.value) }))
    .sort(byTime);
}

/** Peak visible and peak in-flight messages per lane and bucket. */
export function peakLaneDepthPerBucket(points: readonly LaneDepthPoint[], width: number): LaneDepthPoint[] {
  return [...groupInBuckets(points, width, (p) => p.lane).values()]
    .map(({ t, group, members }) => ({
      t,
      lane: group,
      visible: maxOf(members, (p) => p.visible),
      inFlight: maxOf(members, (p) => p.inFlight),
    }))
    .sort(byTime);
}

/** Lowest remaining budget per user and bucket: the trough is what tells whether a user ran dry. */
export function lowestRemainingPerBucket(
  points: readonly RemainingBudgetPoint[],
  width: number,
): RemainingBudgetPoint[] {
  return [...groupInBuckets(points, width, (p) => p.user).values()]
    .map(({ t, group, members }) => ({ t, user: group, remaining: -maxOf(members, (p) => -p.remaining) }))
    .sort(byTime);
}

/** `n` evenly spaced order statistics of `values` (always including the smallest and largest), ascending. */
export function quantileSample(values: readonly number[], n: number): number[] {
  return evenlySpaced(
    [...values].sort((a, b) => a - b),
    n,
  );
}

/** At most `n` cool-downs in time order, evenly spaced, always keeping the longest announced. */
export function sampleCooldowns(points: readonly CooldownPoint[], n: number): CooldownPoint[] {
  const sorted = [...points].sort(byTime);
  if (sorted.length <= n) return sorted;
  const longest = sorted.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));
  const kept = new Set(
    evenlySpaced(
      sorted.filter((p) => p !== longest),
      n - 1,
    ),
  );
  kept.add(longest);
  return sorted.filter((p) => kept.has(p));
}

/** How one series was reduced, for readers of `report.json`. */
export interface DownsampleNote {
  /** Points the run recorded. */
  from: number;
  /** Points kept. */
  to: number;
  /** How they were reduced. */
  method: string;
}

/** The series bounded to {@link MAX_POINTS_PER_SERIES} points each, and a note for each series that was reduced. */
export function downsampleSeries(
  series: RunSeries,
  maxPoints = MAX_POINTS_PER_SERIES,
): { series: RunSeries; notes: Record<string, DownsampleNote> } {
  const notes: Record<string, DownsampleNote> = {};
  const note = (name: string, from: number, to: number, method: string): void => {
    if (to < from) notes[name] = { from, to, method };
  };

  const bounded = <P extends { t: number }>(
    name: string,
    points: P[],
    groups: number,
    reduce: (points: P[], width: number) => P[],
    describe: string,
  ): P[] => {
    if (points.length <= maxPoints) return points;
    const width = bucketWidthMs(lastTime(points), Math.floor(maxPoints / Math.max(1, groups)));
    const reduced = reduce(points, width);
    // Only more groups than points allowed (thousands of users or lanes) can still overflow: thin evenly.
    const kept = reduced.length <= maxPoints ? reduced : evenlySpaced(reduced, maxPoints);
    note(name, points.length, kept.length, `${describe} per ${formatBucket(width)} bucket`);
    return kept;
  };

  const upstreamPerSecond = bounded(
    'upstreamPerSecond',
    series.upstreamPerSecond,
    distinct(series.upstreamPerSecond.map((p) => p.status)),
    rebucketStatusCounts,
    'mean responses per simulated second',
  );
  const inFlight = bounded('inFlight', series.inFlight, 1, peakPerBucket, 'peak in flight');
  const laneDepth = bounded(
    'laneDepth',
    series.laneDepth,
    distinct(series.laneDepth.map((p) => p.lane)),
    peakLaneDepthPerBucket,
    'peak messages',
  );
  const remainingBudget = bounded(
    'remainingBudget',
    series.remainingBudget,
    distinct(series.remainingBudget.map((p) => p.user)),
    lowestRemainingPerBucket,
    'lowest remaining budget',
  );

  const laneWaitsMs: Record<string, number[]> = {};
  for (const [lane, waits] of Object.entries(series.laneWaitsMs)) {
    laneWaitsMs[lane] = waits.length <= maxPoints ? waits : quantileSample(waits, maxPoints);
    note(`laneWaitsMs.${lane}`, waits.length, laneWaitsMs[lane].length, 'evenly spaced quantiles, ascending');
  }

  const cooldowns = sampleCooldowns(series.cooldowns, maxPoints);
  note('cooldowns', series.cooldowns.length, cooldowns.length, 'evenly spaced in time, longest kept');

  return { series: { upstreamPerSecond, inFlight, laneDepth, laneWaitsMs, cooldowns, remainingBudget }, notes };
}

/** A bucket width in words (`"1 s"`, `"5 min"`, `"2 h"`). */
export function formatBucket(width: number): string {
  if (width % HOUR === 0) return `${width / HOUR} h`;
  if (width % MINUTE === 0) return `${width / MINUTE} min`;
  return `${width / SECOND} s`;
}

/** The value at quantile `q` (0–1) of `sorted` (ascending), nearest rank; 0 for no values. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
