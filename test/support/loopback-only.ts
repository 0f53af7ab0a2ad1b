/**
 * Tests stay on this machine: every socket a test process opens must go to a loopback address (the emulators, the
 * Outreach simulator, a browser's debugging port). A connection anywhere else fails at once, naming the host, so a
 * test that would quietly reach AWS or the internet (or hang on a missing network) is caught where it happens.
 */
import * as net from 'node:net';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|\[::1\])$/i;

/** The host a `Socket#connect` call aims at, or undefined for a local (IPC) path. */
function targetOf(args: unknown[]): { host: string; port: unknown } | undefined {
  // net.connect passes its normalized arguments as one array: [options, listener].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'string') return undefined;
  if (typeof first === 'number') return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
  const options = (first ?? {}) as { host?: string | null; port?: unknown; path?: string | null };
  if (typeof options.path === 'string') return undefined;
  return { host: options.host ?? 'localhost', port: options.port };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function loopbackOnly(this: net.Socket, ...args: unknown[]) {
  const target = targetOf(args);
  if (target !== undefined && !LOOPBACK.test(target.host)) {
    throw new Error(`a test tried to reach ${target.host}:${String(target.port)}: tests may only connect to loopback`);
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
