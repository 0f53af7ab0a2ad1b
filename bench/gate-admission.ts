import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbGateStore } from '../lambdas/adapters/dynamodb-gate-store';
import type { Lease, Wait } from '../lambdas/gate/port';
import { LANES, type Lane, TABLE_KEYS } from '../lambdas/shared/names';
import { resolveGateSettings } from '../lib/settings';
import { createGateTable, dynamoDbLocalClient, startDynamoDbLocal } from '../local/emulators/dynamodb';

/**
 * Gate admission microbenchmark: how many acquire/release pairs per second the DynamoDB gate sustains for one
 * user with 20 concurrent callers against DynamoDB Local, and how many DynamoDB requests each pair costs.
 *
 *   npx ts-node --transpile-only bench/gate-admission.ts [--admissions 2000] [--callers 20] [--dispatchers 1] [--hold-ms 0]
 *
 * `--dispatchers` spreads the callers over that many store instances (separate caches, as separate Lambdas
 * have). The budget is set high so only the leases (the default in-flight cap) and DynamoDB bound the rate.
 */

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`--${name} must be a non-negative integer, got ${process.argv[index + 1] ?? '(nothing)'}`);
  }
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const admissions = option('admissions', 2000);
  const callers = option('callers', 20);
  const holdMs = option('hold-ms', 0);
  const dispatcherCount = Math.max(1, option('dispatchers', 1));
  const settings = resolveGateSettings({ budgetPerWindow: 10_000_000 });

  const local = await startDynamoDbLocal();
  const client = dynamoDbLocalClient(local.endpoint);
  try {
    const tableName = 'gate-bench';
    await createGateTable(client, tableName);
    const documentClient = DynamoDBDocumentClient.from(client);
    const stores = Array.from(
      { length: dispatcherCount },
      () => new DynamoDbGateStore(documentClient, { tableName, config: settings.gate }),
    );
    const requestCount = () => stores.reduce((sum, store) => sum + store.requestCount, 0);
    const user = 'bench-user';

    // Warm up the connection pool and the JIT before measuring.
    for (const store of stores) {
      for (let i = 0; i < 25; i++) {
        const lease = await store.acquire(user, 'standard');
        if (lease.kind === 'lease') await store.release(lease, { status: 200 });
      }
    }

    const startRequests = requestCount();
    let remaining = admissions;
    let leaseWaits = 0;
    let mostInFlight = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: callers }, async (_, index) => {
        const lane = LANES[index % LANES.length] as Lane;
        const store = stores[index % stores.length] as DynamoDbGateStore;
        while (remaining > 0) {
          const result: Lease | Wait = await store.acquire(user, lane);
          if (result.kind === 'wait') {
            if (result.reason !== 'lease') throw new Error(`unexpected ${result.reason} wait in the benchmark`);
            leaseWaits++;
            await store.waitForRelease(user, Math.max(1, Math.min(50, result.untilMs - Date.now())));
            continue;
          }
          remaining--;
          mostInFlight = Math.max(mostInFlight, result.inFlight);
          if (holdMs > 0) await sleep(holdMs);
          await store.release(result, { status: 200 });
        }
      }),
    );
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const done = admissions - Math.min(0, remaining);
    const requests = requestCount() - startRequests;

    // What the emulator itself sustains on this machine right now: plain UpdateItems on one hot key.
    let updatesLeft = admissions;
    const baselineStarted = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (updatesLeft-- > 0) {
          await documentClient.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { [TABLE_KEYS.partitionKey]: 'baseline' },
              UpdateExpression: 'ADD #n :one',
              ExpressionAttributeNames: { '#n': 'n' },
              ExpressionAttributeValues: { ':one': 1 },
            }),
          );
        }
      }),
    );
    const baselineMs = Number(process.hrtime.bigint() - baselineStarted) / 1e6;

    console.log(
      `gate admission: ${callers} callers over ${dispatcherCount} dispatcher(s), one user, in-flight cap ${settings.gate.leases.inFlightCap}, hold ${holdMs} ms`,
    );
    console.log(`  admissions:            ${done} in ${(elapsedMs / 1000).toFixed(2)} s`);
    console.log(`  admissions/s:          ${((done / elapsedMs) * 1000).toFixed(0)}`);
    console.log(`  DynamoDB requests/pair ${(requests / done).toFixed(2)} (acquire + release)`);
    console.log(`  lease waits:           ${leaseWaits}`);
    console.log(`  most leases in flight: ${mostInFlight}`);
    console.log(
      `  emulator baseline:     ${((admissions / baselineMs) * 1000).toFixed(0)} plain UpdateItems/s on one key`,
    );
  } finally {
    client.destroy();
    await local.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
