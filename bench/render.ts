/**
 * `bench.md` (a table per scenario and the targets) and `bench.html` (per scenario, one panel per contender with
 * Outreach's responses per second by status and the Retry-After it announced, in the style of seed 002's
 * figures). The charts are the run report's own Vega-Lite specs rendered to inline SVG: the page is
 * self-contained and opens offline.
 */
import { type ChartDefinition, chartDefinitions, renderSvg } from '../local/report/charts';
import { escapeHtml, timeUnitFor } from '../local/report/format';
import type { RunObservations } from '../local/report/types';
import type { ScenarioRuns } from './assemble';
import type { PriceTable } from './pricing';
import { gateTally } from './targets';
import {
  type BenchContenderEntry,
  type BenchJson,
  CONTENDERS,
  type ContenderResult,
  type TargetCell,
  type TargetRow,
} from './types';

const minutes = (ms: number | null) => (ms === null ? '–' : `${(ms / 60_000).toFixed(1)} min`);
const secondsText = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(0)} s`);
const mark = (met: boolean | null) => (met === null ? '–' : met ? '✓' : '✗');
const count = (value: number | null) => (value === null ? '–' : String(value));
/** A list price in dollars, cents always shown ($0.50), smaller prices in full ($0.0000133334). */
const usd = (value: number) =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 12 })}`;

/** One contender's cell of the targets table: met or missed with the figure, or why it was not checked. */
const targetCellText = (cell: TargetCell | undefined): string =>
  cell === undefined ? '' : cell.met === null ? `– ${cell.measured}` : `${mark(cell.met)} ${cell.measured}`;

/** The targets table's rows: scenario, metric, target and one cell per contender ('not run' for a scenario not run). */
function targetRows(rows: readonly TargetRow[]): string[][] {
  return rows.map((row) => {
    const none = Object.keys(row.contenders).length === 0;
    return [
      row.scenario,
      row.metric,
      row.target,
      ...CONTENDERS.map((contender) => (none ? 'not run' : targetCellText(row.contenders[contender]))),
    ];
  });
}

/** A lane's wait p50 / p99, or – when none of its intents succeeded. */
const laneWaitText = (entry: BenchContenderEntry, lane: string): string => {
  const waits = entry.laneWaitsMs[lane];
  return waits && waits.count > 0 ? `${secondsText(waits.p50)} / ${secondsText(waits.p99)}` : '–';
};

/** The columns of a scenario's table: heading and how to show a contender's entry. */
const COLUMNS: ReadonlyArray<readonly [string, (entry: BenchContenderEntry) => string]> = [
  ['clearance', (e) => minutes(e.clearanceMs)],
  ['× ideal', (e) => e.clearanceRatio.toFixed(2)],
  ['succeeded', (e) => String(e.succeeded)],
  ['lost', (e) => String(e.lost)],
  ['duplicates', (e) => String(e.duplicatesCreated)],
  ['429s', (e) => String(e.status429)],
  ['Retry-After first → max', (e) => `${secondsText(e.firstRetryAfterMs)} → ${secondsText(e.maxRetryAfterMs)}`],
  ['in flight (cap)', (e) => `${e.maxInFlight} (${e.inFlightCap})`],
  ['critical wait p50 / p99', (e) => `${secondsText(e.criticalWaitP50Ms)} / ${secondsText(e.criticalWaitP99Ms)}`],
  ['standard wait p50 / p99', (e) => laneWaitText(e, 'standard')],
  ['bulk wait p50 / p99', (e) => laneWaitText(e, 'bulk')],
  [
    '429s / user / window (max, after the first)',
    (e) => `${e.max429PerUserWindow}, ${e.max429PerUserWindowAfterFirst}`,
  ],
  ['calls during a cool-down', (e) => count(e.callsDuringCooldown)],
  [
    'bulk enrolments / h ÷ limit',
    (e) => (e.enrolmentsPerHourPerLimit === null ? '–' : e.enrolmentsPerHourPerLimit.toFixed(2)),
  ],
  ['calls / intent', (e) => e.upstreamCallsPerIntent.toFixed(2)],
  ['DynamoDB / intent', (e) => e.dynamodbRequestsPerIntent.toFixed(2)],
  ['USD / M intents', (e) => e.usdPerMillionIntents.toFixed(2)],
];

