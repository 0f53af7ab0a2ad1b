/**
 * AWS list prices the benchmark prices the gate's measured usage with: one dated table, us-east-1, on-demand,
 * without free tiers or savings plans. Update the table (and its date and sources) rather than the arithmetic.
 */
import type { AwsUsage } from './types';

/** List prices in USD for the services the gate runs on. */
export interface PriceTable {
  readonly region: string;
  /** The day the prices were looked up (YYYY-MM-DD). */
  readonly checkedOn: string;
  /** Where they were read. */
  readonly sources: readonly string[];
  /** SQS FIFO: per million requests (each 64 KB chunk of a request counts as one). */
  readonly sqsFifoPerMillionRequests: number;
  /** Lambda on arm64 (the dispatcher's architecture): per GB-second of duration. */
  readonly lambdaArmPerGbSecond: number;
  /** Lambda: per million invocations. */
  readonly lambdaPerMillionRequests: number;
  /** DynamoDB on-demand, Standard table class: per million write request units. */
  readonly dynamodbPerMillionWriteUnits: number;
  /** DynamoDB on-demand, Standard table class: per million read request units. */
  readonly dynamodbPerMillionReadUnits: number;
}

/** us-east-1 list prices, checked on the date given. */
export const US_EAST_1_PRICES: PriceTable = {
  region: 'us-east-1',
  checkedOn: '2026-11-29',
  sources: [
    'SQS FIFO $0.50 per million requests (first 100 billion a month): https://aws.amazon.com/sqs/pricing/, as quoted by cloudburn.io (March 2026) and factualminds.com (June 2026)',
    'Lambda Arm $0.0000133334 per GB-second, $0.20 per million requests: https://aws.amazon.com/lambda/pricing/, as quoted by artillery.io prices.js and api-evangelist (2026)',
    'DynamoDB on-demand Standard $0.625 per million WRU, $0.125 per million RRU (since 2024-11-01): https://aws.amazon.com/dynamodb/pricing/on-demand/, as quoted by airbyte.com and jusdb.com (2025)',
  ],
  sqsFifoPerMillionRequests: 0.5,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
};

/** One run's AWS bill, by service, in USD. */
export interface AwsCost {
  readonly sqs: number;
  readonly lambdaDuration: number;
  readonly lambdaRequests: number;
  readonly dynamodbWrites: number;
  readonly dynamodbReads: number;
  readonly total: number;
}

/** Raised for usage that cannot be priced; the message names the field. */
export class PricingError extends Error {
  override readonly name = 'PricingError';
}

function checkCount(name: keyof AwsUsage, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new PricingError(`${name} must be a finite number of 0 or more, got ${value}`);
  }
}

/**
 * What `usage` costs at `prices`. Each DynamoDB request is priced as one request unit (items under 1 KB written,
 * under 4 KB read strongly consistent), and each SQS request as one 64 KB chunk, which fits the gate's small
 * intents. Pure.
 * @throws PricingError naming a negative or non-finite count.
 */
export function priceUsage(usage: AwsUsage, prices: PriceTable = US_EAST_1_PRICES): AwsCost {
  for (const [name, value] of Object.entries(usage)) checkCount(name as keyof AwsUsage, value);
  if (usage.lambdaMemoryMiB <= 0)
    throw new PricingError(`lambdaMemoryMiB must be above 0, got ${usage.lambdaMemoryMiB}`);
  const perMillion = (count: number, price: number) => (count / 1_000_000) * price;
  const gbSeconds = (usage.lambdaMemoryMiB / 1024) * (usage.lambdaHandlerMs / 1000);
  const cost = {
    sqs: perMillion(usage.sqsRequests, prices.sqsFifoPerMillionRequests),
    lambdaDuration: gbSeconds * prices.lambdaArmPerGbSecond,
    lambdaRequests: perMillion(usage.lambdaInvocations, prices.lambdaPerMillionRequests),
    dynamodbWrites: perMillion(usage.dynamodbWrites, prices.dynamodbPerMillionWriteUnits),
    dynamodbReads: perMillion(usage.dynamodbReads, prices.dynamodbPerMillionReadUnits),
  };
  return { ...cost, total: Object.values(cost).reduce((sum, usd) => sum + usd, 0) };
}

/**
 * USD per million intents for a run that handled `intents` intents with `usage`; 0 when there is no usage
 * (contenders that run inside their callers) or no intents. Pure.
 */
export function usdPerMillionIntents(
  usage: AwsUsage | null,
  intents: number,
  prices: PriceTable = US_EAST_1_PRICES,
): number {
  if (usage === null || intents <= 0) return 0;
  return (priceUsage(usage, prices).total / intents) * 1_000_000;
}
