/**
 * Finding a Chromium for the real-browser checks: the system's when it runs, else the packaged one, and a clear
 * error naming both paths when neither runs. Every launch here starts a real browser.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LaunchedChromium, launchChromium, PACKAGED_CHROMIUM_DIR } from './browser';

/** Opens a page in the launched browser and returns what its script computed, proving the browser really runs. */
async function evaluateInPage(launched: LaunchedChromium): Promise<number> {
  const page = await launched.browser.newPage();
  await page.setContent('<p>6 × 7</p>');
  return page.evaluate(() => 6 * 7);
}

let scratch: string;
const running: LaunchedChromium[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'outreach-gate-browser-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((launched) => launched.browser.close()));
  await rm(scratch, { recursive: true, force: true });
});

test('GIVEN no system Chromium WHEN a browser is launched THEN the packaged Chromium runs the page', async () => {
  const launched = await launchChromium({ systemPath: join(scratch, 'no-chromium-here') });
  running.push(launched);

  expect(launched.source).toBe('packaged');
  expect(launched.executablePath).toBe(join(PACKAGED_CHROMIUM_DIR, 'chromium'));
  expect(await evaluateInPage(launched)).toBe(42);
});

test('GIVEN a working Chromium at the system path WHEN a browser is launched THEN that one is used', async () => {
  const packaged = await launchChromium({ systemPath: join(scratch, 'no-chromium-here') });
  await packaged.browser.close();

  const launched = await launchChromium({ systemPath: packaged.executablePath, packagedDir: join(scratch, 'unused') });
  running.push(launched);

  expect(launched.source).toBe('system');
  expect(launched.executablePath).toBe(packaged.executablePath);
  expect(await evaluateInPage(launched)).toBe(42);
  expect(existsSync(join(scratch, 'unused'))).toBe(false);
});

test('GIVEN a system path that is not a browser WHEN a browser is launched THEN the packaged Chromium runs', async () => {
  const notABrowser = join(scratch, 'chromium');
  await writeFile(notABrowser, '#!/bin/sh\nexit 3\n');
  await chmod(notABrowser, 0o755);

  const launched = await launchChromium({ systemPath: notABrowser });
  running.push(launched);

  expect(launched.source).toBe('packaged');
  expect(await evaluateInPage(launched)).toBe(42);
});

test('GIVEN an empty directory WHEN two launches unpack into it at once THEN both run and no staging copy is left', async () => {
  const packagedDir = join(scratch, 'packaged');
  const systemPath = join(scratch, 'no-chromium-here');

  const both = await Promise.all([
    launchChromium({ systemPath, packagedDir }),
    launchChromium({ systemPath, packagedDir }),
  ]);
  running.push(...both);

  for (const launched of both) {
    expect(launched.executablePath).toBe(join(packagedDir, 'chromium'));
    expect(await evaluateInPage(launched)).toBe(42);
  }
  expect(await readdir(scratch)).toEqual(['packaged']);
});

test('GIVEN neither Chromium runs WHEN a browser is launched THEN the error names both paths', async () => {
  const systemPath = join(scratch, 'no-chromium-here');
  const packagedDir = join(scratch, 'broken');
  await mkdir(packagedDir);
  await writeFile(join(packagedDir, 'chromium'), 'not a browser');

  const launching = launchChromium({ systemPath, packagedDir });

  await expect(launching).rejects.toThrow(systemPath);
  await expect(launching).rejects.toThrow(join(packagedDir, 'chromium'));
});
