/**
 * DynamoDB requests per delivered intent: every request the dispatcher sends to DynamoDB is counted at its
 * client's middleware while N prospect creates settle. In steady state (no budget pressure, no failures) by
 * default; with `--budget B`, Outreach and the gate allow only B requests per 10 s window, so intents wait for
 * the budget (deferrals) and the figure shows what waiting costs. A single-path intent costs its record's claim,
 * one admission (which also returns the lease of the invocation's previous request) and its record's settle, plus
 * one lease returned on its own per invocation; a deferral the gate's cached item decides costs nothing.
 *
 *   npx ts-node --transpile-only bench/intent-requests.ts [count] [--budget B]
 */
import { prospectCreate, startPipeline } from '../test/support/pipeline';

/** Window of the budget-pressure mode, in seconds. */
const PRESSURE_WINDOW_SECONDS = 10;

function parseArgs(argv: readonly string[]): { count: number; budget?: number } {
  const budgetAt = argv.indexOf('--budget');
  const budget = budgetAt === -1 ? undefined : Number(argv[budgetAt + 1]);
  const rest = argv.filter((_, i) => budgetAt === -1 || (i !== budgetAt && i !== budgetAt + 1));
  const count = Number(rest[0] ?? 100);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`count must be a positive integer, got ${rest[0]}`);
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    throw new Error(`--budget must be a positive integer, got ${argv[budgetAt + 1]}`);
  }
  return budget === undefined ? { count } : { count, budget };
}

async function main(): Promise<void> {
  const { count, budget } = parseArgs(process.argv.slice(2));
  const pressure =
    budget === undefined
      ? {}
      : { budgetPerWindow: budget, budgetWindowSeconds: PRESSURE_WINDOW_SECONDS, safetyMargin: 1 };
  const pipeline = await startPipeline({
    outreachUsers: ['u1'],
    ...pressure,
    simulator: {
      users: ['u1'],
      // Tokens keep Outreach's real lifetime and mint interval: only the budget's window is short.
      ...(budget === undefined ? {} : { budget, windowSeconds: PRESSURE_WINDOW_SECONDS, timeScale: 1 }),
    },
  });
  try {
    const intents = Array.from({ length: count }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      300_000,
    );
    const succeeded = results.filter((r) => r.status === 'succeeded').length;
    const requests = pipeline.dispatcher.dynamodbRequests();
    const gateRequests = pipeline.dispatcher.gate.requestCount;
    const stats = pipeline.env.simulator?.stats();
    console.log(
      JSON.stringify({
        intents: count,
        ...(budget === undefined ? {} : { budgetPerWindow: budget, windowSeconds: PRESSURE_WINDOW_SECONDS }),
        succeeded,
        dynamodbRequests: requests,
        requestsPerIntent: Number((requests / succeeded).toFixed(3)),
        // Of which on the gate items: admissions (each returning the previous request's lease when it can),
        // leases returned on their own (after a 429 or a failure, before a wait, at the end of an invocation).
        gateRequestsPerIntent: Number((gateRequests / succeeded).toFixed(3)),
        status429: stats?.total.status429,
        duplicatesCreated: stats?.total.duplicatesCreated,
      }),
    );
  } finally {
    await pipeline.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
