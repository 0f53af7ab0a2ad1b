/**
 * The report's charts: Vega-Lite specs built from the observations (pure), rendered to SVG strings in Node by
 * Vega with no browser and no canvas, so the page is self-contained and opens offline.
 */
import * as vega from 'vega';
import { type Config, compile, type TopLevelSpec } from 'vega-lite';
import { LANES, STATUS_DIMENSION_VALUES } from '../../lambdas/shared/names';
import { formatCount, type TimeUnit } from './format';
import {
  bucketWidthMs,
  formatBucket,
  lowestRemainingPerBucket,
  peakLaneDepthPerBucket,
  peakPerBucket,
  quantileSample,
  rebucketStatusCounts,
} from './series';
import type { RunObservations } from './types';

/** One chart of the report: its spec, or null with the sentence shown instead when there is nothing to draw. */
export interface ChartDefinition {
  /** Stable id, used as the figure's DOM id and to keep SVG ids unique within the page. */
  id: string;
  title: string;
  /** What the chart shows and how to read it, in one or two plain sentences. */
  caption: string;
  spec: TopLevelSpec | null;
  /** Shown in place of the chart when `spec` is null. */
  emptyText: string;
}

/** Okabe–Ito colours (safe for the common colour-vision deficiencies), one meaning each per report. */
const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  sky: '#56B4E9',
  yellow: '#F0E442',
  grey: '#999999',
  black: '#000000',
} as const;

type KnownStatus = (typeof STATUS_DIMENSION_VALUES)[number];

/** Status colours, the same in every chart: 2xx green, 429 vermillion, 4xx orange, 5xx purple, timeout grey. */
export const STATUS_COLOURS: Readonly<Record<KnownStatus, string>> = {
  '2xx': OKABE_ITO.green,
  '429': OKABE_ITO.vermillion,
  '4xx': OKABE_ITO.orange,
  '5xx': OKABE_ITO.purple,
  timeout: OKABE_ITO.grey,
};

const STATUS_LABELS: Readonly<Record<KnownStatus, string>> = {
  '2xx': '2xx success',
  '429': '429 too many requests',
  '4xx': '4xx refused',
  '5xx': '5xx server error',
  timeout: 'timeout',
};

/** Colours for statuses outside the known set, so an unexpected label is still drawn and told apart. */
const EXTRA_STATUS_COLOURS = [OKABE_ITO.black, OKABE_ITO.sky, OKABE_ITO.yellow, OKABE_ITO.blue];

const LANE_COLOURS = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.black];
/** Dash patterns, so lanes and users are told apart without colour too. */
const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
];
const USER_COLOURS = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.green,
  OKABE_ITO.purple,
  OKABE_ITO.sky,
  OKABE_ITO.vermillion,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];

const CHART_WIDTH = 860;
const CHART_HEIGHT = 200;
/** Most bars in the responses chart: narrower bars stop being readable. */
const MAX_BARS = 240;
/** Most points drawn per line; the raw series stay in report.json. */
const MAX_LINE_POINTS = 600;

const CONFIG: Config = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 8,
  title: { anchor: 'start', fontSize: 15, fontWeight: 'bold', subtitleFontSize: 12, subtitleColor: '#444', offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', titleColor: '#222', gridColor: '#e6e6e6' },
  // The same room for every y axis, so the time axes of the charts line up down the page.
  axisY: { minExtent: 56 },
  legend: {
    orient: 'top',
    labelFontSize: 12,
    labelLimit: 240,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    symbolStrokeWidth: 2,
  },
  view: { stroke: null },
  line: { strokeWidth: 2 },
};

/** The simulated span the time charts share, so their x axes line up down the page. */
export function simulatedSpanMs(obs: RunObservations): number {
  let span = obs.clearance.actualMs;
  const { series } = obs;
  for (const list of [series.upstreamPerSecond, series.inFlight, series.laneDepth, series.remainingBudget]) {
    for (const point of list) span = Math.max(span, point.t);
  }
  for (const point of series.cooldowns) span = Math.max(span, point.t);
  return Math.max(span, 1000);
}

function timeAxis(unit: TimeUnit, spanMs: number) {
  return {
    field: 't',
    type: 'quantitative' as const,
    title: `simulated time since the run started (${unit.short})`,
    scale: { domain: [0, spanMs / unit.ms], nice: false },
  };
}

function statusColourScale(statuses: readonly string[]) {
  const known = STATUS_DIMENSION_VALUES.map((status) => STATUS_LABELS[status]);
  const extra = statuses.filter((status) => !(STATUS_DIMENSION_VALUES as readonly string[]).includes(status));
  return {
    domain: [...known, ...extra],
    range: [
      ...STATUS_DIMENSION_VALUES.map((status) => STATUS_COLOURS[status]),
      ...extra.map((_, i) => EXTRA_STATUS_COLOURS[i % EXTRA_STATUS_COLOURS.length] as string),
    ],
  };
}

function statusLabel(status: string): string {
  return (STATUS_DIMENSION_VALUES as readonly string[]).includes(status)
    ? STATUS_LABELS[status as KnownStatus]
    : status;
}

function statusRank(status: string): number {
  const rank = (STATUS_DIMENSION_VALUES as readonly string[]).indexOf(status);
  return rank === -1 ? STATUS_DIMENSION_VALUES.length : rank;
}

function laneScale(lanes: readonly string[]) {
  const extra = lanes.filter((lane) => !(LANES as readonly string[]).includes(lane));
  const domain = [...LANES, ...extra];
  return {
    color: { domain, range: domain.map((_, i) => LANE_COLOURS[i % LANE_COLOURS.length] as string) },
    dash: { domain, range: domain.map((_, i) => DASHES[i % DASHES.length] as number[]) },
  };
}

function userColourScale(users: readonly string[]) {
  return { domain: [...users], range: users.map((_, i) => USER_COLOURS[i % USER_COLOURS.length] as string) };
}

function userDashScale(users: readonly string[]) {
  return { domain: [...users], range: users.map((_, i) => DASHES[i % DASHES.length] as number[]) };
}

/** Users in the order the run lists them, then any others the series mention. */
function usersOf(obs: RunObservations, mentioned: readonly string[]): string[] {
  return [...new Set([...obs.users, ...mentioned])];
}

function upstreamChart(obs: RunObservations, unit: TimeUnit, spanMs: number): ChartDefinition {
  const points = obs.series.upstreamPerSecond;
  const width = bucketWidthMs(spanMs, MAX_BARS);
  const rows = rebucketStatusCounts(points, width)
    .filter((row) => row.count > 0)
    .map((row) => ({
      t: row.t / unit.ms,
      t2: (row.t + width) / unit.ms,
      status: statusLabel(row.status),
      rank: statusRank(row.status),
      rate: row.count,
    }));
  const perBar =
    width === 1000 ? 'each bar is one simulated second' : `each bar is the mean over ${formatBucket(width)}`;
  return {
    id: 'chart-upstream',
    title: 'Outreach responses per second, by status',
    caption: `What Outreach answered, stacked by status (${perBar}). Red-orange is Outreach saying "too many requests"; a healthy gate shows a wall of green and little else.`,
    emptyText: 'no upstream responses recorded — the gate never called Outreach',
    spec:
      rows.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: { text: 'Outreach responses per second, by status', subtitle: perBar },
            data: { values: rows },
            mark: { type: 'rect' },
            encoding: {
              x: timeAxis(unit, spanMs),
              x2: { field: 't2' },
              y: { field: 'rate', type: 'quantitative', stack: 'zero', title: 'responses per simulated second' },
              color: {
                field: 'status',
                type: 'nominal',
                title: 'status',
                scale: statusColourScale([...new Set(rows.map((row) => row.status))]),
              },
              order: { field: 'rank', type: 'quantitative' },
            },
          },
  };
}

function inFlightChart(obs: RunObservations, unit: TimeUnit, spanMs: number): ChartDefinition {
  const raw = obs.series.inFlight;
  const points =
    raw.length > MAX_LINE_POINTS ? peakPerBucket(raw, bucketWidthMs(spanMs, MAX_LINE_POINTS)) : [...raw].sort(byT);
  const cap = obs.upstream.inFlightCap;
  const peak = points.reduce((max, point) => Math.max(max, point.value), 0);
  const several = obs.users.length > 1;
  const rules = [{ y: cap, label: `cap: ${formatCount(cap)} per user` }];
  if (several) rules.push({ y: cap * obs.users.length, label: `cap × ${obs.users.length} users` });
  const yMax = Math.max(peak, ...rules.map((rule) => rule.y)) * 1.15;
  return {
    id: 'chart-in-flight',
    title: 'Requests in flight to Outreach',
    caption: several
      ? 'Requests Outreach was handling at each moment, all users together, against the per-user cap (dashed) and the cap summed over the users.'
      : 'Requests Outreach was handling at each moment, against the per-user cap (dashed). The line must never cross the cap.',
    emptyText: 'no in-flight samples recorded',
    spec:
      points.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: {
              text: 'Requests in flight to Outreach',
              subtitle: raw.length > MAX_LINE_POINTS ? 'peak within each time slice' : 'as the simulator saw them',
            },
            layer: [
              {
                data: { values: points.map((point) => ({ t: point.t / unit.ms, value: point.value })) },
                mark: { type: 'line', interpolate: 'step-after', color: OKABE_ITO.blue },
                encoding: {
                  x: timeAxis(unit, spanMs),
                  y: {
                    field: 'value',
                    type: 'quantitative',
                    title: 'requests in flight',
                    scale: { domain: [0, yMax], nice: false },
                  },
                },
              },
              {
                data: { values: rules },
                mark: { type: 'rule', color: OKABE_ITO.vermillion, strokeDash: [6, 4], strokeWidth: 1.5 },
                encoding: { y: { field: 'y', type: 'quantitative' } },
              },
              {
                data: { values: rules },
                mark: {
                  type: 'text',
                  align: 'right',
                  baseline: 'bottom',
                  dy: -3,
                  color: OKABE_ITO.vermillion,
                  fontSize: 12,
                  x: 'width',
                },
                encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
              },
            ],
          },
  };
}

