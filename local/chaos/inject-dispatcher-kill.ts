/** Fault: a dispatcher process killed with SIGKILL mid-batch; a new one takes its place, as Lambda would start one. */
import { sleep } from '../sleep';
import { type Injector, timed } from './injector';

/** Longest wait for a worker to have a batch in hand before killing the busiest anyway. */
const BUSY_WAIT_MS = 30_000;

/** Kills the busiest worker once one is mid-batch. */
export const killDispatcher: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    const until = Date.now() + BUSY_WAIT_MS;
    while (context.workers.inFlight(context.workers.busiest()) === 0 && Date.now() < until) await sleep(20);
    const index = context.workers.busiest();
    const held = context.workers.kill(index);
    return `worker ${index} killed with SIGKILL holding ${held} invocation(s); their messages return after the visibility timeout`;
  });
