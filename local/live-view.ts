/**
 * What `npm start` shows while a run goes: on a terminal, live bars per lane (settled of enqueued, queue depth)
 * and per user (in flight of the cap, remaining budget, cool-down, 429s); elsewhere (CI, a pipe) one plain
 * progress line every few seconds.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { LANES } from '../lambdas/shared/names';
import type { RunProgress } from './run';

/** Receives progress and draws it; `stop` leaves the terminal clean. */
export interface ProgressView {
  update(progress: RunProgress): void;
  stop(): void;
}

/** Simulated time as `h:mm:ss`. */
export function formatSimulated(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** One plain line summing up the run, for logs and pipes. */
export function progressLine(progress: RunProgress): string {
  const lanes = LANES.map((lane) => {
    const l = progress.lanes[lane];
    return `${lane} ${l.settled}/${l.planned}`;
  }).join(' ');
  const users = Object.entries(progress.users)
    .map(
      ([user, u]) =>
        `${user} ${u.inFlight}/${progress.inFlightCap}${u.remaining === null ? '' : ` left ${u.remaining}`}`,
    )
    .join(', ');
  return `[${(progress.wallMs / 1000).toFixed(0)} s wall | ${formatSimulated(progress.simulatedMs)} simulated] settled ${lanes} | in flight ${users} | 429s ${progress.status429} | deferrals ${progress.deferrals} | DLQ ${progress.deadLettered}`;
}

/** Plain lines every `everyMs` wall ms. */
export function plainProgressView(write: (line: string) => void, everyMs = 5000): ProgressView {
  let last = 0;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      write(progressLine(progress));
    },
    stop() {},
  };
}

/** Live bars on a terminal (cli-progress). */
export function terminalProgressView(stream: NodeJS.WriteStream = process.stdout): ProgressView {
  const multibar = new MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      fps: 8,
      barsize: 28,
      format: ' {label} {bar} {value}/{total} {detail}',
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const header = multibar.create(1, 0, { label: '', detail: '' }, { format: ' {detail}' });
  const lanes = new Map<string, SingleBar>();
  const users = new Map<string, SingleBar>();
  let footer: SingleBar | undefined;
  return {
    update(progress) {
      if (footer === undefined) {
        for (const lane of LANES) lanes.set(lane, multibar.create(1, 0, { label: lane.padEnd(8), detail: '' }));
        for (const user of Object.keys(progress.users)) {
          users.set(user, multibar.create(progress.inFlightCap, 0, { label: user.padEnd(8), detail: '' }));
        }
        footer = multibar.create(1, 0, { label: '', detail: '' }, { format: ' {detail}' });
      }
      header.update(0, {
        detail: `${progress.scenario}: ${(progress.wallMs / 1000).toFixed(0)} s wall, ${formatSimulated(progress.simulatedMs)} simulated — settled/enqueued per lane, in flight/cap per user`,
      });
      for (const lane of LANES) {
        const l = progress.lanes[lane];
        lanes.get(lane)?.setTotal(Math.max(1, l.enqueued));
        lanes.get(lane)?.update(l.settled, {
          detail: `depth ${l.visible} waiting, ${l.inFlight} in flight or deferred (${l.planned} planned)`,
        });
      }
      for (const [user, bar] of users) {
        const u = progress.users[user];
        if (!u) continue;
        bar.update(Math.min(u.inFlight, progress.inFlightCap), {
          detail: `in flight · budget left ${u.remaining ?? '?'} · cool-down ${(u.cooldownMs / 1000).toFixed(0)} s · 429s ${u.status429}`,
        });
      }
      footer.update(0, {
        detail: `upstream calls ${progress.upstreamCalls} · 429s ${progress.status429} · deferrals ${progress.deferrals} · DLQ ${progress.deadLettered}`,
      });
    },
    stop() {
      multibar.stop();
    },
  };
}