function laneDepthChart(obs: RunObservations, unit: TimeUnit, spanMs: number): ChartDefinition {
  const raw = obs.series.laneDepth;
  const lanes = [...new Set(raw.map((point) => point.lane))];
  const points =
    raw.length > MAX_LINE_POINTS * Math.max(1, lanes.length)
      ? peakLaneDepthPerBucket(raw, bucketWidthMs(spanMs, MAX_LINE_POINTS))
      : [...raw].sort(byT);
  const scales = laneScale(lanes);
  return {
    id: 'chart-lane-depth',
    title: 'Messages in each lane',
    caption:
      'Intents queued in each priority lane, waiting or being handled. Critical should stay near zero; bulk drains as the budget allows.',
    emptyText: 'no lane depth samples recorded',
    spec:
      points.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: { text: 'Messages in each lane', subtitle: 'waiting + being handled' },
            data: {
              values: points.map((point) => ({
                t: point.t / unit.ms,
                lane: point.lane,
                messages: point.visible + point.inFlight,
              })),
            },
            mark: { type: 'line', interpolate: 'linear' },
            encoding: {
              x: timeAxis(unit, spanMs),
              y: { field: 'messages', type: 'quantitative', title: 'messages (intents)' },
              color: { field: 'lane', type: 'nominal', title: 'lane', scale: scales.color },
              strokeDash: { field: 'lane', type: 'nominal', title: 'lane', scale: scales.dash },
            },
          },
  };
}

/** Per lane, points of the share of intents settled within each wait, at most `maxPoints` per lane. */
export function waitCdfPoints(
  waitsByLane: Record<string, number[]>,
  maxPoints = MAX_LINE_POINTS,
): { lane: string; waitMs: number; share: number }[] {
  const rows: { lane: string; waitMs: number; share: number }[] = [];
  for (const [lane, waits] of Object.entries(waitsByLane)) {
    const sorted = [...waits].sort((a, b) => a - b);
    const n = sorted.length;
    if (n === 0) continue;
    const positions =
      n <= maxPoints
        ? sorted.map((_, i) => i)
        : quantileSample(
            Array.from({ length: n }, (_, i) => i),
            maxPoints,
          );
    for (const i of positions) rows.push({ lane, waitMs: sorted[i] as number, share: (i + 1) / n });
  }
  return rows;
}

/** Whether a log scale reads better: waits spanning two decades or more. */
function spansDecades(valuesMs: readonly number[]): boolean {
  const positive = valuesMs.filter((value) => value > 0);
  if (positive.length === 0) return false;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const value of positive) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return max / min >= 100;
}

function waitCdfChart(obs: RunObservations): ChartDefinition {
  const rows = waitCdfPoints(obs.series.laneWaitsMs);
  const log = spansDecades(rows.map((row) => row.waitMs));
  const floorMs = rows.reduce(
    (min, row) => (row.waitMs > 0 ? Math.min(min, row.waitMs) : min),
    Number.POSITIVE_INFINITY,
  );
  const values = rows.map((row) => ({
    lane: row.lane,
    wait: (log ? Math.max(row.waitMs, floorMs) : row.waitMs) / 1000,
    share: row.share,
  }));
  const scales = laneScale([...new Set(rows.map((row) => row.lane))]);
  return {
    id: 'chart-wait-cdf',
    title: 'How long intents waited, per lane',
    caption: `Share of each lane's intents settled within a given wait, from enqueue to settled${log ? ' (log scale: the waits span several orders of magnitude)' : ''}. Further left is faster; critical should sit left of bulk.`,
    emptyText: 'no intent waits recorded',
    spec:
      values.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: { text: 'How long intents waited, per lane', subtitle: 'share of intents settled within each wait' },
            data: { values },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: {
                field: 'wait',
                type: 'quantitative',
                title: `wait from enqueue to settled (simulated s${log ? ', log scale' : ''})`,
                scale: log ? { type: 'log' } : { zero: true },
              },
              y: {
                field: 'share',
                type: 'quantitative',
                title: 'share of the lane’s intents',
                axis: { format: '.0%' },
                scale: { domain: [0, 1] },
              },
              color: { field: 'lane', type: 'nominal', title: 'lane', scale: scales.color },
              strokeDash: { field: 'lane', type: 'nominal', title: 'lane', scale: scales.dash },
            },
          },
  };
}

