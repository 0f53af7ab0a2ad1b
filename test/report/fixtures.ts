/**
 * Observations for report tests: a tiny hand-written run whose every number is known, and a realistic
 * synthetic run (two users, three lanes, one fixed-window reset) generated deterministically from a seed.
 */
import { LANES, type Lane } from '../../lambdas/shared/names';
import type { RunObservations } from '../../local/report/types';

/** A tiny run: 10 intents, one 429 with a 5 s cool-down, every check passing. */
export function smallRun(overrides: Partial<RunObservations> = {}): RunObservations {
  return {
    scenario: 'small-burst',
    timeScale: 60,
    startedAt: '2025-01-02T03:00:00.000Z',
    finishedAt: '2025-01-02T03:00:30.000Z',
    intents: { enqueued: 10, succeeded: 9, deadLettered: 1, lost: 0, duplicatesCreated: 0 },
    upstream: {
      calls: 12,
      byStatus: { '2xx': 9, '429': 1, '4xx': 1, '5xx': 1 },
      status429: 1,
      maxInFlight: 3,
      inFlightCap: 4,
      firstRetryAfterMs: 5000,
      maxRetryAfterMs: 5000,
      tokenMints: 1,
    },
    lanes: {
      critical: { waitP50Ms: 200, waitP99Ms: 900, succeeded: 2 },
      standard: { waitP50Ms: 1500, waitP99Ms: 6000, succeeded: 3 },
      bulk: { waitP50Ms: 9000, waitP99Ms: 20000, succeeded: 4 },
    },
    clearance: { actualMs: 24_000, idealMs: 20_000, ratio: 1.2 },
    dynamodb: { requests: 45, requestsPerIntent: 4.5 },
    users: ['alice'],
    series: {
      upstreamPerSecond: [
        { t: 0, status: '2xx', count: 3 },
        { t: 1000, status: '2xx', count: 3 },
        { t: 1000, status: '429', count: 1 },
        { t: 7000, status: '5xx', count: 1 },
        { t: 8000, status: '2xx', count: 2 },
        { t: 8000, status: '4xx', count: 1 },
        { t: 20_000, status: '2xx', count: 1 },
      ],
      inFlight: [
        { t: 0, value: 3 },
        { t: 1000, value: 3 },
        { t: 2000, value: 0 },
        { t: 7000, value: 2 },
        { t: 9000, value: 0 },
        { t: 20_000, value: 1 },
        { t: 21_000, value: 0 },
      ],
      laneDepth: [
        { t: 0, lane: 'critical', visible: 2, inFlight: 0 },
        { t: 0, lane: 'standard', visible: 3, inFlight: 0 },
        { t: 0, lane: 'bulk', visible: 5, inFlight: 0 },
        { t: 5000, lane: 'critical', visible: 0, inFlight: 0 },
        { t: 5000, lane: 'standard', visible: 1, inFlight: 0 },
        { t: 5000, lane: 'bulk', visible: 4, inFlight: 1 },
        { t: 24_000, lane: 'critical', visible: 0, inFlight: 0 },
        { t: 24_000, lane: 'standard', visible: 0, inFlight: 0 },
        { t: 24_000, lane: 'bulk', visible: 0, inFlight: 0 },
      ],
      laneWaitsMs: {
        critical: [150, 900],
        standard: [800, 1500, 6000],
        bulk: [7000, 9000, 12_000, 20_000],
      },
      cooldowns: [{ t: 1000, user: 'alice', waitMs: 5000 }],
      remainingBudget: [
        { t: 0, user: 'alice', remaining: 7 },
        { t: 1000, user: 'alice', remaining: 0 },
        { t: 6000, user: 'alice', remaining: 10 },
        { t: 20_000, user: 'alice', remaining: 5 },
      ],
    },
    invariants: [
      { name: 'lost == 0', holds: true, detail: '0 intents lost' },
      { name: 'duplicatesCreated == 0', holds: true, detail: 'no prospect created twice' },
      { name: 'maxInFlight <= cap', holds: true, detail: 'at most 3 in flight against a cap of 4' },
    ],
    ...overrides,
  };
}

