import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { IntentDispatcher } from '../../lambdas/dispatcher/dispatch';
import type { DeadLetter, GateMetrics, LaneQueues } from '../../lambdas/dispatcher/ports';
import { IntentValidationError, MAX_INTENT_BYTES, safeParseIntent } from '../../lambdas/shared/intent';
import { prepareIntent } from '../../lib/client/intent-message';
import { resolveGateSettings } from '../../lib/settings';

/**
 * Whatever a producer passes or a lane carries, validation answers with a validation error and never throws:
 * deep, wide, huge and oddly encoded values included. Bounded runs, so the suite stays quick.
 */

/** A value nested `levels` deep in arrays or objects, built without recursion. */
const nestedArbitrary = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()).map(([levels, asArrays]) => {
  let value: unknown = asArrays ? [] : {};
  for (let i = 1; i < levels; i += 1) value = asArrays ? [value] : { a: value };
  return value;
});

/** Strings of lone surrogates, control characters, astral and combining characters. */
const oddString = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\u0301', '\u200d', '\ufeff', '\u202e', '😀', '𝔸', 'ß', 'İ'),
    fc.constant('x'),
  ),
  maxLength: 64,
});

const hugeString = fc.constantFrom(10_000, 300_000, 1_200_000).map((n) => 'y'.repeat(n));

const wide = fc.integer({ min: 1000, max: 150_000 }).map((n) => Array.from({ length: n }, (_, i) => i));

/** Any JSON-ish value, with deep, wide, huge and odd parts. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.anything({ maxDepth: 4, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
  nestedArbitrary,
  oddString,
  hugeString,
  wide,
);

const KEYS = ['v', 'id', 'user', 'lane', 'operation', 'orderingKey', 'fields', 'deadline', 'correlationId'];

/** Intents close to valid, with one part replaced by an arbitrary value, so the schema's deeper checks run too. */
const nearIntent = fc
  .record({
    key: fc.constantFrom(...KEYS, 'operation.body', 'operation.path', 'operation.query', 'operation.method'),
    value: anyValue,
  })
  .map(({ key, value }) => {
    const intent: Record<string, unknown> = {
      v: 1,
      id: 'p-1',
      user: 'u1',
      lane: 'standard',
      operation: { type: 'request', method: 'POST', path: '/accounts', body: { data: {} } },
    };
    if (key.startsWith('operation.')) {
      (intent.operation as Record<string, unknown>)[key.slice('operation.'.length)] = value;
    } else {
      intent[key] = value;
    }
    return intent;
  });

const candidate = fc.oneof(anyValue, nearIntent);

describe('validation of arbitrary input', () => {
  it('GIVEN any value WHEN validated THEN it is valid or refused with an IntentValidationError, never thrown', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const result = safeParseIntent(value);
        return result.success || result.error instanceof IntentValidationError;
      }),
      { numRuns: 150 },
    );
  });

  it('GIVEN any value WHEN the producer prepares it THEN the only error it throws is an IntentValidationError', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        try {
          prepareIntent(value, { now: Date.parse('2030-01-01T00:00:00Z') });
          return true;
        } catch (error) {
          return error instanceof IntentValidationError;
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Raised by every port the dispatcher may only reach with a valid intent. */
class Reached extends Error {}

describe('the dispatcher receiving arbitrary message bodies', () => {
  const config = resolveGateSettings({ outreachUsers: ['u1'] }).gate;
  const lanes = {
    critical: { queueUrl: 'q/critical', queueArn: 'arn:critical', deadLetterQueueUrl: 'q/critical-dlq' },
    standard: { queueUrl: 'q/standard', queueArn: 'arn:standard', deadLetterQueueUrl: 'q/standard-dlq' },
    bulk: { queueUrl: 'q/bulk', queueArn: 'arn:bulk', deadLetterQueueUrl: 'q/bulk-dlq' },
  };
  const reached = () => {
    throw new Reached();
  };
  const unreachable = new Proxy({}, { get: () => reached });
  const silentMetrics = new Proxy({}, { get: () => () => {} }) as GateMetrics;

  function dispatcherWith(deadLetters: DeadLetter[]): IntentDispatcher {
    const queues: LaneQueues = {
      defer: reached,
      release: reached,
      resend: reached,
      delete: reached,
      hide: reached,
      deadLetter: async (_lane, message) => {
        deadLetters.push(message);
      },
    };
    return new IntentDispatcher({
      config,
      lanes,
      gate: unreachable as never,
      outreach: unreachable as never,
      tokens: unreachable as never,
      intents: unreachable as never,
      queues,
      metrics: silentMetrics,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      clock: () => Date.parse('2030-01-01T00:00:00Z'),
    });
  }

  const record = (body: string): SQSRecord =>
    ({
      messageId: 'm-1',
      receiptHandle: 'r-1',
      body,
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g', MessageDeduplicationId: 'd' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:standard',
      awsRegion: 'us-east-1',
    }) as unknown as SQSRecord;

  /** A body as it could sit on a lane: JSON of a candidate, or any text at all. */
  const body = fc.oneof(
    candidate.map((value) => {
      try {
        return JSON.stringify(value) ?? 'undefined';
      } catch {
        return String(typeof value);
      }
    }),
    oddString,
    fc.string({ unit: 'binary', maxLength: 200 }),
  );

  it('GIVEN any body on a lane WHEN processed THEN it is dead-lettered once as invalid, or it was a valid intent within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const deadLetters: DeadLetter[] = [];
        let outcome: unknown;
        try {
          outcome = await dispatcherWith(deadLetters).process(record(text));
        } catch (error) {
          if (!(error instanceof Reached)) throw error;
          // Only a valid intent within the limits may get past validation.
          const parsed = safeParseIntent(JSON.parse(text));
          return parsed.success && Buffer.byteLength(text) <= MAX_INTENT_BYTES && deadLetters.length === 0;
        }
        return (
          outcome === 'dead-lettered' &&
          deadLetters.length === 1 &&
          (deadLetters[0]?.reason === 'invalid' || deadLetters[0]?.reason === 'refused-by-policy')
        );
      }),
      { numRuns: 200 },
    );
  });
});