/** The sentence shown when Outreach announced no cool-down at all. */
export const NO_COOLDOWNS_TEXT = 'no cool-downs — Outreach never told the gate to wait';

function cooldownChart(obs: RunObservations, unit: TimeUnit, spanMs: number): ChartDefinition {
  const points = obs.series.cooldowns;
  const users = usersOf(
    obs,
    points.map((point) => point.user),
  );
  return {
    id: 'chart-cooldowns',
    title: 'Cool-downs Outreach announced',
    caption:
      'Each point is a 429 telling a user how long to wait (Retry-After). Waits that grow point after point are the escalating cool-downs the gate exists to prevent.',
    emptyText: NO_COOLDOWNS_TEXT,
    spec:
      points.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: { text: 'Cool-downs Outreach announced', subtitle: 'announced wait (Retry-After) per 429' },
            data: {
              values: points.map((point) => ({ t: point.t / unit.ms, wait: point.waitMs / 1000, user: point.user })),
            },
            mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
            encoding: {
              x: timeAxis(unit, spanMs),
              y: { field: 'wait', type: 'quantitative', title: 'announced wait (simulated s)', scale: { zero: true } },
              color: { field: 'user', type: 'nominal', title: 'user', scale: userColourScale(users) },
              shape: { field: 'user', type: 'nominal', title: 'user', scale: { domain: users } },
            },
          },
  };
}

function remainingBudgetChart(obs: RunObservations, unit: TimeUnit, spanMs: number): ChartDefinition {
  const raw = obs.series.remainingBudget;
  const users = usersOf(
    obs,
    raw.map((point) => point.user),
  );
  const points =
    raw.length > MAX_LINE_POINTS * Math.max(1, users.length)
      ? lowestRemainingPerBucket(raw, bucketWidthMs(spanMs, MAX_LINE_POINTS))
      : [...raw].sort(byT);
  return {
    id: 'chart-remaining-budget',
    title: 'Budget left per user',
    caption:
      'Requests each user may still make in the current rate-limit window, as Outreach reported them. It should fall fast, not hover, and jump back at each reset.',
    emptyText: 'no remaining-budget samples recorded — Outreach reported no X-RateLimit-Remaining',
    spec:
      points.length === 0
        ? null
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            config: CONFIG,
            width: CHART_WIDTH,
            height: CHART_HEIGHT,
            title: { text: 'Budget left per user', subtitle: 'requests left in the current window' },
            data: {
              values: points.map((point) => ({ t: point.t / unit.ms, remaining: point.remaining, user: point.user })),
            },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: timeAxis(unit, spanMs),
              y: { field: 'remaining', type: 'quantitative', title: 'requests left in the window' },
              color: { field: 'user', type: 'nominal', title: 'user', scale: userColourScale(users) },
              strokeDash: { field: 'user', type: 'nominal', title: 'user', scale: userDashScale(users) },
            },
          },
  };
}

const byT = <P extends { t: number }>(a: P, b: P): number => a.t - b.t;

/** The six charts of the report, in page order. */
export function chartDefinitions(obs: RunObservations, unit: TimeUnit): ChartDefinition[] {
  const spanMs = simulatedSpanMs(obs);
  return [
    upstreamChart(obs, unit, spanMs),
    inFlightChart(obs, unit, spanMs),
    laneDepthChart(obs, unit, spanMs),
    waitCdfChart(obs),
    cooldownChart(obs, unit, spanMs),
    remainingBudgetChart(obs, unit, spanMs),
  ];
}

/**
 * Renders a Vega-Lite spec to an SVG string in Node (renderer `none`: no canvas, no browser). Ids inside the SVG
 * (clip paths, gradients) are prefixed with `idPrefix` so several charts can share one page.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return prefixSvgIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

/** `svg` with every `id="x"` and reference to it (`url(#x)`, `href="#x"`) renamed to `<prefix>-x`. */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}
