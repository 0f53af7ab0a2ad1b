import { RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import type { OutreachGateStackProps } from './outreach-gate-stack';
import { type CoalescingOptions, GateSettingsError, type LaneOptions } from './settings';

/** Prefix of every CDK context key the app reads (`cdk deploy -c outreach-gate:users=alice,bob`). */
export const CONTEXT_PREFIX = 'outreach-gate:';

/** The context keys the app reads, with the prop each feeds; the README's Deploy table lists the same. */
export const CONTEXT_KEYS = {
  users: 'outreachUsers',
  baseUrl: 'outreachBaseUrl',
  tokenUrl: 'outreachTokenUrl',
  budgetRefill: 'budgetRefill',
  budgetPerWindow: 'budgetPerWindow',
  budgetWindowSeconds: 'budgetWindowSeconds',
  inFlightCap: 'inFlightCap',
  criticalLeaseShare: 'criticalLeaseShare',
  criticalBudgetShare: 'criticalBudgetShare',
  safetyMargin: 'safetyMargin',
  lanes: 'lanes',
  reservedConcurrency: 'reservedConcurrency',
  dispatcherTimeoutSeconds: 'dispatcherTimeoutSeconds',
  dispatcherMemoryMiB: 'dispatcherMemoryMiB',
  upstreamTimeoutMs: 'upstreamTimeoutMs',
  maxFailureAttempts: 'maxFailureAttempts',
  failureWindowSeconds: 'failureWindowSeconds',
  completionEvents: 'completionEvents',
  tracing: 'tracing',
  defaultCooldownSeconds: 'defaultCooldownSeconds',
  maxEscalatedCooldownSeconds: 'maxEscalatedCooldownSeconds',
  maxHeaderWaitSeconds: 'maxHeaderWaitSeconds',
  clockSkewMs: 'clockSkewMs',
  circuitBreakerThreshold: 'circuitBreakerThreshold',
  circuitBreakerOpenSeconds: 'circuitBreakerOpenSeconds',
  intentRecordTtlDays: 'intentRecordTtlDays',
  cooldownAlarmSeconds: 'cooldownAlarmSeconds',
  upstream429AlarmThreshold: 'upstream429AlarmThreshold',
  requestPolicy: 'requestPolicy',
  coalescing: 'coalescing',
  alarmEmail: 'alarmEmail',
  metricsNamespace: 'metricsNamespace',
  tableDeletionProtection: 'tableDeletionProtection',
  tableRemovalPolicy: 'tableRemovalPolicy',
  // The monitor
  pumpPauseAfterSeconds: 'pumpPauseAfterSeconds',
  runbookUrl: 'runbookUrl',
} as const satisfies Record<string, keyof OutreachGateStackProps>;

type Reader = (key: string) => unknown;

function str(read: Reader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function num(read: Reader, key: string): number | undefined {
  const value = read(key);
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be a number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function bool(read: Reader, key: string): boolean | undefined {
  const value = read(key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be true or false, got ${JSON.stringify(value)}`);
}

function list(read: Reader, key: string): string[] | undefined {
  const value = read(key);
  if (value === undefined) return undefined;
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new GateSettingsError(
    `context ${CONTEXT_PREFIX}${key} must be a list of strings, got ${JSON.stringify(value)}`,
  );
}

function json<T>(read: Reader, key: string): T | undefined {
  const value = read(key);
  if (value === undefined || typeof value === 'object') return value as T | undefined;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be JSON, got ${value}`);
    }
  }
  throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be an object, got ${JSON.stringify(value)}`);
}

function reservation(read: Reader, key: string): number | false | undefined {
  const value = read(key);
  if (value === false || value === 'false') return false;
  try {
    return num(read, key);
  } catch {
    throw new GateSettingsError(
      `context ${CONTEXT_PREFIX}${key} must be a number or false, got ${JSON.stringify(value)}`,
    );
  }
}

function refill(read: Reader, key: string): 'fixed-window' | 'leaky-bucket' | undefined {
  const value = str(read, key);
  if (value === undefined || value === 'fixed-window' || value === 'leaky-bucket') return value;
  throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be fixed-window or leaky-bucket, got "${value}"`);
}

function removal(read: Reader, key: string): RemovalPolicy | undefined {
  const value = str(read, key);
  if (value === undefined) return undefined;
  const policies: Record<string, RemovalPolicy> = {
    retain: RemovalPolicy.RETAIN,
    destroy: RemovalPolicy.DESTROY,
    snapshot: RemovalPolicy.SNAPSHOT,
  };
  const policy = policies[value.toLowerCase()];
  if (policy === undefined)
    throw new GateSettingsError(`context ${CONTEXT_PREFIX}${key} must be retain, destroy or snapshot, got "${value}"`);
  return policy;
}

