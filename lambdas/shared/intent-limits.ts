/**
 * Bounds an intent must keep before its schema even looks at it. The schema walks values recursively, so a
 * value nested thousands of levels deep would overflow the stack, and a huge value would cost time for
 * nothing: both are refused here, by one iterative walk whose work is bounded by the limits themselves.
 */

/**
 * Largest serialised intent, in bytes (UTF-8 JSON): 256 KiB, SQS's classic message-size limit and still the
 * default `MaximumMessageSize` of a queue. SQS now accepts up to 1 MiB on a queue configured for it, but
 * staying at 256 KiB keeps a batch of 10 records under Lambda's 6 MB synchronous invocation payload, leaves
 * room for the attributes a dead-lettered copy adds, and works with every SQS emulator. The producer refuses
 * larger intents and the dispatcher dead-letters any larger body it receives, so none reaches Outreach.
 */
export const MAX_INTENT_BYTES = 262_144;

/**
 * Deepest nesting of objects and arrays in an intent, counting the intent itself as level 1. A JSON:API body
 * sits at level 3 (`operation.body`), its attributes at level 5, so 32 leaves room for any real payload.
 */
export const MAX_INTENT_DEPTH = 32;

/** Furthest ahead a deadline may be: SQS keeps a message at most 14 days, so a later deadline is never reached. */
export const MAX_DEADLINE_AHEAD_MS = 14 * 86_400_000;

/**
 * Where the shape walk stops counting: four times {@link MAX_INTENT_BYTES}. Values between the two are sized
 * exactly once serialised (and refused with their size); larger ones are refused before the schema runs.
 */
export const MAX_WALKED_BYTES = 4 * MAX_INTENT_BYTES;

/** Why a value's shape is refused: where, and what. */
export interface ShapeProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Whether `value` is too deep or certainly too large to be an intent, found without recursion. Sizes are
 * lower bounds of the JSON text (a string's UTF-16 length never exceeds its UTF-8 bytes), so nothing a valid
 * intent could hold is refused, and the walk stops after at most {@link MAX_WALKED_BYTES} values. Cycles
 * show up as values nested too deep.
 */
export function intentShapeProblem(value: unknown): ShapeProblem | undefined {
  const stack: Node[] = [{ value, depth: 0 }];
  let bytes = 0;
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const current = node.value;
    if (typeof current === 'string') {
      bytes += current.length + 2;
    } else if (typeof current === 'number') {
      bytes += String(current).length;
    } else if (typeof current === 'object' && current !== null) {
      if (node.depth + 1 > MAX_INTENT_DEPTH) {
        return { path: pathOf(node), message: `is nested more than ${MAX_INTENT_DEPTH} levels deep` };
      }
      bytes += 2;
      const depth = node.depth + 1;
      if (Array.isArray(current)) {
        bytes += current.length;
        if (bytes <= MAX_WALKED_BYTES) {
          for (let i = current.length - 1; i >= 0; i -= 1)
            stack.push({ value: current[i], depth, parent: node, key: i });
        }
      } else {
        const keys = Object.keys(current);
        for (const key of keys) bytes += key.length + 3;
        if (bytes <= MAX_WALKED_BYTES) {
          for (let i = keys.length - 1; i >= 0; i -= 1) {
            const key = keys[i] as string;
            stack.push({ value: (current as Record<string, unknown>)[key], depth, parent: node, key });
          }
        }
      }
    } else {
      bytes += 1;
    }
    if (bytes > MAX_WALKED_BYTES) {
      return {
        path: [],
        message: `is more than ${MAX_WALKED_BYTES} bytes as JSON; the limit is ${MAX_INTENT_BYTES} bytes (256 KiB)`,
      };
    }
  }
  return undefined;
}

/** A value met by the walk, with how it was reached (kept as links, so the path is only built for an error). */
interface Node {
  readonly value: unknown;
  readonly depth: number;
  readonly parent?: Node;
  readonly key?: string | number;
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * Why a producer may not send an intent with this deadline at `now`, or undefined: a deadline already past
 * would only be dead-lettered as expired, one more than {@link MAX_DEADLINE_AHEAD_MS} ahead outlives the queue.
 */
export function deadlineProblem(deadline: string, now: number): string | undefined {
  const at = Date.parse(deadline);
  if (Number.isNaN(at)) return 'is not a valid timestamp';
  if (at <= now) return `${deadline} is already past (now is ${new Date(now).toISOString()})`;
  if (at - now > MAX_DEADLINE_AHEAD_MS) {
    return `${deadline} is more than 14 days ahead: SQS keeps an intent at most 14 days, so set a nearer deadline or none`;
  }
  return undefined;
}
