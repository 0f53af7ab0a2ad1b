/**
 * The package as users get it: `npm pack` (which builds it), then the tarball installed into a fresh CDK app that
 * embeds the gate in its own stack and synthesizes offline, and into a producer project without `aws-cdk-lib`
 * that sends an intent through `outreach-gate/client` to the SQS emulator.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import { createLaneQueues } from '../../local/emulators/sqs';
import { type LocalSqs, receiveAll, startLocalSqs, uniqueQueuePrefix } from '../support/sqs';
import { installInto, type PackedPackage, packProject, removeInstalled, TSC } from './installed-package';

const run = promisify(execFile);
const SLOW = 600_000;

const EMBEDDING_APP = `import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { OutreachGate } from 'outreach-gate';

const app = new App();
const stack = new Stack(app, 'ServiceStack');
const gate = new OutreachGate(stack, 'Gate', { outreachUsers: ['alice', 'bob'], alarmEmail: 'oncall@example.com' });
const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
gate.grantEnqueue(worker);
gate.grantReadResults(worker);
app.synth();
`;

const APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    skipLibCheck: true,
    types: [],
    outDir: 'out',
  },
  files: ['app.ts'],
};

const PRODUCER = `const { SQSClient } = require('@aws-sdk/client-sqs');
const { OutreachGateClient } = require('outreach-gate/client');

let cdkInstalled = true;
try {
  require.resolve('aws-cdk-lib');
} catch {
  cdkInstalled = false;
}
const sqs = new SQSClient({
  endpoint: process.env.SQS_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const client = new OutreachGateClient({ laneUrls: JSON.parse(process.env.LANE_URLS), tableName: 'gate', sqs });
client
  .enqueue({ id: 'billing:42', user: 'alice', lane: 'critical', operation: { type: 'prospect.update', prospectId: 42, attributes: { title: 'CFO' } } })
  .then((enqueued) => {
    const cdkLoaded = Object.keys(require.cache).filter((path) => /aws-cdk-lib|[\\\\/]constructs[\\\\/]/.test(path));
    console.log(JSON.stringify({ enqueued, cdkInstalled, cdkLoaded }));
    sqs.destroy();
  });
`;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the packed package', () => {
  let packed: PackedPackage;

  beforeAll(() => {
    packed = packProject();
  }, SLOW);
  afterAll(() => {
    removeInstalled();
  });

  it('GIVEN the tarball THEN it holds compiled JavaScript, declarations and the handler bundles, and no TypeScript source, test, bench or script', () => {
    const source = packed.files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'));
    const outsideDist = packed.files.filter(
      (path) =>
        !path.startsWith('dist/') &&
        !['package.json', 'README.md', 'LICENSE', 'cli/outreach-gate.js', 'schema/intent.schema.json'].includes(path),
    );
    const required = [
      'LICENSE',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/client/index.js',
      'dist/lib/client/index.d.ts',
      'dist/handlers/dispatcher/index.js',
      'dist/handlers/monitor/index.js',
      'dist/cli/main.js',
    ];
    expect({
      source,
      outsideDist,
      tests: packed.files.filter((path) => /(^|\/)(test|bench|scripts)\/|\.test\./.test(path)),
      missing: required.filter((path) => !packed.files.includes(path)),
    }).toEqual({ source: [], outsideDist: [], tests: [], missing: [] });
  });

  describe('installed in a fresh CDK app that embeds OutreachGate in its own stack', () => {
    let app: string;
    let outdir: string;
    let compiled: { code: number; output: string };

    beforeAll(async () => {
      app = installInto('app', packed.tarball, true);
      outdir = join(app, 'cdk.out');
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'service-app', private: true }));
      writeFileSync(join(app, 'app.ts'), EMBEDDING_APP);
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG));
      compiled = await run(process.execPath, [TSC, '-p', app])
        .then(({ stdout }) => ({ code: 0, output: stdout }))
        .catch((error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }));
      if (compiled.code === 0) {
        await run(process.execPath, [join(app, 'out', 'app.js')], {
          cwd: app,
          env: { ...process.env, CDK_OUTDIR: outdir },
        });
      }
    }, SLOW);

    it("GIVEN the app's TypeScript WHEN type-checked against the installed declarations THEN it compiles", () => {
      expect(compiled).toEqual({ code: 0, output: '' });
    });

    it("GIVEN the app WHEN synthesized offline THEN its stack holds the gate, with the prebuilt handler bundles as the functions' code", () => {
      const template = JSON.parse(readFileSync(join(outdir, 'ServiceStack.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const assets = JSON.parse(readFileSync(join(outdir, 'ServiceStack.assets.json'), 'utf8')) as {
        files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
      };
      /** The staged directory of the asset uploaded under `objectKey`. */
      const assetPath = (objectKey: unknown) =>
        Object.values(assets.files).find((asset) =>
          Object.values(asset.destinations).some((destination) => destination.objectKey === objectKey),
        )?.source.path;
      const code = (prefix: string) => {
        const [fn, ...others] = Object.entries(template.Resources).filter(
          ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
        );
        const asset = assetPath((fn?.[1].Properties.Code as { S3Key?: unknown } | undefined)?.S3Key);
        return {
          functions: others.length + (fn === undefined ? 0 : 1),
          handler: fn?.[1].Properties.Handler,
          bundle: asset === undefined ? undefined : sha256(join(outdir, asset, 'index.js')),
        };
      };
      const installed = (name: string) =>
        sha256(join(app, 'node_modules', 'outreach-gate', 'dist', 'handlers', name, 'index.js'));
      expect({
        dispatcher: code('GateDispatcherFunction'),
        monitor: code('GateMonitorFunction'),
        queues: Object.values(template.Resources).filter((r) => r.Type === 'AWS::SQS::Queue').length,
      }).toEqual({
        dispatcher: { functions: 1, handler: 'index.handler', bundle: installed('dispatcher') },
        monitor: { functions: 1, handler: 'index.handler', bundle: installed('monitor') },
        queues: 6,
      });
    });

    it('GIVEN the installed package WHEN its outreach-gate command runs THEN it prints its usage', async () => {
      const { stdout } = await run(process.execPath, [
        join(app, 'node_modules', 'outreach-gate', 'cli', 'outreach-gate.js'),
        '--help',
      ]);
      expect(stdout).toMatch(/^Usage: outreach-gate /);
    });
  });

  describe('installed in a producer project without aws-cdk-lib', () => {
    let local: LocalSqs;
    let producer: string;

    beforeAll(async () => {
      local = await startLocalSqs();
      producer = installInto('producer', packed.tarball, false);
      writeFileSync(join(producer, 'producer.js'), PRODUCER);
    }, SLOW);
    afterAll(async () => {
      await local.stop();
    });

    it('GIVEN the producer WHEN it enqueues an intent through outreach-gate/client THEN the intent lands on its lane and aws-cdk-lib is neither installed nor loaded', async () => {
      const lanes = await createLaneQueues(local.sqs, resolveGateSettings(), uniqueQueuePrefix('packed'));
      const laneUrls = Object.fromEntries(LANES.map((lane) => [lane, lanes[lane].queueUrl])) as Record<Lane, string>;

      const { stdout } = await run(process.execPath, [join(producer, 'producer.js')], {
        cwd: producer,
        env: { ...process.env, SQS_ENDPOINT: local.emulator.endpoint, LANE_URLS: JSON.stringify(laneUrls) },
      });

      const messages = await receiveAll(local.sqs, lanes.critical.queueUrl);
      expect({
        report: JSON.parse(stdout),
        onLane: messages.map((message) => (JSON.parse(message.Body ?? '{}') as { id?: string }).id),
      }).toEqual({
        report: {
          enqueued: expect.objectContaining({ id: 'billing:42', lane: 'critical' }),
          cdkInstalled: false,
          cdkLoaded: [],
        },
        onLane: ['billing:42'],
      });
    });
  });
});
