import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../../lib/context';

const read = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

describe('stackPropsFromContext', () => {
  it('GIVEN cdk.json values THEN they become stack props', () => {
    expect(
      read({
        'outreach-gate:outreachUsers': ['alice', 'bob'],
        'outreach-gate:inFlightCap': 8,
        'outreach-gate:lanes': { bulk: { maxConcurrency: 6 } },
        'outreach-gate:tableDeletionProtection': false,
      }),
    ).toEqual({
      outreachUsers: ['alice', 'bob'],
      inFlightCap: 8,
      lanes: { bulk: { maxConcurrency: 6 } },
      tableDeletionProtection: false,
    });
  });

  it('GIVEN command-line strings (-c key=value) THEN they are converted', () => {
    expect(
      read({
        'outreach-gate:outreachUsers': 'alice, bob',
        'outreach-gate:inFlightCap': '8',
        'outreach-gate:lanes': '{"bulk":{"maxConcurrency":6}}',
        'outreach-gate:tableDeletionProtection': 'false',
        'outreach-gate:tableRemovalPolicy': 'destroy',
      }),
    ).toMatchObject({
      outreachUsers: ['alice', 'bob'],
      inFlightCap: 8,
      lanes: { bulk: { maxConcurrency: 6 } },
      tableDeletionProtection: false,
    });
  });

  it('GIVEN the header-wait ceiling, clock skew and escalation cap on the command line THEN they become numeric props', () => {
    expect(
      read({
        'outreach-gate:maxHeaderWaitSeconds': '3600',
        'outreach-gate:clockSkewMs': '1500',
        'outreach-gate:maxEscalatedCooldownSeconds': '900',
      }),
    ).toEqual({ maxHeaderWaitSeconds: 3600, clockSkewMs: 1500, maxEscalatedCooldownSeconds: 900 });
  });

  it('GIVEN no gate context THEN no props are set and the defaults apply', () => {
    expect(read({})).toEqual({});
  });

  it.each([
    [{ 'outreach-gate:inFlightCap': 'ten' }, /context outreach-gate:inFlightCap must be a number, got "ten"/],
    [{ 'outreach-gate:tableDeletionProtection': 'yes' }, /outreach-gate:tableDeletionProtection must be true or false/],
    [{ 'outreach-gate:budgetRefill': 'sliding' }, /must be fixed-window or leaky-bucket, got "sliding"/],
    [{ 'outreach-gate:tableRemovalPolicy': 'keep' }, /must be retain, destroy or snapshot, got "keep"/],
    [{ 'outreach-gate:lanes': '{bulk' }, /outreach-gate:lanes must be JSON/],
    [{ 'outreach-gate:inflightCap': 3 }, /unknown context key outreach-gate:inflightCap/],
  ])('fails if given %j', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
