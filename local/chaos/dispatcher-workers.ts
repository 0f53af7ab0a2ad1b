/**
 * Dispatchers in child processes, invoked the way Lambda invokes execution environments: the local event source
 * mapping calls {@link DispatcherWorkers.handler}, which hands each batch to one worker process over IPC. A worker
 * can be killed with SIGKILL mid-batch; its invocations fail (nothing is deleted, so their messages come back
 * after the visibility timeout) and a new worker is started in its place, as Lambda starts a new environment. An
 * invocation abandoned at the function timeout is aborted inside its worker (its calls are refused, as with the
 * in-process dispatcher) rather than the worker killed, so that a slow machine does not restart workers in a loop.
 * Secrets live here, in the
 * parent, like Secrets Manager outside Lambda; metrics are forwarded here.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import type { GateMetrics } from '../../lambdas/dispatcher/ports';
import type { SecretStore } from '../../lambdas/tokens/ports';
import { currentInvocation } from '../runner/invocation-scope';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/** Options of {@link DispatcherWorkers}. */
export interface DispatcherWorkersOptions {
  /** Worker processes; invocations go to them in turn. @default 2 */
  readonly count?: number;
  /** What each worker wires its dispatcher from. */
  readonly init: Omit<WorkerInit, 'type' | 'clockOffsetMs'>;
  /** The secret store every worker reads and writes through. */
  readonly secrets: SecretStore;
  /** Receives every worker's metrics. */
  readonly metrics: GateMetrics;
}

/** Raised to the event source mapping for an invocation whose worker died before it answered. */
export class WorkerDiedError extends Error {
  override readonly name = 'WorkerDiedError';
}

interface Pending {
  resolve(response: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  child: ChildProcess | undefined;
  ready: Promise<void>;
  readonly pending: Map<number, Pending>;
  offsetMs: number;
}

const ENTRY = join(__dirname, `worker-entry${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
const EXEC_ARGV = __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [];

/** A set of dispatcher worker processes behind one Lambda-like handler. */
export class DispatcherWorkers {
  private readonly slots: Slot[];
  private readonly options: DispatcherWorkersOptions;
  private nextSlot = 0;
  private nextId = 0;
  private stopping = false;
  /** Workers started in place of ones that died. */
  restarts = 0;

  constructor(options: DispatcherWorkersOptions) {
    const count = options.count ?? 2;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be an integer ≥ 1, got ${count}`);
    this.options = options;
    this.slots = Array.from({ length: count }, () => ({
      child: undefined,
      ready: Promise.resolve(),
      pending: new Map(),
      offsetMs: 0,
    }));
  }

  /** Starts every worker; resolves once each has wired its dispatcher. */
  async start(): Promise<void> {
    for (const slot of this.slots) slot.ready = this.spawn(slot);
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /** The function the event source mapping invokes. */
  readonly handler = async (event: SQSEvent, context: Context): Promise<unknown> => {
    const slot = this.slots[this.nextSlot++ % this.slots.length] as Slot;
    await slot.ready;
    const scope = currentInvocation();
    if (scope?.signal.aborted || slot.child === undefined) {
      throw new WorkerDiedError('no worker was ready before the invocation was abandoned');
    }
    const child = slot.child;
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
    // Abandoned at the timeout: the worker's clients and fetch refuse the invocation's further calls, as in process.
    scope?.signal.addEventListener(
      'abort',
      () => {
        slot.pending
          .get(id)
          ?.reject(new WorkerDiedError(`invocation ${context.awsRequestId} abandoned at the timeout`));
        slot.pending.delete(id);
        reply(child, { type: 'abort', id });
      },
      { once: true },
    );
    reply(child, {
      type: 'invoke',
      id,
      event,
      deadline: Date.now() + context.getRemainingTimeInMillis(),
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
    });
    return answer;
  };

  /** Invocations worker `index` is handling right now. */
  inFlight(index: number): number {
    return this.slot(index).pending.size;
  }

  /** The index of the worker with the most invocations in flight. */
  busiest(): number {
    let best = 0;
    this.slots.forEach((slot, index) => {
      if (slot.pending.size > (this.slots[best] as Slot).pending.size) best = index;
    });
    return best;
  }

  /** Kills worker `index` with SIGKILL; returns how many invocations it held. A new worker replaces it. */
  kill(index: number): number {
    const slot = this.slot(index);
    const held = slot.pending.size;
    slot.child?.kill('SIGKILL');
    return held;
  }

  /** Sets worker `index`'s clock offset (kept by the workers that replace it). */
  setClockOffset(index: number, offsetMs: number): void {
    const slot = this.slot(index);
    slot.offsetMs = offsetMs;
    if (slot.child) reply(slot.child, { type: 'clock', offsetMs });
  }

  /** Stops every worker and waits for them to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.ready.catch(() => undefined);
        const child = slot.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }

  private slot(index: number): Slot {
    const slot = this.slots[index];
    if (slot === undefined) throw new RangeError(`worker ${index} does not exist (0…${this.slots.length - 1})`);
    return slot;
  }

  private spawn(slot: Slot): Promise<void> {
    const child = fork(ENTRY, [], { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    slot.child = undefined;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          slot.child = child;
          resolve();
        } else this.onMessage(slot, child, message);
      });
      child.once('exit', (code, signal) => {
        reject(new WorkerDiedError(`dispatcher worker ${child.pid} exited before it was ready (${signal ?? code})`));
        this.onExit(slot, child, signal ?? String(code));
      });
    });
    // A send to a worker that has just died fails; its exit handler settles what it held.
    child.on('error', () => undefined);
    reply(child, { type: 'init', ...this.options.init, clockOffsetMs: slot.offsetMs });
    return ready;
  }

  private onExit(slot: Slot, child: ChildProcess, how: string): void {
    const wasReady = slot.child === child;
    for (const [id, pending] of slot.pending) {
      pending.reject(new WorkerDiedError(`dispatcher worker ${child.pid} ended (${how}) before it answered`));
      slot.pending.delete(id);
    }
    if (wasReady) slot.child = undefined;
    // A worker that never got ready is not replaced: its start fails instead of looping.
    if (this.stopping || !wasReady) return;
    this.restarts += 1;
    slot.ready = this.spawn(slot);
    slot.ready.catch(() => undefined);
  }

  private onMessage(slot: Slot, child: ChildProcess, message: FromWorker): void {
    switch (message.type) {
      case 'result': {
        const pending = slot.pending.get(message.id);
        slot.pending.delete(message.id);
        if (message.error !== undefined) pending?.reject(new Error(message.error));
        else pending?.resolve(message.response);
        break;
      }
      case 'secret-get':
        this.options.secrets.getSecretString(message.secretId).then(
          (value) => reply(child, { type: 'secret-reply', id: message.id, ...(value === undefined ? {} : { value }) }),
          (error: unknown) => reply(child, { type: 'secret-reply', id: message.id, error: String(error) }),
        );
        break;
      case 'secret-put':
        this.options.secrets.putSecretString(message.secretId, message.value).then(
          () => reply(child, { type: 'secret-reply', id: message.id }),
          (error: unknown) => reply(child, { type: 'secret-reply', id: message.id, error: String(error) }),
        );
        break;
      case 'metric':
        (this.options.metrics[message.name] as (...args: unknown[]) => void)(...message.args);
        break;
    }
  }
}

/** Sends `message` unless the worker is gone (its exit handler then settles what it held). */
function reply(child: ChildProcess, message: ToWorker): void {
  if (child.connected) child.send(message, (error) => error ?? undefined);
}
