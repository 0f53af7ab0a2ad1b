import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../../lib/context';
import { resolveGateSettings } from '../../lib/settings';

describe('monitor settings', () => {
  it('GIVEN no pause threshold THEN the monitor pauses a lane after five minutes of cool-down', () => {
    expect(resolveGateSettings({}).pumpPauseAfterSeconds).toBe(300);
  });

  it('GIVEN -c outreach-gate:pumpPauseAfterSeconds=600 and a runbook URL THEN they become stack props', () => {
    const context = {
      'outreach-gate:pumpPauseAfterSeconds': '600',
      'outreach-gate:runbookUrl': 'https://example.com/README.md',
    };
    expect(stackPropsFromContext(new App({ context }).node)).toEqual({
      pumpPauseAfterSeconds: 600,
      runbookUrl: 'https://example.com/README.md',
    });
  });

  it('GIVEN a negative pause threshold THEN the settings fail naming it', () => {
    expect(() => resolveGateSettings({ pumpPauseAfterSeconds: -1 })).toThrow(
      'pumpPauseAfterSeconds must be an integer from 0 to 86400, got -1',
    );
  });
});
