/**
 * The run report: `report.json` (the summary, the checks and the bounded series) and `report.html` (a
 * self-contained page with the same numbers and six charts as inline SVG), built from one run's observations.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartDefinitions, renderSvg, simulatedSpanMs } from './charts';
import { timeUnitFor } from './format';
import { type RenderedChart, renderPage } from './page';
import { type DownsampleNote, downsampleSeries } from './series';
import { laneRowsOf, tilesOf, verdictOf } from './summary';
import type { RunObservations, RunSeries } from './types';
import { parseRunObservations } from './validate';

export { NO_COOLDOWNS_TEXT } from './charts';
export type { RenderedChart } from './page';
export { MAX_POINTS_PER_SERIES } from './series';
export type * from './types';
export { parseRunObservations, ReportInputError } from './validate';

/** The content of `report.json`. */
export interface ReportJson {
  scenario: string;
  timeScale: number;
  startedAt: string;
  finishedAt: string;
  intents: RunObservations['intents'];
  upstream: RunObservations['upstream'];
  lanes: RunObservations['lanes'];
  clearance: RunObservations['clearance'];
  dynamodb: RunObservations['dynamodb'];
  users: string[];
  invariants: RunObservations['invariants'];
  /** AWS calls checked against the stack's IAM policies, by principal and action, and denials, when measured. */
  iam?: RunObservations['iam'];
  /** Invocations abandoned at the function timeout and throttled, when measured. */
  timeouts?: RunObservations['timeouts'];
  /** The pump's pauses and the receives they avoided, when the run had a pump. */
  pump?: RunObservations['pump'];
  /** The run's series, at most {@link MAX_POINTS_PER_SERIES} points each. */
  series: RunSeries;
  /** For each series that was reduced to fit: how many points it had, how many were kept, and how. */
  seriesDownsampling: Record<string, DownsampleNote>;
}

/** The report as data: what `report.json` holds. Validates the observations first. */
export function buildReportJson(observations: RunObservations): ReportJson {
  const obs = parseRunObservations(observations);
  const { series, notes } = downsampleSeries(obs.series);
  return {
    scenario: obs.scenario,
    timeScale: obs.timeScale,
    startedAt: obs.startedAt,
    finishedAt: obs.finishedAt,
    intents: obs.intents,
    upstream: obs.upstream,
    lanes: obs.lanes,
    clearance: obs.clearance,
    dynamodb: obs.dynamodb,
    users: obs.users,
    invariants: obs.invariants,
    ...(obs.iam && { iam: obs.iam }),
    ...(obs.timeouts && { timeouts: obs.timeouts }),
    ...(obs.pump && { pump: obs.pump }),
    series,
    seriesDownsampling: notes,
  };
}

/**
 * Builds both halves of the report in memory. Asynchronous because Vega renders charts asynchronously.
 * Throws {@link ReportInputError} naming every bad field when the observations are malformed.
 */
export async function buildReport(observations: RunObservations): Promise<{ json: ReportJson; html: string }> {
  const obs = parseRunObservations(observations);
  const json = buildReportJson(obs);
  const unit = timeUnitFor(simulatedSpanMs(obs));
  const charts: RenderedChart[] = [];
  for (const definition of chartDefinitions(obs, unit)) {
    const svg = definition.spec === null ? null : await renderSvg(definition.spec, definition.id);
    charts.push({ definition, svg });
  }
  const html = renderPage(obs, { verdict: verdictOf(obs), tiles: tilesOf(obs), laneRows: laneRowsOf(obs), charts });
  return { json, html };
}

/** Writes `report.json` and `report.html` into `dir` (created if missing) and returns their paths. */
export async function writeReport(
  dir: string,
  observations: RunObservations,
): Promise<{ jsonPath: string; htmlPath: string }> {
  const { json, html } = await buildReport(observations);
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, 'report.json');
  const htmlPath = join(dir, 'report.html');
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`, 'utf8');
  await writeFile(htmlPath, html, 'utf8');
  return { jsonPath, htmlPath };
}
