/**
 * Packs the project as `npm pack` would publish it and installs the tarball into a fresh project folder, offline.
 * The tarball is unpacked as npm installs it (`node_modules/outreach-gate`, its `package/` prefix stripped). Its
 * dependencies cannot be downloaded here (no network, and npm's cache does not hold them: `npm install
 * --offline` fails with ENOTCACHED), so each one the packed `package.json` declares is linked from this
 * repository's `node_modules`, and nothing else: a module the package uses without declaring it, or a peer the
 * project did not install, cannot be found.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Every temporary folder made here, and the dependency links in them. */
const folders: string[] = [];
const links: string[] = [];

/** A packed tarball and what `npm pack` reported of it. */
export interface PackedPackage {
  readonly tarball: string;
  readonly files: readonly string[];
}

/** Runs `npm pack` (its `prepack` script builds the package) into a new temporary folder. */
export function packProject(): PackedPackage {
  const destination = mkdtempSync(join(tmpdir(), 'outreach-gate-pack-'));
  folders.push(destination);
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [packed] = JSON.parse(output) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (packed === undefined) throw new Error(`npm pack reported nothing: ${output}`);
  return { tarball: join(destination, packed.filename), files: packed.files.map((file) => file.path) };
}

/** What the installed package declares in its `package.json`. */
interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/**
 * A new project folder with the tarball installed as `node_modules/outreach-gate`, its declared dependencies
 * linked, and its peer dependencies linked only when `withPeers` (a CDK app installs them; a producer does not).
 * Returns the project folder.
 */
export function installInto(name: string, tarball: string, withPeers: boolean): string {
  const project = mkdtempSync(join(tmpdir(), `outreach-gate-${name}-`));
  folders.push(project);
  const installed = join(project, 'node_modules', 'outreach-gate');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
  const names = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...(withPeers ? Object.keys(manifest.peerDependencies ?? {}) : []),
  ];
  for (const dependency of names) {
    const link = join(project, 'node_modules', dependency);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules', dependency)), link, 'dir');
    links.push(link);
  }
  return project;
}

/**
 * Removes every folder made here. The dependency links are unlinked first, so nothing can reach through them into
 * this repository's `node_modules`.
 */
export function removeInstalled(): void {
  for (const link of links.splice(0)) unlinkSync(link);
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** The TypeScript compiler of this repository, to type-check a project against the installed declarations. */
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
