import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['default settings', {}],
    ['tracing and completion events on', { tracing: true, completionEvents: true }],
  ])(
    'GIVEN the stack with two users, an alarm email and %s WHEN checked THEN there are no unacknowledged findings',
    (_name, extra) => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'outreach-gate-nag-'));
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
      new OutreachGateStack(app, 'Gate', {
        outreachUsers: ['alice', 'bob'],
        alarmEmail: 'oncall@example.com',
        ...extra,
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      let failure: string | undefined;
      try {
        app.synth();
      } catch (error) {
        failure = (error as Error).message;
      }
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      fs.rmSync(outdir, { recursive: true, force: true });
      const violations = report.pluginReports.flatMap((r: { violations: { ruleName: string }[] }) =>
        r.violations.map((v) => v.ruleName),
      );
      expect({ failure, violations }).toEqual({ failure: undefined, violations: [] });
    },
  );

  it('GIVEN every acknowledgement in the stack THEN each names a cdk-nag rule and carries its reason', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new OutreachGateStack(app, 'Gate');
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledged) {
      expect({ rule, explained: reason.length > 40 }).toEqual({
        rule: expect.stringMatching(/AwsSolutions-/),
        explained: true,
      });
    }
  });
});
