/**
 * What the top of the report says: a one-line verdict, the big-number tiles and the per-lane wait table.
 * Pure: the same observations always read the same way.
 */
import { LANES, type Lane } from '../../lambdas/shared/names';
import { formatCount, formatDuration, formatNumber } from './format';
import type { RunObservations } from './types';

/** How a number should strike the reader. Always shown with a word or symbol too, never by colour alone. */
export type Tone = 'good' | 'warn' | 'bad' | 'neutral';

/** One big number. */
export interface Tile {
  label: string;
  value: string;
  detail: string;
  tone: Tone;
}

/** The run in one line, and whether it is good news. */
export interface Verdict {
  tone: Tone;
  text: string;
}

/** One lane's row in the wait table; waits in simulated ms. */
export interface LaneRow {
  lane: Lane;
  succeeded: number;
  waitP50Ms: number;
  waitP99Ms: number;
  /** Longest wait in the recorded waits, or null when none were recorded. */
  longestWaitMs: number | null;
  waitsRecorded: number;
}

/** A ratio to the ideal clearance up to which the run counts as spending the budget well. */
const GOOD_CLEARANCE_RATIO = 1.2;

/** The one-line verdict at the top of the page. */
export function verdictOf(obs: RunObservations): Verdict {
  const { intents, clearance, upstream, invariants } = obs;
  const broken = invariants.filter((invariant) => !invariant.holds);
  const outcome = `${formatCount(intents.succeeded)} of ${formatCount(intents.enqueued)} intents succeeded`;
  const pace = `in ${formatDuration(clearance.actualMs)} of simulated time (${formatRatio(clearance.ratio)} the ideal)`;
  if (broken.length > 0) {
    const names = broken.map((invariant) => invariant.name).join(', ');
    return {
      tone: 'bad',
      text: `✗ ${broken.length} of ${invariants.length} checks failed (${names}); ${outcome} ${pace}.`,
    };
  }
  if (invariants.length === 0) {
    return { tone: 'warn', text: `⚠ No checks were recorded for this run; ${outcome} ${pace}.` };
  }
  if (intents.deadLettered > 0) {
    return {
      tone: 'warn',
      text: `⚠ Every check passed, but ${plural(intents.deadLettered, 'intent was', 'intents were')} dead-lettered; ${outcome} ${pace}.`,
    };
  }
  const throttled = upstream.status429 === 0 ? 'no 429s' : plural(upstream.status429, '429 response', '429 responses');
  return {
    tone: 'good',
    text: `✓ Every check passed: ${outcome} ${pace}, with ${throttled} from Outreach.`,
  };
}

/** The row of big numbers under the header. */
export function tilesOf(obs: RunObservations): Tile[] {
  const { intents, upstream, clearance, dynamodb, lanes } = obs;
  const retryAfter =
    upstream.firstRetryAfterMs === null && upstream.maxRetryAfterMs === null
      ? 'Outreach never sent a Retry-After'
      : `first Retry-After ${formatOptionalDuration(upstream.firstRetryAfterMs)}, longest ${formatOptionalDuration(upstream.maxRetryAfterMs)}`;
  const urgentBeatsBulk = lanes.bulk.succeeded === 0 || lanes.critical.waitP99Ms <= lanes.bulk.waitP50Ms;
  return [
    {
      label: 'Intents succeeded',
      value: `${formatCount(intents.succeeded)} / ${formatCount(intents.enqueued)}`,
      detail: `${formatCount(intents.deadLettered)} dead-lettered with a reason`,
      tone: intents.lost > 0 ? 'bad' : intents.succeeded === intents.enqueued ? 'good' : 'warn',
    },
    {
      label: 'Lost',
      value: formatCount(intents.lost),
      detail: 'ended neither succeeded nor dead-lettered',
      tone: intents.lost === 0 ? 'good' : 'bad',
    },
    {
      label: 'Duplicates created',
      value: formatCount(intents.duplicatesCreated),
      detail: 'Outreach records created twice for one intent',
      tone: intents.duplicatesCreated === 0 ? 'good' : 'bad',
    },
    {
      label: '429s from Outreach',
      value: formatCount(upstream.status429),
      detail: `of ${formatCount(upstream.calls)} calls; ${retryAfter}`,
      tone: upstream.status429 === 0 ? 'good' : 'warn',
    },
    {
      label: 'Max in flight / cap',
      value: `${formatCount(upstream.maxInFlight)} / ${formatCount(upstream.inFlightCap)}`,
      detail: 'most requests at once for one user, against the cap',
      tone: upstream.maxInFlight <= upstream.inFlightCap ? 'good' : 'bad',
    },
    {
      label: 'Clearance vs ideal',
      value: formatRatio(clearance.ratio),
      detail: `took ${formatDuration(clearance.actualMs)}; the fastest legal schedule takes ${formatDuration(clearance.idealMs)}`,
      tone: clearance.ratio <= GOOD_CLEARANCE_RATIO ? 'good' : 'warn',
    },
    {
      label: 'DynamoDB requests per intent',
      value: formatNumber(dynamodb.requestsPerIntent, 2),
      detail: `${formatCount(dynamodb.requests)} requests in all; ${formatCount(upstream.tokenMints)} tokens minted`,
      tone: 'neutral',
    },
    {
      label: 'Critical p99 wait vs bulk p50',
      value: `${formatDuration(lanes.critical.waitP99Ms)} vs ${formatDuration(lanes.bulk.waitP50Ms)}`,
      detail:
        lanes.bulk.succeeded === 0
          ? 'no bulk intents to compare with'
          : urgentBeatsBulk
            ? 'urgent work waited less than typical bulk work'
            : 'urgent work waited longer than typical bulk work',
      tone: urgentBeatsBulk ? 'good' : 'warn',
    },
    ...awsTilesOf(obs),
  ];
}

