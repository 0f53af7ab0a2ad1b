/** Faults of Outreach itself, switched in the simulator: token endpoint down, 503 + Retry-After, no answer, bare 429s. */
import { sleep } from '../sleep';
import { type Injector, timed } from './injector';

/** The token endpoint answers 503 for the fault's duration. */
export const tokenEndpointDown: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    context.simulator.configure({ faults: { tokenOutage: { durationMs: fault.durationMs } } });
    await sleep(fault.durationMs);
    return `POST /oauth/token answered 503 for ${fault.durationMs} wall ms`;
  });

/** The API answers 503 scheduledServerMaintenance with Retry-After for the fault's duration. */
export const outreach503: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    context.simulator.configure({ faults: { maintenance: { durationMs: fault.durationMs } } });
    await sleep(fault.durationMs);
    return `API answered 503 + Retry-After for ${fault.durationMs} wall ms`;
  });

/** The API holds every request open without answering for the fault's duration. */
export const outreachUnresponsive: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    context.simulator.configure({ faults: { unresponsive: { durationMs: fault.durationMs } } });
    await sleep(fault.durationMs);
    return `API held requests open without an answer for ${fault.durationMs} wall ms`;
  });

/**
 * The next `fault.count` API requests get a 429 without headers; ends when they are used up, or after
 * `fault.durationMs` (the gate, cooling down, may not call again that soon): the rest are then called off.
 */
export const bare429Burst: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    const count = fault.count ?? 1;
    context.simulator.configure({ faults: { bare429Next: count } });
    const until = Date.now() + fault.durationMs;
    while (context.simulator.stats().config.faults.bare429Next > 0 && Date.now() < until) await sleep(100);
    const left = context.simulator.stats().config.faults.bare429Next;
    context.simulator.configure({ faults: { bare429Next: 0 } });
    return `${count - left} of ${count} API requests answered 429 without Retry-After or rate-limit headers${left > 0 ? ' (the rest called off)' : ''}`;
  });
