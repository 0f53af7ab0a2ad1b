/**
 * The report page: one self-contained HTML document (inline CSS, inline SVG, no scripts, fonts or requests),
 * readable offline from `file://`. Every string from the observations is escaped.
 */
import type { ChartDefinition } from './charts';
import { describeTimeScale, escapeHtml, formatCount, formatDuration, formatWallClock } from './format';
import type { LaneRow, Tile, Tone, Verdict } from './summary';
import type { RunObservations } from './types';

/** A chart ready for the page: its definition and its SVG, or null when it shows its empty-state sentence. */
export interface RenderedChart {
  definition: ChartDefinition;
  svg: string | null;
}

/** What the page shows besides the observations themselves. */
export interface PageContent {
  verdict: Verdict;
  tiles: Tile[];
  laneRows: LaneRow[];
  charts: RenderedChart[];
}

const TONE_WORD: Record<Tone, string> = { good: 'ok', warn: 'look', bad: 'broken', neutral: '' };

/** Tile values longer than this many characters get a smaller font so they fit on one line. */
const LONG_VALUE = 14;

const STYLE = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --line: #ddd; --good: #00704f; --warn: #8a5a00; --bad: #b03a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #f6f6f4; }
main { max-width: 960px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 22px; margin: 0 0 4px; }
header .meta { color: var(--muted); margin: 0 0 12px; }
.verdict { font-size: 18px; font-weight: 600; padding: 12px 16px; border-radius: 6px; border-left: 6px solid; background: white; margin: 0 0 20px; }
.verdict.good { border-color: var(--good); } .verdict.warn { border-color: var(--warn); } .verdict.bad { border-color: var(--bad); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 12px; margin: 0 0 24px; padding: 0; list-style: none; }
.tile { background: white; border: 1px solid var(--line); border-top: 4px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile.good { border-top-color: var(--good); } .tile.warn { border-top-color: var(--warn); } .tile.bad { border-top-color: var(--bad); }
.tile .label { font-size: 13px; color: var(--muted); display: flex; justify-content: space-between; gap: 8px; }
.tile .tone { font-weight: 600; text-transform: uppercase; font-size: 11px; letter-spacing: .04em; }
.tile.good .tone { color: var(--good); } .tile.warn .tone { color: var(--warn); } .tile.bad .tone { color: var(--bad); }
.tile .value { font-size: 22px; line-height: 1.25; font-weight: 700; margin: 2px 0; font-variant-numeric: tabular-nums; }
.tile .value.long { font-size: 18px; }
.tile .detail { font-size: 12.5px; color: var(--muted); }
h2 { font-size: 17px; margin: 28px 0 10px; }
.checks { list-style: none; padding: 0; margin: 0; background: white; border: 1px solid var(--line); border-radius: 6px; }
.checks li { padding: 8px 12px; border-top: 1px solid var(--line); display: grid; grid-template-columns: 28px 1fr; }
.checks li:first-child { border-top: 0; }
.checks .mark { font-weight: 700; } .checks .holds .mark { color: var(--good); } .checks .broken .mark { color: var(--bad); }
.checks .name { font-weight: 600; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 14px; }
.checks .detail { grid-column: 2; color: var(--muted); font-size: 13.5px; }
figure.chart { background: white; border: 1px solid var(--line); border-radius: 6px; margin: 0 0 16px; padding: 10px 12px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { color: var(--muted); font-size: 13.5px; margin-top: 6px; }
figure.chart h3 { font-size: 15px; margin: 0 0 6px; }
figure.chart .empty { margin: 8px 0; padding: 18px; text-align: center; color: var(--muted); border: 1px dashed var(--line); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; background: white; border: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th, td { padding: 7px 10px; border-top: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { font-size: 13px; color: var(--muted); font-weight: 600; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 28px; }
`;

function headerHtml(obs: RunObservations, verdict: Verdict): string {
  const wallMs = Date.parse(obs.finishedAt) - Date.parse(obs.startedAt);
  const users = obs.users.length === 0 ? 'no users' : obs.users.map(escapeHtml).join(', ');
  return `<header>
<h1>Outreach gate run: ${escapeHtml(obs.scenario)}</h1>
<p class="meta">Time scale ${escapeHtml(describeTimeScale(obs.timeScale))}. Ran ${escapeHtml(formatWallClock(obs.startedAt))} → ${escapeHtml(formatWallClock(obs.finishedAt))} (${escapeHtml(formatDuration(wallMs))} wall-clock). Users: ${users}. All times below are simulated.</p>
<p class="verdict ${verdict.tone}" role="status">${escapeHtml(verdict.text)}</p>
</header>`;
}

function tilesHtml(tiles: readonly Tile[]): string {
  const items = tiles.map(
    (tile) => `<li class="tile ${tile.tone}">
<div class="label"><span>${escapeHtml(tile.label)}</span><span class="tone">${escapeHtml(TONE_WORD[tile.tone])}</span></div>
<div class="value${tile.value.length > LONG_VALUE ? ' long' : ''}">${escapeHtml(tile.value)}</div>
<div class="detail">${escapeHtml(tile.detail)}</div>
</li>`,
  );
  return `<section aria-label="Key numbers"><ul class="tiles">\n${items.join('\n')}\n</ul></section>`;
}

function checksHtml(invariants: RunObservations['invariants']): string {
  const items =
    invariants.length === 0
      ? [
          '<li class="broken"><span class="mark">?</span><span class="name">no checks were recorded for this run</span></li>',
        ]
      : invariants.map(
          (invariant) => `<li class="${invariant.holds ? 'holds' : 'broken'}">
<span class="mark" aria-label="${invariant.holds ? 'holds' : 'broken'}">${invariant.holds ? '✓' : '✗'}</span>
<span class="name">${escapeHtml(invariant.name)}</span>
<span class="detail">${escapeHtml(invariant.detail)}</span>
</li>`,
        );
  return `<section><h2>Checks</h2><ul class="checks">\n${items.join('\n')}\n</ul></section>`;
}

function chartHtml({ definition, svg }: RenderedChart): string {
  const body =
    svg === null
      ? `<h3>${escapeHtml(definition.title)}</h3><p class="empty">${escapeHtml(definition.emptyText)}</p>`
      : svg;
  return `<figure class="chart" id="${escapeHtml(definition.id)}">
${body}
<figcaption>${escapeHtml(definition.caption)}</figcaption>
</figure>`;
}

function laneTableHtml(rows: readonly LaneRow[]): string {
  const body = rows.map(
    (row) =>
      `<tr><td>${escapeHtml(row.lane)}</td><td>${formatCount(row.succeeded)}</td><td>${escapeHtml(
        formatDuration(row.waitP50Ms),
      )}</td><td>${escapeHtml(formatDuration(row.waitP99Ms))}</td><td>${
        row.longestWaitMs === null ? '—' : escapeHtml(formatDuration(row.longestWaitMs))
      }</td><td>${formatCount(row.waitsRecorded)}</td></tr>`,
  );
  return `<section><h2>Waits per lane (enqueue to settled, simulated time)</h2>
<table>
<thead><tr><th scope="col">lane</th><th scope="col">succeeded</th><th scope="col">median wait</th><th scope="col">p99 wait</th><th scope="col">longest wait</th><th scope="col">waits recorded</th></tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table></section>`;
}

/** The whole report page as one HTML string. */
export function renderPage(obs: RunObservations, content: PageContent): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Outreach gate run: ${obs.scenario}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${headerHtml(obs, content.verdict)}
${tilesHtml(content.tiles)}
${checksHtml(obs.invariants)}
<section><h2>What happened over time</h2>
${content.charts.map(chartHtml).join('\n')}
</section>
${laneTableHtml(content.laneRows)}
<footer>Generated from the run's observations; the same numbers are in report.json next to this page.</footer>
</main>
</body>
</html>
`;
}