/** A small seeded PRNG (mulberry32), so the synthetic run is the same every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pending {
  lane: Lane;
  enqueuedAt: number;
}

/**
 * A realistic run: two users each with 10,000 requests per fixed hour, ~26,000 intents (mostly bulk, a standing
 * trickle of critical ones). Each user spends its window as fast as 10 leases allow, holds back a critical reserve
 * until two minutes before the reset, finishes after the reset. Another service quietly spends some of bob's
 * budget, so when the reserve is released bob gets a 429 announcing a cool-down until the reset. Occasional 5xx and timeouts are retried.
 */
export function realisticRun(seed = 7): RunObservations {
  const next = random(seed);
  const users = ['alice', 'bob'];
  const windowS = 3600;
  const limit = 10_000;
  const reserve = 500;
  const reserveReleaseS = 120;
  const perSecondPerUser = 33;
  const cap = 10;

  const upstreamPerSecond: RunObservations['series']['upstreamPerSecond'] = [];
  const inFlight: RunObservations['series']['inFlight'] = [];
  const laneDepth: RunObservations['series']['laneDepth'] = [];
  const remainingBudget: RunObservations['series']['remainingBudget'] = [];
  const cooldowns: RunObservations['series']['cooldowns'] = [];
  const waits: Record<Lane, number[]> = { critical: [], standard: [], bulk: [] };
  const byStatus: Record<string, number> = {};
  let maxInFlight = 0;
  let firstRetryAfterMs: number | null = null;

  const queues = new Map<string, Pending[]>(
    users.map((user) => [
      user,
      [
        ...Array.from({ length: 1750 }, (): Pending => ({ lane: 'standard', enqueuedAt: 0 })),
        ...Array.from({ length: 11_000 }, (): Pending => ({ lane: 'bulk', enqueuedAt: Math.floor(next() * 30) })),
      ],
    ]),
  );
  const critical = new Map<string, Pending[]>(users.map((user) => [user, []]));
  const remaining = new Map(users.map((user) => [user, limit]));
  const cooldownUntil = new Map(users.map((user) => [user, 0]));
  let enqueued = 2 * (1750 + 11_000);
  let lastSettled = 0;
  let unseenSpend = 0;

  for (let s = 0; s < 2 * windowS; s++) {
    const tMs = s * 1000;
    const counts: Record<string, number> = {};
    let flying = 0;
    if (s % windowS === 0) {
      for (const user of users) remaining.set(user, limit);
      unseenSpend = 0;
    }
    if (s === 150) {
      // Another service spends some of bob's budget behind the gate's back.
      remaining.set('bob', (remaining.get('bob') ?? 0) - 60);
      unseenSpend = 60;
    }
    for (const user of users) {
      const urgent = critical.get(user) ?? [];
      if (s < 3640 && next() < 0.12) urgent.push({ lane: 'critical', enqueuedAt: s });
      const backlog = queues.get(user) ?? [];
      const releaseReserve = s % windowS >= windowS - reserveReleaseS;
      let served = 0;
      const rate = perSecondPerUser - 2 + Math.floor(next() * 5);
      while (served < rate && (cooldownUntil.get(user) ?? 0) <= s) {
        const useCritical = urgent.length > 0;
        const left = remaining.get(user) ?? 0;
        const believed = left + (user === 'bob' ? unseenSpend : 0);
        const spendable = useCritical || releaseReserve ? believed : believed - reserve;
        if (spendable <= 0) break;
        const item = useCritical ? urgent.shift() : backlog.shift();
        if (item === undefined) break;
        served++;
        if (left <= 0) {
          // The gate believed budget was left; Outreach disagrees and announces a cool-down until the reset.
          const waitMs = ((windowS - (s % windowS)) * 1000) | 0;
          counts['429'] = (counts['429'] ?? 0) + 1;
          cooldowns.push({ t: tMs + Math.floor(next() * 1000), user, waitMs });
          firstRetryAfterMs ??= waitMs;
          cooldownUntil.set(user, s + waitMs / 1000 + 1);
          (useCritical ? urgent : backlog).unshift(item);
          break;
        }
        remaining.set(user, left - 1);
        const roll = next();
        const status = roll < 0.003 ? '5xx' : roll < 0.004 ? 'timeout' : '2xx';
        counts[status] = (counts[status] ?? 0) + 1;
        if (status === '2xx') {
          const settledMs = tMs + 150 + Math.floor(next() * 500);
          waits[item.lane].push(settledMs - item.enqueuedAt * 1000 + Math.floor(next() * 300));
          lastSettled = Math.max(lastSettled, settledMs);
        } else {
          (useCritical ? urgent : backlog).push(item);
        }
      }
      const userFlying = Math.min(cap, Math.round((served * 0.3 + next()) * 10) / 10);
      flying += Math.floor(userFlying);
      if (s % 5 === 0) remainingBudget.push({ t: tMs, user, remaining: Math.max(0, remaining.get(user) ?? 0) });
    }
    for (const [status, count] of Object.entries(counts)) {
      upstreamPerSecond.push({ t: tMs, status, count });
      byStatus[status] = (byStatus[status] ?? 0) + count;
    }
    inFlight.push({ t: tMs, value: flying });
    maxInFlight = Math.max(maxInFlight, Math.ceil(flying / users.length));
    if (s % 5 === 0) {
      for (const lane of LANES) {
        let depth = 0;
        for (const user of users) {
          const list = lane === 'critical' ? (critical.get(user) ?? []) : (queues.get(user) ?? []);
          depth += list.filter((item) => item.lane === lane && item.enqueuedAt <= s).length;
        }
        const handling = Math.min(depth, lane === 'critical' ? 1 : 10);
        laneDepth.push({ t: tMs, lane, visible: depth - handling, inFlight: handling });
      }
    }
    const done = users.every(
      (user) => (queues.get(user)?.length ?? 0) === 0 && (critical.get(user)?.length ?? 0) === 0,
    );
    if (done && s > 3640) break;
  }

  enqueued += waits.critical.length;
  const succeeded = waits.critical.length + waits.standard.length + waits.bulk.length;
  const calls = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const quantile = (values: number[], q: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  };
  const lane = (name: Lane) => ({
    waitP50Ms: quantile(waits[name], 0.5),
    waitP99Ms: quantile(waits[name], 0.99),
    succeeded: waits[name].length,
  });
  const idealMs = (windowS + (succeeded / users.length - limit) / perSecondPerUser) * 1000;
  const dynamoRequests = Math.round(succeeded * 4.3);
  return {
    scenario: 'two-users-fixed-window',
    timeScale: 30,
    startedAt: '2025-01-02T03:00:00.000Z',
    finishedAt: new Date(Date.parse('2025-01-02T03:00:00.000Z') + Math.ceil(lastSettled / 30)).toISOString(),
    intents: { enqueued, succeeded, deadLettered: enqueued - succeeded, lost: 0, duplicatesCreated: 0 },
    upstream: {
      calls,
      byStatus,
      status429: byStatus['429'] ?? 0,
      maxInFlight,
      inFlightCap: cap,
      firstRetryAfterMs,
      maxRetryAfterMs: cooldowns.reduce<number | null>((max, c) => Math.max(max ?? 0, c.waitMs), null),
      tokenMints: 2,
    },
    lanes: { critical: lane('critical'), standard: lane('standard'), bulk: lane('bulk') },
    clearance: { actualMs: lastSettled, idealMs, ratio: Math.round((lastSettled / idealMs) * 1000) / 1000 },
    dynamodb: { requests: dynamoRequests, requestsPerIntent: Math.round((dynamoRequests / enqueued) * 100) / 100 },
    users,
    series: { upstreamPerSecond, inFlight, laneDepth, laneWaitsMs: waits, cooldowns, remainingBudget },
    invariants: [
      { name: 'lost == 0', holds: true, detail: 'every intent ended succeeded or dead-lettered' },
      { name: 'duplicatesCreated == 0', holds: true, detail: 'no Outreach record was created twice' },
      {
        name: 'maxInFlight <= cap',
        holds: maxInFlight <= cap,
        detail: `at most ${maxInFlight} requests in flight for one user against a cap of ${cap}`,
      },
      {
        name: 'no call during a cool-down',
        holds: true,
        detail: '0 upstream calls while a user was told to wait',
      },
      { name: 'critical p99 < bulk p50', holds: true, detail: 'urgent work was never starved by bulk' },
    ],
  };
}
