import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildReport,
  MAX_POINTS_PER_SERIES,
  NO_COOLDOWNS_TEXT,
  ReportInputError,
  type RunObservations,
  writeReport,
} from '../../local/report';
import { chartDefinitions } from '../../local/report/charts';
import { timeUnitFor } from '../../local/report/format';
import { smallRun } from './fixtures';

const CHART_COUNT = 6;
const HOSTILE = '<script>alert("x")</script>';

const countOf = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

describe('buildReport', () => {
  it('GIVEN a small run WHEN the report is built THEN report.json holds the run summary exactly', async () => {
    const obs = smallRun();

    const { json } = await buildReport(obs);

    expect(json).toEqual({
      scenario: 'small-burst',
      timeScale: 60,
      startedAt: obs.startedAt,
      finishedAt: obs.finishedAt,
      intents: obs.intents,
      upstream: obs.upstream,
      lanes: obs.lanes,
      clearance: obs.clearance,
      dynamodb: obs.dynamodb,
      users: ['alice'],
      invariants: obs.invariants,
      series: obs.series,
      seriesDownsampling: {},
    });
  });

  it('GIVEN a run with data for every chart WHEN the report is built THEN the page holds one SVG per chart', async () => {
    const { html } = await buildReport(smallRun());

    expect(countOf(html, '<svg')).toBe(CHART_COUNT);
  });

  it('GIVEN a run without cool-downs WHEN the report is built THEN the cool-down chart says so instead of drawing', async () => {
    const obs = smallRun();
    obs.series.cooldowns = [];

    const { html } = await buildReport(obs);

    expect(html).toContain(NO_COOLDOWNS_TEXT);
    expect(countOf(html, '<svg')).toBe(CHART_COUNT - 1);
  });

  it('GIVEN a run that recorded no samples WHEN the report is built THEN every chart says what is missing', async () => {
    const obs = smallRun({
      users: [],
      series: {
        upstreamPerSecond: [],
        inFlight: [],
        laneDepth: [],
        laneWaitsMs: {},
        cooldowns: [],
        remainingBudget: [],
      },
    });

    const { html } = await buildReport(obs);

    expect(countOf(html, '<svg')).toBe(0);
    expect(countOf(html, 'class="empty"')).toBe(CHART_COUNT);
  });

  it('GIVEN a run WHEN the report is built THEN no two elements of the page share an id', async () => {
    const { html } = await buildReport(smallRun());

    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('GIVEN a run WHEN the report is built THEN the page loads nothing from elsewhere', async () => {
    const { html } = await buildReport(smallRun());

    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/i);
    expect(html).not.toMatch(/(src|href)="(?!#)/i);
  });

  it.each<[string, (obs: RunObservations) => void]>([
    ['scenario', (obs) => Object.assign(obs, { scenario: HOSTILE })],
    ['user name', (obs) => Object.assign(obs, { users: [HOSTILE] })],
    ['invariant name', (obs) => obs.invariants.push({ name: HOSTILE, holds: false, detail: 'x' })],
    ['invariant detail', (obs) => obs.invariants.push({ name: 'x', holds: true, detail: HOSTILE })],
    ['cool-down user', (obs) => obs.series.cooldowns.push({ t: 2000, user: HOSTILE, waitMs: 1000 })],
    ['status label', (obs) => obs.series.upstreamPerSecond.push({ t: 3000, status: HOSTILE, count: 1 })],
  ])('GIVEN a hostile %s WHEN the report is built THEN it is escaped, never markup', async (_, makeHostile) => {
    const obs = smallRun();
    makeHostile(obs);

    const { html } = await buildReport(obs);

    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;');
  });

  it.each<[string, (obs: RunObservations) => void, string]>([
    ['a time scale of 0', (obs) => Object.assign(obs, { timeScale: 0 }), 'timeScale'],
    ['a missing lost count', (obs) => Reflect.deleteProperty(obs.intents, 'lost'), 'intents.lost'],
    ['a lane missing', (obs) => Reflect.deleteProperty(obs.lanes, 'bulk'), 'lanes.bulk'],
    [
      'a non-numeric sample',
      (obs) => Object.assign(obs.series.inFlight[1] ?? {}, { value: 'three' }),
      'series.inFlight.1.value',
    ],
    ['a startedAt that is not a date', (obs) => Object.assign(obs, { startedAt: 'yesterday' }), 'startedAt'],
    [
      'a finish before the start',
      (obs) => Object.assign(obs, { finishedAt: '2025-01-01T00:00:00.000Z' }),
      'finishedAt: is before startedAt',
    ],
    ['a negative wait', (obs) => obs.series.laneWaitsMs.bulk?.push(-5), 'series.laneWaitsMs.bulk.4'],
  ])('GIVEN %s WHEN the report is built THEN a ReportInputError names the field', async (_, breakIt, field) => {
    const obs = smallRun();
    breakIt(obs);

    const attempt = buildReport(obs);

    await expect(attempt).rejects.toThrow(ReportInputError);
    await expect(attempt).rejects.toThrow(field);
  });

  it('GIVEN a long run WHEN the report is built THEN every series in report.json is bounded', async () => {
    const obs = smallRun();
    obs.series.inFlight = Array.from({ length: 20_000 }, (_, i) => ({ t: i * 100, value: i % 4 }));
    obs.series.laneWaitsMs = { bulk: Array.from({ length: 50_000 }, (_, i) => i) };

    const { json } = await buildReport(obs);

    expect(json.series.inFlight.length).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    expect(json.series.laneWaitsMs.bulk?.length).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    expect(Object.keys(json.seriesDownsampling).sort()).toEqual(['inFlight', 'laneWaitsMs.bulk']);
  });
});

describe('chartDefinitions', () => {
  it.each([
    ['spanning four decades', [10, 100, 1000, 100_000], 'log'],
    ['within one decade', [1000, 2000, 5000], undefined],
  ])('GIVEN waits %s WHEN the wait chart is defined THEN its x scale type is %s', (_, waits, scaleType) => {
    const obs = smallRun();
    obs.series.laneWaitsMs = { critical: waits };

    const chart = chartDefinitions(obs, timeUnitFor(60_000)).find((c) => c.id === 'chart-wait-cdf');

    const spec = chart?.spec as { encoding: { x: { scale: { type?: string } } } };
    expect(spec.encoding.x.scale.type).toBe(scaleType);
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outreach-gate-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('GIVEN a directory that does not exist WHEN the report is written THEN it is created with both files', async () => {
    const target = join(dir, 'runs', 'latest');

    const { jsonPath, htmlPath } = await writeReport(target, smallRun());

    expect(jsonPath).toBe(join(target, 'report.json'));
    expect(htmlPath).toBe(join(target, 'report.html'));
    expect(JSON.parse(await readFile(jsonPath, 'utf8'))).toEqual((await buildReport(smallRun())).json);
    expect(await readFile(htmlPath, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
