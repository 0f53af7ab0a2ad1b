import { type PriceTable, PricingError, priceUsage, usdPerMillionIntents } from '../../bench/pricing';
import type { AwsUsage } from '../../bench/types';

/** Round numbers, so the expected costs can be read off by eye. */
const PRICES: PriceTable = {
  region: 'test-region',
  checkedOn: '2026-01-01',
  sources: ['test'],
  sqsFifoPerMillionRequests: 0.5,
  lambdaArmPerGbSecond: 0.00001,
  lambdaPerMillionRequests: 0.2,
  dynamodbPerMillionWriteUnits: 1,
  dynamodbPerMillionReadUnits: 0.25,
};

const USAGE: AwsUsage = {
  sqsRequests: 2_000_000,
  lambdaInvocations: 1_000_000,
  lambdaHandlerMs: 4_000_000, // 4,000 s at 512 MiB = 2,000 GB-s
  lambdaMemoryMiB: 512,
  dynamodbReads: 4_000_000,
  dynamodbWrites: 3_000_000,
};

describe('priceUsage', () => {
  it.each([
    ['SQS requests', 'sqs', 1],
    ['Lambda GB-seconds', 'lambdaDuration', 0.02],
    ['Lambda requests', 'lambdaRequests', 0.2],
    ['DynamoDB writes', 'dynamodbWrites', 3],
    ['DynamoDB reads', 'dynamodbReads', 1],
  ] as const)('GIVEN measured usage WHEN priced THEN %s cost count × list price', (_, line, usd) => {
    expect(priceUsage(USAGE, PRICES)[line]).toBeCloseTo(usd, 10);
  });

  it('GIVEN measured usage WHEN priced THEN the total is the sum of the lines', () => {
    expect(priceUsage(USAGE, PRICES).total).toBeCloseTo(1 + 0.02 + 0.2 + 3 + 1, 10);
  });

  it.each([
    ['sqsRequests', { sqsRequests: -1 }],
    ['lambdaHandlerMs', { lambdaHandlerMs: Number.NaN }],
    ['lambdaMemoryMiB', { lambdaMemoryMiB: 0 }],
  ] as const)('GIVEN an unusable %s WHEN priced THEN a PricingError names it', (field, patch) => {
    expect(() => priceUsage({ ...USAGE, ...patch }, PRICES)).toThrow(new RegExp(`^${field} must`));
    expect(() => priceUsage({ ...USAGE, ...patch }, PRICES)).toThrow(PricingError);
  });
});

describe('usdPerMillionIntents', () => {
  it('GIVEN the usage of 500,000 intents WHEN priced per million THEN it is twice the run total', () => {
    expect(usdPerMillionIntents(USAGE, 500_000, PRICES)).toBeCloseTo(2 * 5.22, 10);
  });

  it.each([
    ['no infrastructure of its own', null, 100],
    ['no intents', USAGE, 0],
  ] as const)('GIVEN a contender with %s WHEN priced THEN it costs 0', (_, usage, intents) => {
    expect(usdPerMillionIntents(usage, intents, PRICES)).toBe(0);
  });
});
