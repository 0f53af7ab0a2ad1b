import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthGate } from './synth';

/** The anchor GitHub gives a Markdown heading. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

/** The README's Runbook section, split into its `###` subsections by anchor. */
function runbookSections(): Map<string, string> {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Runbook\n');
  const end = readme.indexOf('\n## ', start + 1);
  const runbook = readme.slice(start, end === -1 ? undefined : end);
  const sections = new Map<string, string>();
  for (const part of runbook.split('\n### ').slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    sections.set(anchorOf(heading), body.join('\n'));
  }
  return sections;
}

describe('README runbook', () => {
  const { template } = synthGate({ outreachUsers: ['alice', 'bob'] });
  const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
    id,
    anchor: /Runbook: README\.md#([a-z0-9-]+)$/.exec(alarm.Properties.AlarmDescription)?.[1],
  }));
  const sections = runbookSections();

  it('GIVEN every alarm the stack creates THEN each links to a runbook section of the README', () => {
    expect(alarms.filter((a) => a.anchor === undefined || !sections.has(a.anchor)).map((a) => a.id)).toEqual([]);
  });

  it('GIVEN every runbook section of the README THEN some alarm of the stack links to it', () => {
    const linked = new Set(alarms.map((a) => a.anchor));
    expect([...sections.keys()].filter((anchor) => !linked.has(anchor))).toEqual([]);
  });

  it('THEN each runbook section says what the alarm means, how to confirm it, what to do and what never to do', () => {
    const missing = [...sections].flatMap(([anchor, body]) =>
      ['**What it means**', '**Confirm**', '**Do**', '**Never**']
        .filter((label) => !body.includes(label))
        .map((label) => `${anchor}: ${label}`),
    );
    expect({ sections: sections.size, missing }).toEqual({ sections: 8, missing: [] });
  });
});
