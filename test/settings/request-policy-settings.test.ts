import { App } from 'aws-cdk-lib';
import { EnvironmentError, parseGateConfig } from '../../lambdas/shared/config';
import { stackPropsFromContext } from '../../lib/context';
import { GateSettingsError, resolveGateSettings } from '../../lib/settings';
import { synthGate } from '../infra/synth';

describe('the requestPolicy setting', () => {
  it('GIVEN no requestPolicy WHEN settings resolve THEN the runtime configuration names the default in a few bytes', () => {
    const { gate } = resolveGateSettings();

    expect(JSON.stringify(gate.requestPolicy)).toBe('["default"]');
  });

  it('GIVEN default plus a rule WHEN settings resolve THEN the rules are kept as written', () => {
    expect(resolveGateSettings({ requestPolicy: ['default', 'DELETE /tasks/*'] }).gate.requestPolicy).toEqual([
      'default',
      'DELETE /tasks/*',
    ]);
  });

  it.each([
    [
      'POST /batches/actions/prospectsRemoveTags',
      /requestPolicy: rule "POST \/batches\/actions\/prospectsRemoveTags" would allow a bulk action/,
    ],
    ['GET /prospects/../users', /requestPolicy: rule "GET \/prospects\/\.\.\/users": each path segment/],
    ['fetch everything', /requestPolicy: rule "fetch everything" must be "METHOD \/path"/],
  ])('GIVEN the rule %j WHEN settings resolve THEN they fail naming it', (rule, message) => {
    expect(() => resolveGateSettings({ requestPolicy: [rule] })).toThrow(GateSettingsError);
    expect(() => resolveGateSettings({ requestPolicy: [rule] })).toThrow(message);
  });

  it('GIVEN a runtime configuration with a bad rule WHEN the dispatcher reads it THEN it fails naming requestPolicy', () => {
    const config = { ...resolveGateSettings().gate, requestPolicy: ['PUT /prospects/*'] };

    expect(() => parseGateConfig(config)).toThrow(EnvironmentError);
    expect(() => parseGateConfig(config)).toThrow(/requestPolicy: rule "PUT \/prospects\/\*": method must be one of/);
  });

  it('GIVEN -c outreach-gate:requestPolicy=default,DELETE /tasks/* WHEN read from context THEN it becomes the list of rules', () => {
    const props = stackPropsFromContext(
      new App({ context: { 'outreach-gate:requestPolicy': 'default, DELETE /tasks/*' } }).node,
    );

    expect(props.requestPolicy).toEqual(['default', 'DELETE /tasks/*']);
  });

  it('GIVEN a JSON list in cdk.json WHEN read from context THEN it becomes the list of rules', () => {
    const props = stackPropsFromContext(
      new App({ context: { 'outreach-gate:requestPolicy': ['GET /prospects', 'GET /prospects/*'] } }).node,
    );

    expect(props.requestPolicy).toEqual(['GET /prospects', 'GET /prospects/*']);
  });

  it('GIVEN a widened policy WHEN the stack is synthesised THEN the dispatcher environment carries it', () => {
    const { template } = synthGate({ requestPolicy: ['default', 'DELETE /tasks/*'] });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties;

    expect(JSON.parse(fn.Environment.Variables.GATE_CONFIG).requestPolicy).toEqual(['default', 'DELETE /tasks/*']);
  });
});
