/** Fault: DynamoDB Local stopped, then restarted on the same port and data. */
import { sleep } from '../sleep';
import { type Injector, timed } from './injector';

/** Stops DynamoDB Local for the fault's duration and starts it again on its files. */
export const stopDynamoDb: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    await context.env.dynamodbLocal.stop();
    await sleep(fault.durationMs);
    const restarting = Date.now();
    await context.env.dynamodbLocal.restart();
    return `stopped for ${fault.durationMs / 1000} s, back on the same data ${((Date.now() - restarting) / 1000).toFixed(1)} s after the restart began`;
  });
