/** The committed OpenAPI types must match what the generator produces from the published document in the repository. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../..');
const committed = path.join(repoRoot, 'lambdas/outreach/openapi.gen.ts');
const spec = path.join(repoRoot, 'scripts/outreach/openapi.json');

test('GIVEN the published OpenAPI document kept in the repository WHEN types are regenerated THEN the committed file is identical', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'outreach-types-'));
  try {
    const fresh = path.join(dir, 'openapi.gen.ts');
    // openapi-typescript is an ES module that Jest cannot load, so the generator runs in its own process.
    execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'scripts/gen-outreach-types.ts', spec, fresh],
      { cwd: repoRoot, stdio: 'pipe' },
    );
    const text = readFileSync(fresh, 'utf8');
    expect(text === readFileSync(committed, 'utf8')).toBe(true);
    expect(text.length).toBeLessThan(250_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
