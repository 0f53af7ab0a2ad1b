/** Turning numbers and strings into what a person reads at 3 a.m.: escaped, grouped, with units. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` safe to place in HTML text or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A count with thousands separators (`12,345`). */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A number with at most `digits` decimals and thousands separators (`1,234.5`). */
export function formatNumber(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A duration in the largest unit that keeps it readable: `350 ms`, `42.5 s`, `12.3 min`, `2.1 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${formatNumber(ms, 0)} ms`;
  if (abs < 120_000) return `${formatNumber(ms / 1000, 1)} s`;
  if (abs < 7_200_000) return `${formatNumber(ms / 60_000, 1)} min`;
  return `${formatNumber(ms / 3_600_000, 1)} h`;
}

/** A simulated-time axis: the unit every time chart of one report uses, chosen from the run's length. */
export interface TimeUnit {
  /** Milliseconds per unit. */
  ms: number;
  /** Short unit name for axis titles (`s`, `min`, `h`). */
  short: string;
}

/** Seconds for runs up to 3 simulated minutes, minutes up to 3 hours, hours beyond. */
export function timeUnitFor(spanMs: number): TimeUnit {
  if (spanMs <= 180_000) return { ms: 1000, short: 's' };
  if (spanMs <= 10_800_000) return { ms: 60_000, short: 'min' };
  return { ms: 3_600_000, short: 'h' };
}

/** How a time scale reads to a person: `60× — one wall-clock minute is one simulated hour`. */
export function describeTimeScale(timeScale: number): string {
  const wallPerSimHour = 3_600_000 / timeScale;
  const real = timeScale === 1 ? 'real time' : `${formatNumber(timeScale, 2)}× real time`;
  return `${real}: one simulated hour took ${formatDuration(wallPerSimHour)} of wall-clock time`;
}

/** An ISO wall-clock time as `2025-01-02 03:00:00 UTC` (the ISO text itself when it does not parse). */
export function formatWallClock(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
