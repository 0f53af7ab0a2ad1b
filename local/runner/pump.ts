/**
 * The monitor's pump pause in a local run: the runner ticks the monitor's own {@link monitorTick} against
 * DynamoDB Local, with the run's control file as the lanes' switch, so a lane whose users all cool down longer
 * than the threshold stops receiving (its receives are counted as avoided) and starts again when the earliest
 * cool-down ends — decided by the same pure {@link decidePump} the monitor Lambda uses.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UserGauges } from '../../lambdas/monitor/decide';
import { type MonitorParts, type MonitorTick, monitorTick } from '../../lambdas/monitor/monitor';
import type { MonitorMetrics } from '../../lambdas/monitor/ports';
import { wireMonitor } from '../../lambdas/monitor/wiring';
import type { GateConfig } from '../../lambdas/shared/config';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { ControlFileMappingSwitch } from './control-file-switch';

/** Options of {@link LocalPump}. */
export interface LocalPumpOptions {
  /** Client for DynamoDB Local, created once by the caller. */
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The dispatcher's configuration (users, budget, leases), as it runs locally. */
  readonly config: GateConfig;
  /** The run's control file, which the runner's receives read. */
  readonly controlFile: string;
  /** Pause a lane when every user it serves cools down longer than this many wall milliseconds. */
  readonly pauseAfterMs: number;
  /** Wall milliseconds between ticks (the monitor's minute, compressed like the run). @default 1000 */
  readonly tickMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Told about a tick that failed; the next tick tries again. @default - written to stderr */
  readonly onError?: (error: unknown) => void;
  /** Told about each pause and resume in one plain line. @default - nothing */
  readonly log?: (line: string) => void;
}

/** What the pump did in a run. */
export interface PumpCounters {
  /** Lanes paused because every user they serve cooled down for long. */
  pauses: number;
  /** Lanes resumed when the earliest cool-down ended. */
  resumes: number;
}

/** Raised for options the pump cannot work with; the message names the option. */
export class LocalPumpConfigError extends Error {
  override readonly name = 'LocalPumpConfigError';
}

/** Ticks the monitor's pump decision every {@link LocalPumpOptions.tickMs} until stopped. */
export class LocalPump {
  /** The monitor tick's parts, wired to DynamoDB Local and the control file. */
  readonly parts: MonitorParts;
  /** The gauges of each user at the last tick. */
  readonly gauges = new Map<string, UserGauges>();
  private readonly counts: PumpCounters = { pauses: 0, resumes: 0 };
  private readonly tickMs: number;
  private readonly clock: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly log: (line: string) => void;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;

  constructor(options: LocalPumpOptions) {
    this.tickMs = options.tickMs ?? 1000;
    if (!(this.tickMs > 0)) throw new LocalPumpConfigError(`tickMs must be positive, got ${this.tickMs}`);
    if (!(options.pauseAfterMs >= 0)) {
      throw new LocalPumpConfigError(`pauseAfterMs must be zero or more, got ${options.pauseAfterMs}`);
    }
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError ?? ((error) => console.error(`pump tick failed: ${String(error)}`));
    this.log = options.log ?? (() => {});
    const gauges = this.gauges;
    const metrics: MonitorMetrics = {
      user: (user, value) => {
        gauges.set(user, value);
      },
      lanePaused: () => {},
    };
    this.parts = wireMonitor({
      environment: {
        tableName: options.tableName,
        config: options.config,
        mappings: Object.fromEntries(LANES.map((lane) => [lane, []])) as unknown as Record<Lane, string[]>,
        pauseAfterMs: options.pauseAfterMs,
      },
      documents: options.documents,
      lanesSwitch: new ControlFileMappingSwitch(options.controlFile),
      metrics,
      logger: { info: (message, extra) => this.log(`${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`) },
    });
  }

  /** One tick now: reads every user's gate item and pauses or resumes the lanes. */
  async tick(): Promise<MonitorTick> {
    const result = await monitorTick(this.parts, this.clock());
    for (const decision of Object.values(result.lanes)) {
      if (decision.kind === 'pause') this.counts.pauses += 1;
      if (decision.kind === 'resume') this.counts.resumes += 1;
    }
    return result;
  }

  /** Starts ticking. Calling it again while running does nothing. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops ticking and resolves once the tick in progress, if any, has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** A snapshot of the counters. */
  counters(): PumpCounters {
    return { ...this.counts };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (error) {
        this.onError(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.tickMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
