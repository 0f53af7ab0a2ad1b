/**
 * A process and what it started: the memory of the whole tree (emulators included), read from Linux's /proc
 * (elsewhere only the process itself), and how a child process is stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields after its closing ')' are state, then ppid.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function rssBytesOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory in bytes of `root` and all its descendants; outside Linux, of this process alone. */
export function processTreeRssBytes(root: number = process.pid): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return process.memoryUsage().rss;
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  let total = 0;
  const pending = [root];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += rssBytesOf(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** How a stop delivers a signal, e.g. to the child's whole process group. */
export type SignalChild = (child: ChildProcess, signal: NodeJS.Signals) => void;

/** Options of {@link stopChild}. */
export interface StopChildOptions {
  /** How long the child has to exit after SIGTERM before it gets SIGKILL. @default 5000 */
  readonly graceMs?: number;
  /** How a signal reaches the child. @default - `child.kill(signal)`, the child alone */
  readonly signal?: SignalChild;
}

/** Resolves once `child` has exited (at once when it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Stops a child process: SIGTERM, then SIGKILL if it has not exited within the grace period. Resolves once it has
 * exited and its output pipes are closed, so that nothing keeps this process alive; a child already gone is only
 * tidied up.
 */
export async function stopChild(child: ChildProcess, options: StopChildOptions = {}): Promise<void> {
  const signal = options.signal ?? ((target: ChildProcess, name: NodeJS.Signals) => target.kill(name));
  if (child.exitCode === null && child.signalCode === null) {
    const exited = exitOf(child);
    signal(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.graceMs ?? 5000);
    });
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      signal(child, 'SIGKILL');
      await exited;
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
