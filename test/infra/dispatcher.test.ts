import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Credentials } from '../../lib/constructs/credentials';
import { Dispatcher } from '../../lib/constructs/dispatcher';
import { GateTable } from '../../lib/constructs/gate-table';
import { Lanes } from '../../lib/constructs/lanes';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { type GateSettings, resolveGateSettings } from '../../lib/settings';
import { synthGate, testApp } from './synth';

describe('Dispatcher', () => {
  const { template } = synthGate({ lanes: { critical: { maxConcurrency: 3 }, bulk: { batchSize: 7 } } });
  const fn = () => Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties;

  it('GIVEN lanes with maxConcurrency 3, 4, 4 THEN reserved concurrency is their sum, 11', () => {
    expect(fn().ReservedConcurrentExecutions).toBe(11);
  });

  it('THEN it runs on arm64 with the latest Node.js runtime', () => {
    expect([fn().Architectures, fn().Runtime]).toEqual([['arm64'], 'nodejs24.x']);
  });

  it('THEN each lane has an event source mapping with its batch size, maxConcurrency and partial batch responses', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) => ({
      batch: m.Properties.BatchSize,
      concurrency: m.Properties.ScalingConfig.MaximumConcurrency,
      responses: m.Properties.FunctionResponseTypes,
    }));
    expect(mappings).toEqual([
      { batch: 1, concurrency: 3, responses: ['ReportBatchItemFailures'] },
      { batch: 5, concurrency: 4, responses: ['ReportBatchItemFailures'] },
      { batch: 7, concurrency: 4, responses: ['ReportBatchItemFailures'] },
    ]);
  });

  it('THEN no event source mapping has a batching window (FIFO forbids it)', () => {
    for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))) {
      expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
    }
  });

  it('THEN the environment carries the table, lanes, configuration and secrets the handler reads', () => {
    expect(Object.keys(fn().Environment.Variables).sort()).toEqual(
      [
        'GATE_CONFIG',
        'GATE_LANES',
        'GATE_TABLE_NAME',
        'NODE_OPTIONS',
        'OUTREACH_APP_SECRET_ARN',
        'OUTREACH_REFRESH_TOKEN_SECRET_PREFIX',
        'GATE_USERS_FILE',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_TRACE_ENABLED',
      ].sort(),
    );
  });

  it('THEN the runtime configuration in the environment is what the settings resolved, less the users', () => {
    const { users: _users, ...expected } = resolveGateSettings({
      lanes: { critical: { maxConcurrency: 3 }, bulk: { batchSize: 7 } },
    }).gate;
    expect(JSON.parse(fn().Environment.Variables.GATE_CONFIG)).toEqual(expected);
  });
});

describe('Dispatcher wiring checks', () => {
  function buildWith(mutate: (s: GateSettings) => GateSettings): () => void {
    return () => {
      const stack = new OutreachGateStack(testApp(), 'Gate');
      const settings = mutate(stack.settings);
      new Dispatcher(stack, 'Other', {
        settings,
        lanes: new Lanes(stack, 'OtherLanes', { lanes: settings.lanes }),
        table: new GateTable(stack, 'OtherTable'),
        credentials: new Credentials(stack, 'OtherCredentials', { users: ['u'] }),
      });
    };
  }
  const withLane = (s: GateSettings, change: Record<string, number>): GateSettings => ({
    ...s,
    lanes: { ...s.lanes, bulk: { ...s.lanes.bulk, ...change } },
  });

  it('fails if reserved concurrency is not the sum of the lanes maxConcurrency', () => {
    expect(buildWith((s) => ({ ...s, reservedConcurrency: 5 }))).toThrow(
      /reservedConcurrency \(5\) must equal the sum of the lanes' maxConcurrency \(10\)/,
    );
  });

  it('fails if a lane maxConcurrency is below 2', () => {
    expect(buildWith((s) => withLane({ ...s, reservedConcurrency: 7 }, { maxConcurrency: 1 }))).toThrow(
      /lanes\.bulk\.maxConcurrency must be an integer from 2 to 1000, got 1/,
    );
  });

  it('fails if a lane batch size exceeds 10', () => {
    expect(buildWith((s) => withLane(s, { batchSize: 11 }))).toThrow(
      /lanes\.bulk\.batchSize must be an integer from 1 to 10, got 11/,
    );
  });

  it('fails if a lane visibility timeout is shorter than six times the dispatcher timeout', () => {
    expect(buildWith((s) => withLane(s, { visibilityTimeoutSeconds: 60 }))).toThrow(
      /lanes\.bulk\.visibilityTimeoutSeconds \(60\) must be at least 6 × the dispatcher timeout \(360\)/,
    );
  });
});

describe('Bundling', () => {
  it('GIVEN bundling enabled WHEN synthesised THEN the handler is bundled by local esbuild into one minified file with a source map', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'outreach-gate-bundle-'));
    const app = new App({ outdir });
    const stack = new OutreachGateStack(app, 'Gate');
    app.synth();
    const code = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0]?.Properties.Code;
    const assetDir = path.join(outdir, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`);
    const files = fs.readdirSync(assetDir).sort();
    const source = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    fs.rmSync(outdir, { recursive: true, force: true });
    // Minified: a handful of very long lines (template literals keep their newlines), not formatted source.
    const lines = source.split('\n');
    expect({
      files,
      minified: source.length / lines.length > 2000,
      mapped: source.includes('sourceMappingURL'),
    }).toEqual({
      files: ['index.js', 'index.js.map'],
      minified: true,
      mapped: true,
    });
  });
});