/**
 * Reads the stack's props from CDK context (`cdk.json` or `-c key=value`); keys are `outreach-gate:<prop>`.
 * Values given on the command line arrive as strings and are converted; a value of the wrong type fails with
 * a message naming the key.
 */
export function stackPropsFromContext(node: Node): OutreachGateStackProps {
  const read: Reader = (key) => node.tryGetContext(`${CONTEXT_PREFIX}${key}`);
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  for (const key of Object.keys(node.getAllContext())) {
    if (key.startsWith(CONTEXT_PREFIX) && !known.has(key.slice(CONTEXT_PREFIX.length))) {
      throw new GateSettingsError(
        `unknown context key ${key}; known keys: ${[...known].map((k) => CONTEXT_PREFIX + k).join(', ')}`,
      );
    }
  }
  const props: OutreachGateStackProps = {
    outreachUsers: list(read, CONTEXT_KEYS.users),
    outreachBaseUrl: str(read, CONTEXT_KEYS.baseUrl),
    outreachTokenUrl: str(read, CONTEXT_KEYS.tokenUrl),
    budgetRefill: refill(read, CONTEXT_KEYS.budgetRefill),
    budgetPerWindow: num(read, CONTEXT_KEYS.budgetPerWindow),
    budgetWindowSeconds: num(read, CONTEXT_KEYS.budgetWindowSeconds),
    inFlightCap: num(read, CONTEXT_KEYS.inFlightCap),
    criticalLeaseShare: num(read, CONTEXT_KEYS.criticalLeaseShare),
    criticalBudgetShare: num(read, CONTEXT_KEYS.criticalBudgetShare),
    safetyMargin: num(read, CONTEXT_KEYS.safetyMargin),
    lanes: json<Record<string, LaneOptions>>(read, CONTEXT_KEYS.lanes),
    reservedConcurrency: reservation(read, CONTEXT_KEYS.reservedConcurrency),
    dispatcherTimeoutSeconds: num(read, CONTEXT_KEYS.dispatcherTimeoutSeconds),
    dispatcherMemoryMiB: num(read, CONTEXT_KEYS.dispatcherMemoryMiB),
    upstreamTimeoutMs: num(read, CONTEXT_KEYS.upstreamTimeoutMs),
    maxFailureAttempts: num(read, CONTEXT_KEYS.maxFailureAttempts),
    failureWindowSeconds: num(read, CONTEXT_KEYS.failureWindowSeconds),
    completionEvents: bool(read, CONTEXT_KEYS.completionEvents),
    tracing: bool(read, CONTEXT_KEYS.tracing),
    defaultCooldownSeconds: num(read, CONTEXT_KEYS.defaultCooldownSeconds),
    maxEscalatedCooldownSeconds: num(read, CONTEXT_KEYS.maxEscalatedCooldownSeconds),
    maxHeaderWaitSeconds: num(read, CONTEXT_KEYS.maxHeaderWaitSeconds),
    clockSkewMs: num(read, CONTEXT_KEYS.clockSkewMs),
    circuitBreakerThreshold: num(read, CONTEXT_KEYS.circuitBreakerThreshold),
    circuitBreakerOpenSeconds: num(read, CONTEXT_KEYS.circuitBreakerOpenSeconds),
    intentRecordTtlDays: num(read, CONTEXT_KEYS.intentRecordTtlDays),
    cooldownAlarmSeconds: num(read, CONTEXT_KEYS.cooldownAlarmSeconds),
    upstream429AlarmThreshold: num(read, CONTEXT_KEYS.upstream429AlarmThreshold),
    requestPolicy: list(read, CONTEXT_KEYS.requestPolicy),
    coalescing: json<CoalescingOptions>(read, CONTEXT_KEYS.coalescing),
    alarmEmail: str(read, CONTEXT_KEYS.alarmEmail),
    metricsNamespace: str(read, CONTEXT_KEYS.metricsNamespace),
    tableDeletionProtection: bool(read, CONTEXT_KEYS.tableDeletionProtection),
    tableRemovalPolicy: removal(read, CONTEXT_KEYS.tableRemovalPolicy),
    // The monitor
    pumpPauseAfterSeconds: num(read, CONTEXT_KEYS.pumpPauseAfterSeconds),
    runbookUrl: str(read, CONTEXT_KEYS.runbookUrl),
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as OutreachGateStackProps;
}
