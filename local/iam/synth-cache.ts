/**
 * A cache of synthesized stacks on disk, so that every test file and run after the first skips the ten-odd
 * seconds of synthesis. An entry is keyed by its arguments and by a digest of every source file the stack is
 * built from (lib/, lambdas/shared/, the checker itself) and the CDK's version: any change to them synthesizes
 * afresh. A missing, unreadable or corrupt entry is rebuilt; nothing here can change what is checked.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SOURCES = ['lib', join('lambdas', 'shared'), join('local', 'iam')];
let sourceDigest: string | undefined;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((path) => path.endsWith('.ts'))
    .sort();
}

/** A digest of the stack's sources and the CDK's version, computed once per process. */
function digestOfSources(): string {
  if (sourceDigest !== undefined) return sourceDigest;
  const hash = createHash('sha256');
  for (const path of SOURCES.flatMap((dir) => files(join(ROOT, dir)))) {
    hash.update(path.slice(ROOT.length)).update(readFileSync(path));
  }
  hash.update(readFileSync(require.resolve('aws-cdk-lib/package.json')));
  sourceDigest = hash.digest('hex');
  return sourceDigest;
}

/**
 * The value cached on disk under `key` (and the current sources), or `build()`'s, which is then stored.
 * `toJson`/`fromJson` convert what JSON cannot hold (e.g. maps).
 */
export function diskCached<T>(
  key: string,
  build: () => T,
  codec: { toJson(value: T): unknown; fromJson(json: unknown): T },
): T {
  const dir = join(tmpdir(), 'outreach-gate-synth');
  const file = join(dir, `${createHash('sha256').update(digestOfSources()).update(key).digest('hex')}.json`);
  try {
    return codec.fromJson(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // Not cached yet (or unreadable): build it.
  }
  const value = build();
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(codec.toJson(value)));
    renameSync(temporary, file);
  } catch {
    // A cache that cannot be written only costs the next process a synthesis.
  }
  return value;
}
