import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Directory of the prebuilt handlers, beside the compiled `lib/` in the package (`dist/handlers`). */
export const HANDLERS_DIRECTORY = 'handlers';

/** The functions whose handlers `npm run build` prebuilds into the package. */
export type PrebuiltHandler = 'dispatcher' | 'monitor';

/**
 * Where `npm run build` writes a handler's bundle (`index.js` and its source map): `dist/handlers/<name>` of the
 * package, i.e. `handlers/<name>` beside the compiled `lib/`. From the TypeScript sources this directory does not
 * exist (it would be `handlers/<name>` at the repository root), so a checkout bundles from source instead.
 */
export function prebuiltHandlerDirectory(name: PrebuiltHandler): string {
  return join(__dirname, '..', HANDLERS_DIRECTORY, name);
}

/**
 * The prebuilt bundle of a handler as Lambda code, when this module runs from the installed package; `undefined`
 * when it runs from the sources, where `NodejsFunction` bundles the TypeScript entry with the local esbuild.
 * Shipping the bundles lets any CDK app synthesize the gate offline, without esbuild or Docker.
 */
export function prebuiltHandlerCode(name: PrebuiltHandler): lambda.Code | undefined {
  const directory = prebuiltHandlerDirectory(name);
  return existsSync(join(directory, 'index.js')) ? lambda.Code.fromAsset(directory) : undefined;
}
