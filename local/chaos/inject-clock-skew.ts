/** Fault: two dispatchers whose clocks are 1.5 s apart. */
import { sleep } from '../sleep';
import { type Injector, timed } from './injector';

/** How far the second dispatcher's clock runs ahead. */
export const CLOCK_SKEW_MS = 1500;

/** Sets the second worker's clock {@link CLOCK_SKEW_MS} ahead for the fault's duration. */
export const skewClock: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    context.workers.setClockOffset(1, CLOCK_SKEW_MS);
    await sleep(fault.durationMs);
    context.workers.setClockOffset(1, 0);
    return `worker 1's clock ran ${CLOCK_SKEW_MS} ms ahead of worker 0's for ${fault.durationMs} wall ms`;
  });
