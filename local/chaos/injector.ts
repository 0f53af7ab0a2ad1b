/** What every fault injector is given and what it reports. */
import type { DispatcherEnvironment } from '../../lambdas/shared/config';
import type { SecretStore } from '../../lambdas/tokens/ports';
import type { LocalEnvironment } from '../environment';
import type { RunningSimulator } from '../outreach-sim';
import type { DispatcherWorkers } from './dispatcher-workers';
import type { FaultKind, PlannedFault } from './schedule';

/** The running pipeline a fault is injected into. */
export interface ChaosContext {
  readonly env: LocalEnvironment;
  readonly simulator: RunningSimulator;
  readonly workers: DispatcherWorkers;
  /** The secrets every dispatcher reads (the local Secrets Manager). */
  readonly secrets: SecretStore;
  readonly dispatcherEnvironment: DispatcherEnvironment;
  /** Users of the workload; user-specific faults hit the first. */
  readonly users: readonly string[];
  /** Epoch ms of the first enqueue. */
  readonly startedAt: number;
  readonly log: (line: string) => void;
}

/** A fault as it happened. */
export interface FaultRecord {
  readonly kind: FaultKind;
  /** Wall ms from the first enqueue. */
  readonly startedMs: number;
  readonly endedMs: number;
  /** What was done, in one line. */
  readonly detail: string;
}

/** Injects one fault and resolves once it has healed. */
export type Injector = (context: ChaosContext, fault: PlannedFault) => Promise<FaultRecord>;

/** Runs `inject` and times it from the first enqueue. */
export async function timed(
  context: ChaosContext,
  kind: FaultKind,
  inject: () => Promise<string>,
): Promise<FaultRecord> {
  const startedMs = Date.now() - context.startedAt;
  context.log(`fault ${kind} starts at ${(startedMs / 1000).toFixed(1)} s`);
  const detail = await inject();
  const endedMs = Date.now() - context.startedAt;
  context.log(`fault ${kind} ended at ${(endedMs / 1000).toFixed(1)} s: ${detail}`);
  return { kind, startedMs, endedMs, detail };
}
