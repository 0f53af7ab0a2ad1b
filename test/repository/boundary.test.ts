/**
 * Nothing in the repository reads outside it: a fresh clone has nothing beside it, so a file that reaches above
 * the root works on one machine and fails on the next. The first test scans every file of the repository; the
 * others show, on small sources, each kind of reach the scan catches and what it leaves alone.
 */
import { join } from 'node:path';
import { findOutsideReferences, findRepositoryOutsideReferences } from './outside-references';

const repositoryRoot = join(__dirname, '..', '..');
/** A checkout somewhere: the scan only compares paths, so it need not exist. */
const ROOT = '/checkouts/outreach-gate';

test('GIVEN every file of the repository WHEN scanned THEN none reaches outside the repository root', () => {
  expect(findRepositoryOutsideReferences(repositoryRoot)).toEqual([]);
});

test('GIVEN a source that reads a file beside the checkout WHEN scanned THEN the read is reported', () => {
  // Spelled in pieces so this fixture is not itself a reach outside the repository for simpler scanners.
  const beside = ['..', 'shared', 'outreach', 'openapi.json'].join('/');
  const source = [
    "const repoRoot = path.resolve(__dirname, '../..');",
    `const spec = path.resolve(repoRoot, '${beside}');`,
  ].join('\n');

  const found = findOutsideReferences(ROOT, 'test/outreach-sim/a.test.ts', `import path from 'node:path';\n${source}`);

  expect(found).toContainEqual(
    expect.objectContaining({ line: 3, leadsTo: '/checkouts/shared/outreach/openapi.json' }),
  );
});

test('GIVEN a relative import that climbs above the root WHEN scanned THEN it is reported', () => {
  const found = findOutsideReferences(ROOT, 'lib/a.ts', "import { x } from '../../elsewhere/x';\n");

  expect(found).toEqual([
    { file: 'lib/a.ts', line: 1, reference: "'../../elsewhere/x'", leadsTo: '/checkouts/elsewhere/x' },
  ]);
});

test('GIVEN require, dynamic import and jest.mock of modules above the root WHEN scanned THEN each is reported', () => {
  const source = ["const a = require('../../a');", "const b = import('../../b');", "jest.mock('../../c');"].join('\n');

  const found = findOutsideReferences(ROOT, 'bin/a.ts', source);

  expect(found.map((reference) => reference.leadsTo)).toEqual(['/checkouts/a', '/checkouts/b', '/checkouts/c']);
});

test('GIVEN paths built from __dirname with named path imports WHEN one climbs above the root THEN only it is reported', () => {
  const source = [
    "import { join, resolve } from 'node:path';",
    "export const ENTRY = join(__dirname, '..', '..', 'lambdas', 'dispatcher', 'handler.ts');",
    "export const SPEC = resolve(__dirname, '..', '..', '..', 'spec.json');",
  ].join('\n');

  const found = findOutsideReferences(ROOT, 'lib/constructs/a.ts', source);

  expect(found).toEqual([expect.objectContaining({ line: 3, leadsTo: '/checkouts/spec.json' })]);
});

test('GIVEN an fs read of a relative path WHEN it climbs above the root the npm scripts run in THEN it is reported', () => {
  const source = "import { readFileSync } from 'node:fs';\nreadFileSync('../notes/settings.json', 'utf8');\n";

  const found = findOutsideReferences(ROOT, 'local/a.ts', source);

  expect(found).toEqual([expect.objectContaining({ line: 2, leadsTo: '/checkouts/notes/settings.json' })]);
});

test('GIVEN a child process started in a directory above the root WHEN scanned THEN its cwd is reported', () => {
  const source =
    "import path from 'node:path';\nexecFileSync('npm', ['test'], { cwd: path.join(__dirname, '../..') });\n";

  const found = findOutsideReferences(ROOT, 'bin/a.ts', source);

  expect(found).toEqual([expect.objectContaining({ line: 2, leadsTo: '/checkouts' })]);
});

test('GIVEN a shell script that copies from the folder beside the checkout WHEN scanned THEN the line is reported', () => {
  const found = findOutsideReferences(ROOT, '.ci/run', '#!/usr/bin/env bash\ncp "$PWD/../shared/x" .\n');

  expect(found).toEqual([expect.objectContaining({ file: '.ci/run', line: 2 })]);
});

test('GIVEN a document that links above the root WHEN scanned THEN the line is reported', () => {
  const found = findOutsideReferences(ROOT, 'docs/guide.md', 'See [the notes](../../notes/DESIGN.md).\n');

  expect(found).toEqual([
    expect.objectContaining({ file: 'docs/guide.md', line: 1, leadsTo: '/checkouts/notes/DESIGN.md' }),
  ]);
});

test('GIVEN a JSON config that extends a file above the root WHEN scanned THEN the path is reported', () => {
  const found = findOutsideReferences(ROOT, 'tsconfig.json', '{\n  "extends": "../base/tsconfig.json"\n}\n');

  expect(found).toEqual([
    { file: 'tsconfig.json', line: 2, reference: '../base/tsconfig.json', leadsTo: '/checkouts/base/tsconfig.json' },
  ]);
});

test('GIVEN system paths, temporary directories and paths inside the root WHEN scanned THEN nothing is reported', () => {
  const source = [
    "import { existsSync, readFileSync } from 'node:fs';",
    "import { tmpdir } from 'node:os';",
    "import path from 'node:path';",
    "import { helper } from '../support/helper';",
    "existsSync('/usr/bin/chromium');",
    "readFileSync(path.join(tmpdir(), '..', 'x'));",
    "const root = path.resolve(__dirname, '../..');",
    "readFileSync(path.join(root, 'scripts', 'outreach', 'openapi.json'));",
  ].join('\n');

  expect(findOutsideReferences(ROOT, 'test/report/a.test.ts', source)).toEqual([]);
});
