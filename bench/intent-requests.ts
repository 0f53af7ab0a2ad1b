/**
 * DynamoDB requests per delivered intent, in steady state (no budget pressure, no failures): every request the
 * dispatcher sends to DynamoDB is counted at its client's middleware while N prospect creates settle.
 *
 *   npx ts-node --transpile-only bench/intent-requests.ts [count]
 */
import { prospectCreate, startPipeline } from '../test/support/pipeline';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100);
  if (!Number.isInteger(count) || count <= 0)
    throw new Error(`count must be a positive integer, got ${process.argv[2]}`);
  const pipeline = await startPipeline({ outreachUsers: ['u1'], simulator: { users: ['u1'] } });
  try {
    const intents = Array.from({ length: count }, (_, n) => prospectCreate(n));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      120_000,
    );
    const succeeded = results.filter((r) => r.status === 'succeeded').length;
    const requests = pipeline.dispatcher.dynamodbRequests();
    const stats = pipeline.env.simulator?.stats();
    console.log(
      JSON.stringify({
        intents: count,
        succeeded,
        dynamodbRequests: requests,
        requestsPerIntent: Number((requests / succeeded).toFixed(3)),
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