/** Tiles for the IAM check and the function's time limit, when the run measured them. */
export function awsTilesOf(obs: RunObservations): Tile[] {
  const tiles: Tile[] = [];
  if (obs.iam) {
    const principals = Object.entries(obs.iam.checked)
      .map(([principal, actions]) => `${principal} ${formatCount(Object.values(actions).reduce((a, b) => a + b, 0))}`)
      .join(', ');
    tiles.push({
      label: 'AWS calls denied by IAM',
      value: formatCount(obs.iam.denied),
      detail:
        obs.iam.denied === 0
          ? `of ${formatCount(obs.iam.calls)} calls checked against the stack's policies (${principals})`
          : `first: ${obs.iam.denials.map((d) => `${d.principal} ${d.action} on ${d.resource}`)[0]}`,
      tone: obs.iam.denied === 0 ? 'good' : 'bad',
    });
  }
  if (obs.timeouts) {
    tiles.push({
      label: 'Invocations timed out',
      value: formatCount(obs.timeouts.count),
      detail: `of ${formatCount(obs.timeouts.invocations)} at the ${obs.timeouts.functionTimeoutSeconds} s function timeout; ${formatCount(obs.timeouts.throttles)} throttled`,
      tone: obs.timeouts.count === 0 ? 'good' : 'warn',
    });
  }
  if (obs.pump) {
    tiles.push({
      label: 'Receives avoided',
      value: formatCount(obs.pump.receivesAvoided),
      detail: `lanes paused ${plural(obs.pump.pauses, 'time', 'times')} while every user cooled down over ${formatDuration(obs.pump.pauseAfterMs)}, resumed ${plural(obs.pump.resumes, 'time', 'times')}`,
      tone: 'good',
    });
  }
  return tiles;
}

/** One row per lane, most urgent first. */
export function laneRowsOf(obs: RunObservations): LaneRow[] {
  return LANES.map((lane) => {
    const waits = obs.series.laneWaitsMs[lane] ?? [];
    let longest: number | null = null;
    for (const wait of waits) longest = longest === null ? wait : Math.max(longest, wait);
    return {
      lane,
      succeeded: obs.lanes[lane].succeeded,
      waitP50Ms: obs.lanes[lane].waitP50Ms,
      waitP99Ms: obs.lanes[lane].waitP99Ms,
      longestWaitMs: longest,
      waitsRecorded: waits.length,
    };
  });
}

/** A multiple of the ideal (`1.08×`). */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** `1 intent was`, `3 intents were`. */
function plural(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

function formatOptionalDuration(ms: number | null): string {
  return ms === null ? 'none' : formatDuration(ms);
}