/** The scorecard's columns: retry ratio, spread of completion between producers, longest wait, time to clear. */
const SCORECARD_COLUMNS: ReadonlyArray<readonly [string, (entry: BenchContenderEntry) => string]> = [
  ['retry ratio (429s / 2xx)', (e) => (e.retryRatio === null ? '–' : e.retryRatio.toFixed(3))],
  ['producer spread stdev / range', (e) => `${minutes(e.producerSpreadStdevMs)} / ${minutes(e.producerSpreadRangeMs)}`],
  ['longest wait', (e) => minutes(e.longestWaitMs)],
  ['time to clear', (e) => minutes(e.timeToClearMs)],
  ['× ideal', (e) => e.clearanceRatio.toFixed(2)],
];

/** A Markdown table of `rows` under `headings`, numbers right-aligned after the first column; pipes escaped. */
function markdownTable(headings: readonly string[], rows: readonly (readonly string[])[], numeric = true): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${headings.map(cell).join(' | ')} |`,
    `| ${headings.map((_, i) => (i === 0 || !numeric ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** `bench.md`. Pure. */
export function renderMarkdown(
  bench: BenchJson,
  runs: readonly ScenarioRuns[],
  context: { readonly prices: PriceTable; readonly command: string; readonly wallSeconds: number },
): string {
  const { prices } = context;
  const tally = gateTally(bench.targets);
  const out: string[] = [
    '# Benchmark: the gate against what teams use today',
    '',
    `${bench.quick ? 'Quick run (every scenario scaled down)' : 'Full run'} on ${bench.machine}, finished ${bench.date}, ` +
      `${Math.round(context.wallSeconds)} s of wall time (\`${context.command}\`).`,
    '',
    'Each contender ran against a fresh Outreach simulator configured for the scenario, with the same intents at the',
    'same simulated times. **naive**: every producer is a service with its own worker pool calling Outreach',
    'directly, retrying its own 429s by Retry-After. **bottleneck**: the same services, each with a `bottleneck`',
    'limiter per user sized to its share of the budget and the in-flight cap. **bottleneck-cluster**: the same',
    "services sharing one `bottleneck` limiter per user (whole budget and cap) through Bottleneck's clustering mode",
    'on a local Redis. **gate**: the local pipeline (SQS',
    'lanes, the real dispatcher, DynamoDB shared state). Times are simulated; `× ideal` divides the clearance by',
    "the fastest legal schedule of one request per intent for the simulator's refill mode (in bulk-enrol, where",
    'bulk actions can carry many enrolments per request, the gate may beat it: a ratio below 1).',
    '',
    "Each scenario's scorecard (after the rate_throttle_client study) sets speed beside fairness: the retry ratio",
    '(429s per successful request), the spread of completion between producers (standard deviation and range of',
    "the times at which each producer's last intent settled), the longest single wait (due to settled) and the time",
    'to clear. `calls during a cool-down` counts the calls Outreach saw while a cool-down a 429 announced was in',
    'force (each is refused; in penalty mode each lengthens it). `bulk enrolments / h ÷ limit` is the bulk-lane enrolments that',
    'succeeded per simulated hour, from the first enqueue to the last of them settled, divided by Outreach’s',
    'requests per hour: 1 is what one request per enrolment can reach at best.',
    '',
    `Targets: the gate met ${tally.met}, missed ${tally.missed}, ${tally.unchecked} not checked (see [Targets](#targets)).`,
    '',
  ];
  for (const [name, scenario] of Object.entries(bench.scenarios)) {
    const summary = runs.find((run) => run.name === name)?.summary;
    out.push(
      `## ${name}`,
      '',
      ...(summary ? [`${summary}.`, ''] : []),
      `Ideal clearance: ${minutes(scenario.idealMs)}.`,
      '',
    );
    const rows = CONTENDERS.flatMap((contender) => {
      const entry = scenario.contenders[contender];
      return entry ? [[contender, ...COLUMNS.map(([, show]) => show(entry))]] : [];
    });
    out.push(markdownTable(['contender', ...COLUMNS.map(([heading]) => heading)], rows), '');
    const cards = CONTENDERS.flatMap((contender) => {
      const entry = scenario.contenders[contender];
      return entry ? [[contender, ...SCORECARD_COLUMNS.map(([, show]) => show(entry))]] : [];
    });
    out.push(
      'Scorecard:',
      '',
      markdownTable(['contender', ...SCORECARD_COLUMNS.map(([heading]) => heading)], cards),
      '',
    );
    const errors = Object.entries(runs.find((run) => run.name === name)?.errors ?? {});
    for (const [contender, reason] of errors) out.push(`**${contender} did not finish**: ${reason}`, '');
  }
  out.push(
    '## Targets',
    '',
    'Every target is checked for every contender side by side: ✓ met, ✗ missed, with the measured figure; – not',
    'measured (why); an empty cell where the target does not apply (DynamoDB and IAM: only the gate has AWS',
    'resources); "not run" when the scenario was not run.',
    '',
    markdownTable(['scenario', 'metric', 'target', ...CONTENDERS], targetRows(bench.targets), false),
    '',
    '## Cost',
    '',
    `\`USD / M intents\` prices the gate's measured SQS requests (sends, receives including empty ones, deletes,`,
    'visibility changes), Lambda invocations and handler time at the dispatcher memory (arm64), and DynamoDB reads',
    `and writes, at ${prices.region} list prices checked on ${prices.checkedOn}: SQS FIFO ${usd(prices.sqsFifoPerMillionRequests)} per million`,
    `requests, Lambda arm64 ${usd(prices.lambdaArmPerGbSecond)} per GB-second and ${usd(prices.lambdaPerMillionRequests)} per million requests,`,
    `DynamoDB on-demand ${usd(prices.dynamodbPerMillionWriteUnits)} per million write and ${usd(prices.dynamodbPerMillionReadUnits)} per million read`,
    `request units (\`bench/pricing.ts\`; ${prices.sources.join('; ')}). The other contenders have no infrastructure`,
    "of their own: their cost is their callers' compute.",
    '',
    '## See also',
    '',
    '`npm run bench:gate` (`bench/gate-admission.ts`) measures the gate alone: acquire/release pairs per second for',
    'one user against DynamoDB Local and the DynamoDB requests each pair costs.',
    '',
  );
  return out.join('\n');
}

/** A report-shaped shell around one contender's series, so the run report's chart specs can draw it. */
function chartShell(result: ContenderResult, users: readonly string[], spanMs: number): RunObservations {
  return {
    scenario: result.contender,
    timeScale: 1,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    intents: {
      enqueued: result.intents,
      succeeded: result.succeeded,
      deadLettered: result.failed,
      lost: result.lost,
      duplicatesCreated: result.duplicatesCreated,
    },
    upstream: {
      calls: result.upstreamCalls,
      byStatus: {},
      status429: result.status429,
      maxInFlight: result.maxInFlight,
      inFlightCap: result.inFlightCap,
      firstRetryAfterMs: result.firstRetryAfterMs,
      maxRetryAfterMs: result.maxRetryAfterMs,
      tokenMints: 0,
    },
    lanes: {
      critical: { waitP50Ms: 0, waitP99Ms: 0, succeeded: 0 },
      standard: { waitP50Ms: 0, waitP99Ms: 0, succeeded: 0 },
      bulk: { waitP50Ms: 0, waitP99Ms: 0, succeeded: 0 },
    },
    clearance: { actualMs: spanMs, idealMs: 0, ratio: 0 },
    dynamodb: { requests: 0, requestsPerIntent: 0 },
    users: [...users],
    series: {
      upstreamPerSecond: [...result.series.upstreamPerSecond],
      inFlight: [],
      laneDepth: [],
      laneWaitsMs: {},
      cooldowns: [...result.series.cooldowns],
      remainingBudget: [],
    },
    invariants: [],
  };
}

/** Size of one contender's chart, for four panels side by side. */
const PANEL_WIDTH = 400;
const PANEL_HEIGHT = 170;

/** The two seed-002 style charts of one contender, titled with its name. */
function contenderCharts(result: ContenderResult, users: readonly string[], spanMs: number): ChartDefinition[] {
  const charts = chartDefinitions(chartShell(result, users, spanMs), timeUnitFor(spanMs));
  return charts
    .filter((chart) => chart.id === 'chart-upstream' || chart.id === 'chart-cooldowns')
    .map((chart) => {
      const spec = chart.spec;
      if (spec === null || typeof spec.title !== 'object' || spec.title === null || Array.isArray(spec.title))
        return chart;
      const title = spec.title as { text: string; subtitle?: string };
      return {
        ...chart,
        spec: {
          ...spec,
          width: PANEL_WIDTH,
          height: PANEL_HEIGHT,
          // Four panels side by side: legends wrap so the chart, not the legend, sets the width.
          config: { ...spec.config, legend: { ...spec.config?.legend, columns: 3, labelLimit: 150 } },
          title: { ...title, text: `${result.contender}: ${title.text}` },
        },
      };
    });
}

const STYLE = `
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; background: #f6f6f4; }
main { max-width: 1500px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
p.meta { color: #555; margin: 0 0 12px; }
.panels { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.panel { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; }
.panel h3 { font-size: 15px; margin: 0 0 4px; }
.panel .figures { color: #555; font-size: 13px; margin: 0 0 6px; }
.panel svg { display: block; max-width: 100%; height: auto; }
.panel .empty { margin: 8px 0; padding: 14px; text-align: center; color: #555; border: 1px dashed #ddd; border-radius: 4px; }
table { border-collapse: collapse; background: white; border: 1px solid #ddd; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { padding: 5px 9px; border-top: 1px solid #ddd; text-align: right; } th:first-child, td:first-child { text-align: left; }
`;

/** `bench.html`: one section per scenario, one panel per contender, charts as inline SVG. */
export async function renderHtml(
  bench: BenchJson,
  runs: readonly ScenarioRuns[],
  users: Readonly<Record<string, readonly string[]>>,
): Promise<string> {
  const sections: string[] = [];
  for (const scenario of runs) {
    const entries = bench.scenarios[scenario.name];
    const spanMs = Math.max(
      1000,
      ...scenario.results.flatMap((result) => [
        result.clearanceMs,
        ...result.series.upstreamPerSecond.map((point) => point.t),
        ...result.series.cooldowns.map((point) => point.t),
      ]),
    );
    const panels: string[] = [];
    for (const contender of CONTENDERS) {
      const result = scenario.results.find((r) => r.contender === contender);
      const entry = entries?.contenders[contender];
      if (!result || !entry) continue;
      const charts: string[] = [];
      for (const chart of contenderCharts(result, users[scenario.name] ?? [], spanMs)) {
        charts.push(
          chart.spec === null
            ? `<p class="empty">${escapeHtml(chart.emptyText)}</p>`
            : await renderSvg(chart.spec, `${scenario.name}-${contender}-${chart.id}`),
        );
      }
      panels.push(
        `<section class="panel"><h3>${escapeHtml(contender)}</h3><p class="figures">clearance ${escapeHtml(minutes(entry.clearanceMs))} (${entry.clearanceRatio.toFixed(2)}× ideal) · ${entry.status429} × 429 · Retry-After ${escapeHtml(secondsText(entry.firstRetryAfterMs))} → ${escapeHtml(secondsText(entry.maxRetryAfterMs))} · lost ${entry.lost} · duplicates ${entry.duplicatesCreated} · retry ratio ${entry.retryRatio === null ? '–' : entry.retryRatio.toFixed(3)} · longest wait ${escapeHtml(minutes(entry.longestWaitMs))} · producer spread ${escapeHtml(minutes(entry.producerSpreadRangeMs))}</p>${charts.join('\n')}</section>`,
      );
    }
    sections.push(
      `<h2>${escapeHtml(scenario.name)}</h2><p class="meta">ideal clearance ${escapeHtml(minutes(scenario.idealMs))}; every time axis is simulated time since the first enqueue, the same for every panel</p><div class="panels">${panels.join('\n')}</div>`,
    );
  }
  const targetHtml = targetRows(bench.targets)
    .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>outreach-gate benchmark</title><style>${STYLE}</style></head>
<body><main>
<h1>The gate against what teams use today</h1>
<p class="meta">${bench.quick ? 'Quick run' : 'Full run'} on ${escapeHtml(bench.machine)}, ${escapeHtml(bench.date)}. Per scenario, per contender: what Outreach answered each second, by status, and the cool-downs (Retry-After) it announced.</p>
${sections.join('\n')}
<h2>Targets</h2>
<table><thead><tr>${['scenario', 'metric', 'target', ...CONTENDERS].map((heading) => `<th>${escapeHtml(heading)}</th>`).join('')}</tr></thead><tbody>
${targetHtml}
</tbody></table>
</main></body></html>
`;
}
