/**
 * Prebuilds the Lambda handlers into the package (`dist/handlers/<name>/index.js` and its source map) with the
 * bundling options the constructs give `NodejsFunction` (minified CommonJS for Node.js 24, source maps, the AWS
 * SDK v3 and its Smithy packages left to the runtime, as `@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages`
 * does), so an installed package deploys them as they are: no esbuild or Docker needed in
 * the app that embeds the gate. Run by `npm run build` after `tsc -p tsconfig.build.json`.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { DISPATCHER_ENTRY } from '../lib/constructs/dispatcher';
import { MONITOR_ENTRY } from '../lib/constructs/monitor';
import { HANDLERS_DIRECTORY, type PrebuiltHandler } from '../lib/handler-code';

const ENTRIES: Readonly<Record<PrebuiltHandler, string>> = { dispatcher: DISPATCHER_ENTRY, monitor: MONITOR_ENTRY };
const OUT = join(__dirname, '..', 'dist', HANDLERS_DIRECTORY);

async function main(): Promise<void> {
  for (const [name, entry] of Object.entries(ENTRIES)) {
    await build({
      entryPoints: [entry],
      outfile: join(OUT, name, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      sourcemap: true,
      external: ['@aws-sdk/*', '@smithy/*'],
      logLevel: 'warning',
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
