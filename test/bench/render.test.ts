/** bench.md: the scorecard table beside the clearance table, per scenario. */
import { assembleBench, type ScenarioRuns } from '../../bench/assemble';
import { US_EAST_1_PRICES } from '../../bench/pricing';
import { renderMarkdown } from '../../bench/render';
import type { ContenderName, ContenderResult } from '../../bench/types';

/** A scorecard with no retries, no spread measured and nothing waiting: each test sets only what it checks. */
const QUIET_SCORECARD: ContenderResult['scorecard'] = {
  retryRatio: 0,
  producerFinishMs: {},
  producerSpreadStdevMs: null,
  producerSpreadRangeMs: null,
  longestWaitMs: null,
  timeToClearMs: 600_000,
};

/** A contender's smoke-run row (ten intents in ten minutes); its scorecard is the quiet one but for `scorecard`. */
const result = (contender: ContenderName, scorecard: Partial<ContenderResult['scorecard']> = {}): ContenderResult => ({
  contender,
  intents: 10,
  clearanceMs: 600_000,
  succeeded: 10,
  failed: 0,
  lost: 0,
  duplicatesCreated: 0,
  upstreamCalls: 12,
  status429: 2,
  max429PerUserWindow: 1,
  status429ByUserWindow: { u1: [1] },
  callsDuringCooldown: null,
  bulkEnrolments: null,
  firstRetryAfterMs: null,
  maxRetryAfterMs: null,
  maxInFlight: 2,
  inFlightCap: 4,
  waitsMs: { bulk: { p50: 60_000, p99: 120_000, count: 10 } },
  dynamodbRequestsPerIntent: 0,
  aws: null,
  series: { upstreamPerSecond: [], cooldowns: [] },
  wallMs: 1_000,
  scorecard: { ...QUIET_SCORECARD, ...scorecard },
});

function render(results: ContenderResult[]): string {
  const runs: ScenarioRuns[] = [
    {
      name: 'smoke',
      idealMs: 600_000,
      penalty: false,
      rateLimitHeaders: true,
      injectedFaults: false,
      limitPerHour: 40,
      results,
    },
  ];
  const bench = assembleBench({ machine: 'test', date: '2026-01-01T00:00:00.000Z', quick: true }, runs);
  return renderMarkdown(bench, runs, { prices: US_EAST_1_PRICES, command: 'npm run bench', wallSeconds: 1 });
}

describe('renderMarkdown', () => {
  test('GIVEN a contender with a full scorecard WHEN rendered THEN its scorecard row shows every figure', () => {
    const markdown = render([
      result('bottleneck-cluster', {
        retryRatio: 0.2,
        producerFinishMs: { a: 300_000, b: 600_000 },
        producerSpreadStdevMs: 150_000,
        producerSpreadRangeMs: 300_000,
        longestWaitMs: 540_000,
        timeToClearMs: 600_000,
      }),
    ]);
    expect(markdown).toContain('| bottleneck-cluster | 0.200 | 2.5 min / 5.0 min | 9.0 min | 10.0 min | 1.00 |');
  });

  test('GIVEN a contender that could not measure the spread WHEN rendered THEN the spread shows – rather than 0', () => {
    const markdown = render([result('gate', { producerFinishMs: null, longestWaitMs: 540_000 })]);
    expect(markdown).toContain('| gate | 0.000 | – / – | 9.0 min | 10.0 min | 1.00 |');
  });

  test('GIVEN waits on the bulk lane WHEN rendered THEN the clearance table shows bulk p50 / p99', () => {
    const markdown = render([result('naive')]);
    expect(markdown).toMatch(/\| naive \|.*\| 60 s \/ 120 s \|/);
  });

  test('GIVEN a target met by the gate and missed by naive WHEN rendered THEN the targets table shows both side by side with the figure', () => {
    const markdown = render([{ ...result('naive'), lost: 3 }, result('gate')]);
    expect(markdown).toContain('| smoke | lost | = 0 | ✗ 3 |  |  | ✓ 0 |');
  });

  test('GIVEN calls the Outreach in use did not count WHEN rendered THEN calls during a cool-down show – not measured', () => {
    const markdown = render([result('gate')]);
    expect(markdown).toContain('| smoke | calls during a cool-down | = 0 |  |  |  | – not measured |');
  });

  test('GIVEN the list prices WHEN rendered THEN the cost section states each one', () => {
    const markdown = render([result('gate')]).replace(/\n/g, ' ');
    expect(
      [
        'SQS FIFO $0.50 per million requests',
        'Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests',
        'DynamoDB on-demand $0.625 per million write and $0.125 per million read request units',
      ].filter((text) => !markdown.includes(text)),
    ).toEqual([]);
  });
});
