/** Writes a chaos run as `chaos.json` and `chaos.md`. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChaosReport } from './tally';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The run as Markdown: the faults with when they started and ended, then the outcome. Pure. */
export function chaosMarkdown(report: ChaosReport): string {
  const { tally } = report;
  const reasons = Object.entries(tally.deadLetteredByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [
    `# Chaos run (${report.mode}, seed ${report.seed})`,
    '',
    `Started ${report.startedAt}; settled after ${seconds(report.wallMs)} of wall time. Fault times are wall seconds from the first enqueue; Outreach runs ${report.timeScale}× faster than real time, so its faults last one simulated minute (${seconds(60_000 / report.timeScale)} of wall time) and cool-downs are in simulated time. Re-run with \`npm run chaos -- ${report.mode === 'quick' ? '--quick ' : ''}--seed ${report.seed}\`.`,
    '',
    '| Fault | Started | Ended | What happened |',
    '| --- | ---: | ---: | --- |',
    ...report.faults.map((f) => `| ${f.kind} | ${seconds(f.startedMs)} | ${seconds(f.endedMs)} | ${f.detail} |`),
    '',
    '| Measure | Value |',
    '| --- | ---: |',
    `| Intents enqueued | ${tally.enqueued} |`,
    `| Succeeded | ${tally.succeeded} |`,
    `| Dead-lettered | ${tally.deadLettered}${reasons ? ` (${reasons})` : ''} |`,
    `| Lost | ${tally.lost} |`,
    `| Records created twice | ${tally.createdTwice} |`,
    `| Calls during a cool-down | ${tally.callsDuringCooldown} |`,
    `| 429s | ${tally.status429} |`,
    `| Longest cool-down (simulated) | ${seconds(tally.longestCooldownMs)} |`,
    `| Upstream calls | ${tally.upstreamCalls} |`,
    `| Dispatcher workers restarted | ${report.workerRestarts} |`,
    '',
  ];
  if (tally.lostIds.length > 0)
    lines.push(`Lost intents (first ${tally.lostIds.length}): ${tally.lostIds.join(', ')}`, '');
  return lines.join('\n');
}

/** Writes `chaos.json` and `chaos.md` into `dir` (created if missing); returns their paths. */
export async function writeChaosReport(
  dir: string,
  report: ChaosReport,
): Promise<{ readonly jsonPath: string; readonly markdownPath: string }> {
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, 'chaos.json');
  const markdownPath = join(dir, 'chaos.md');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdownPath, chaosMarkdown(report));
  return { jsonPath, markdownPath };
}
