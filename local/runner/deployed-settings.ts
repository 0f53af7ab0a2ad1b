import type { DeployedFunction } from '../iam/deployed-stack';
import type { MappingSettings } from './event-source-mapping';

/**
 * The runner's settings as the synthesized template deploys them: each lane's batch size and maximum concurrency
 * from its event source mapping, the function's reserved concurrency, timeout and memory. Pure.
 */
export function deployedMappingSettings(fn: DeployedFunction): MappingSettings {
  return {
    lanes: fn.mappings,
    reservedConcurrency: fn.reservedConcurrency,
    dispatcherTimeoutSeconds: fn.timeoutSeconds,
    dispatcherMemoryMiB: fn.memoryMiB,
  };
}
