/**
 * A throwaway Redis for the clustered Bottleneck contender: Debian's `redis-server` on a free loopback port, with
 * nothing written to disk (`--save ''`, `--appendonly no`), started for one run and stopped after it like the
 * emulators.
 */
import { spawn, spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '../local/emulators/dynamodb';
import { stopChild } from '../local/process-tree';
import { sleep } from '../local/sleep';

/** Where `redis-server` is looked for unless told otherwise. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** Raised when Redis cannot be started; the message says why and what it printed. */
export class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
}

/** A running `redis-server`. */
export interface LocalRedis {
  readonly host: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** The `redis-server` binary. @default REDIS_SERVER */
  readonly binary?: string;
  /** How long to wait for PONG. @default 10_000 */
  readonly readyTimeoutMs?: number;
}

/** Whether `binary` can be run (`redis-server --version`). */
export function redisIsInstalled(binary = REDIS_SERVER): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts `redis-server` on 127.0.0.1 and a free port, without persistence; resolves once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<LocalRedis> {
  const binary = options.binary ?? REDIS_SERVER;
  if (!redisIsInstalled(binary)) {
    throw new RedisStartError(`${binary} cannot be run; install Redis (e.g. \`apt-get install redis-server\`)`);
  }
  const host = '127.0.0.1';
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = () => stopChild(child);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  const probe = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {
    // Refused connections are expected until the server listens.
  });
  try {
    while (Date.now() < deadline) {
      if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
        throw new RedisStartError(
          `redis-server exited before it was ready (${spawnError?.message ?? `exit code ${child.exitCode}`}); output:\n${output}`,
        );
      }
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') return { host, port, stop };
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new RedisStartError(`redis-server did not answer PING on ${host}:${port} in time; output:\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.disconnect();
  }
}
