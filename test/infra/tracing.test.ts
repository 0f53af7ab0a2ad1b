import type { Template } from 'aws-cdk-lib/assertions';
import { synthGate } from './synth';

/** The dispatcher function's properties (the one function given the gate's config). */
function dispatcherOf(
  template: Template,
): Record<string, unknown> & { Environment: { Variables: Record<string, string> } } {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (candidate) => candidate.Properties.Environment?.Variables?.GATE_CONFIG !== undefined,
  );
  if (fn === undefined) throw new Error('no dispatcher function in the template');
  return fn.Properties;
}

/** Every action the stack's IAM policies allow. */
function allowedActions(template: Template): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
    .flatMap((statement) => ([] as string[]).concat(statement.Action));
}

describe('tracing', () => {
  it('GIVEN the default settings THEN the dispatcher is not traced and its Tracer is told so', () => {
    const { template } = synthGate();
    const dispatcher = dispatcherOf(template);
    expect({
      tracingConfig: dispatcher.TracingConfig,
      tracerEnabled: dispatcher.Environment.Variables.POWERTOOLS_TRACE_ENABLED,
      xray: allowedActions(template).filter((action) => action.startsWith('xray:')),
    }).toEqual({ tracingConfig: undefined, tracerEnabled: 'false', xray: [] });
  });

  it('GIVEN tracing on THEN the dispatcher is actively traced, its Tracer enabled and its role may send segments', () => {
    const { template } = synthGate({ tracing: true });
    const dispatcher = dispatcherOf(template);
    expect({
      tracingConfig: dispatcher.TracingConfig,
      tracerEnabled: dispatcher.Environment.Variables.POWERTOOLS_TRACE_ENABLED,
      xray: allowedActions(template).filter((action) => action.startsWith('xray:')),
    }).toEqual({
      tracingConfig: { Mode: 'Active' },
      tracerEnabled: 'true',
      xray: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    });
  });
});
