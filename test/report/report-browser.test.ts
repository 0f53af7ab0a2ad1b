/**
 * The report opened in a real browser (a system Chromium when one runs, else the one @sparticuz/chromium ships,
 * driven by playwright-core): every chart draws, the page asks the network for nothing and logs no errors.
 * `UPDATE_SCREENSHOT=1` also refreshes docs/report-screenshot.png.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { writeReport } from '../../local/report';
import { launchChromium } from '../support/browser';
import { realisticRun } from './fixtures';

const CHART_IDS = [
  'chart-upstream',
  'chart-in-flight',
  'chart-lane-depth',
  'chart-wait-cdf',
  'chart-cooldowns',
  'chart-remaining-budget',
];
const SCREENSHOT = resolve(__dirname, '../../docs/report-screenshot.png');

interface ChartGeometry {
  id: string;
  width: number;
  height: number;
  /** Data marks (paths, rects, circles, lines) whose bounding box is not empty. */
  drawnMarks: number;
}

/** The little of the DOM the checks use (the project compiles without the DOM library). */
interface BrowserNode {
  querySelector(selector: string): BrowserNode | null;
  querySelectorAll(selector: string): ArrayLike<BrowserNode>;
  getBoundingClientRect(): { width: number; height: number };
  getBBox(): { width: number; height: number };
}

describe('report.html in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  let pageUrl: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outreach-gate-report-'));
    const { htmlPath } = await writeReport(dir, realisticRun());
    pageUrl = pathToFileURL(htmlPath).href;
    ({ browser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(pageUrl, { waitUntil: 'load' });
  });

  afterAll(async () => {
    if (process.env.UPDATE_SCREENSHOT === '1') await page?.screenshot({ path: SCREENSHOT, fullPage: true });
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it.each(CHART_IDS)(
    'GIVEN a realistic run WHEN %s is laid out THEN its SVG has a size and drawn marks',
    async (id) => {
      const geometry = await page.evaluate((chartId): ChartGeometry | null => {
        const { document } = globalThis as unknown as { document: BrowserNode };
        const svg = document.querySelector(`#${chartId} svg`);
        if (svg === null) return null;
        const box = svg.getBoundingClientRect();
        // Data marks only: axes, grid lines and legends are drawn even with no data.
        const marks = Array.from(
          svg.querySelectorAll('g.role-mark path, g.role-mark line, g.role-mark rect, g.role-mark circle'),
        );
        const drawnMarks = marks.filter((mark) => {
          const markBox = mark.getBBox();
          return markBox.width > 0 || markBox.height > 0;
        }).length;
        return { id: chartId, width: box.width, height: box.height, drawnMarks };
      }, id);

      expect(geometry).not.toBeNull();
      expect(geometry?.width).toBeGreaterThan(0);
      expect(geometry?.height).toBeGreaterThan(0);
      expect(geometry?.drawnMarks).toBeGreaterThan(0);
    },
  );

  it('GIVEN the page has loaded WHEN its requests are listed THEN only the report file itself was fetched', () => {
    expect(requests).toEqual([pageUrl]);
  });

  it('GIVEN the page has loaded THEN the console shows no errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
