import { z } from 'zod';
import { EnvironmentError, type GateConfig, readGateConfig, readMetricsNamespace } from '../shared/config';
import { ENV, LANES, type Lane } from '../shared/names';

/** What the monitor reads from its environment at cold start. */
export interface MonitorEnvironment {
  readonly tableName: string;
  readonly config: GateConfig;
  /** The dispatcher's event source mapping ids per lane. */
  readonly mappings: Readonly<Record<Lane, readonly string[]>>;
  readonly pauseAfterMs: number;
  /** The gate's CloudWatch namespace, where the monitor publishes its gauges. */
  readonly metricsNamespace: string;
}

const mappingsSchema = z.strictObject(
  Object.fromEntries(LANES.map((lane) => [lane, z.array(z.string().min(1))])) as Record<Lane, z.ZodArray<z.ZodString>>,
);

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new EnvironmentError(`environment variable ${name} is not set`);
  return value;
}

function json(env: NodeJS.ProcessEnv, name: string): unknown {
  try {
    return JSON.parse(required(env, name));
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(`environment variable ${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads and validates the monitor's environment; throws {@link EnvironmentError} naming what is wrong. */
export function readMonitorEnvironment(env: NodeJS.ProcessEnv = process.env): MonitorEnvironment {
  const mappings = mappingsSchema.safeParse(json(env, ENV.eventSourceMappings));
  if (!mappings.success) {
    const issues = mappings.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new EnvironmentError(`environment variable ${ENV.eventSourceMappings} is invalid: ${issues}`);
  }
  const pauseAfterMs = Number(required(env, ENV.pauseAfterMs));
  if (!Number.isInteger(pauseAfterMs) || pauseAfterMs < 0) {
    throw new EnvironmentError(
      `environment variable ${ENV.pauseAfterMs} must be a non-negative integer, got "${env[ENV.pauseAfterMs]}"`,
    );
  }
  return {
    tableName: required(env, ENV.tableName),
    config: readGateConfig(env),
    mappings: mappings.data,
    pauseAfterMs,
    metricsNamespace: readMetricsNamespace(env),
  };
}
