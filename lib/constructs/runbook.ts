/**
 * The README's runbook sections, one per kind of alarm the stack creates (a lane's or a user's alarms share
 * their kind's section). Each alarm's description ends with a link to its section; a test checks that the
 * README has exactly these sections and that every alarm links to one of them.
 */

/** One runbook section: its heading in the README and the anchor GitHub gives that heading. */
export interface RunbookEntry {
  readonly heading: string;
  readonly anchor: string;
}

const entry = (heading: string): RunbookEntry => ({
  heading,
  anchor: heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-'),
});

/** Every runbook section, by the alarm kind it answers (`overview` is the section's own introduction). */
export const RUNBOOK = {
  overview: entry('Runbook'),
  deadLetters: entry('Alarm: dead letters'),
  laneAge: entry('Alarm: oldest message age'),
  dispatcherErrors: entry('Alarm: dispatcher errors'),
  dispatcherThrottles: entry('Alarm: dispatcher throttles'),
  upstream429s: entry('Alarm: upstream 429s'),
  longCooldown: entry('Alarm: long cool-down'),
  credentials: entry('Alarm: user credentials'),
  monitorErrors: entry('Alarm: monitor errors'),
} as const satisfies Record<string, RunbookEntry>;
