import { Presets, SingleBar } from 'cli-progress';

/** A progress display for a long command: told the total, then each item as it is done. */
export interface Progress {
  start(total: number): void;
  /** One more item done; `rate` is items per second so far. */
  tick(rate: number): void;
  stop(): void;
}

/** A bar on stderr (so `--json` output stays clean), drawn only on a terminal. */
export function terminalProgress(label: string): Progress {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | {rate}/s | eta {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: false,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let active = false;
  return {
    start(total) {
      if (!process.stderr.isTTY) return;
      active = true;
      bar.start(total, 0, { rate: '0.0' });
    },
    tick(rate) {
      if (active) bar.increment(1, { rate: rate.toFixed(1) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

/** No display at all (tests, and output that is not a terminal). */
export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };
