/**
 * The producer client (`outreach-gate/client`) must load in a service that has no CDK installed: nothing it
 * imports, however indirectly, may reach `aws-cdk-lib` or `constructs`. Its import graph is read as esbuild
 * resolves it, following every relative import and naming every package.
 */
import { join } from 'node:path';
import { build } from 'esbuild';

/** The packages `entry` imports, directly or through its own modules. */
async function packagesImportedBy(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const names = Object.values(result.metafile.inputs)
    .flatMap((input) => input.imports)
    .filter((imported) => imported.external)
    .map((imported) =>
      imported.path
        .split('/')
        .slice(0, imported.path.startsWith('@') ? 2 : 1)
        .join('/'),
    );
  return [...new Set(names)].sort();
}

test('GIVEN the producer client WHEN its import graph is followed THEN it reaches neither aws-cdk-lib nor constructs', async () => {
  const packages = await packagesImportedBy(join(__dirname, '..', '..', 'lib', 'client', 'index.ts'));

  expect(packages.filter((name) => name === 'aws-cdk-lib' || name === 'constructs')).toEqual([]);
});

test('GIVEN the constructs entry point WHEN its import graph is followed THEN it does reach aws-cdk-lib (the check sees CDK imports)', async () => {
  const packages = await packagesImportedBy(join(__dirname, '..', '..', 'lib', 'index.ts'));

  expect(packages).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
});
