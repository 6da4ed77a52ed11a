import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSeasonalNdjson } from '../helpers/seasonalTraffic.js';
import { launchChromium, SCREENSHOT_DIR, type HeadlessBrowser } from './harness/index.js';

// Page-side functions run in Chromium; the test compiles without the DOM library.
declare const document: any;
declare const window: any;
const OUT = join(SCREENSHOT_DIR, 'report.html');
let browser: HeadlessBrowser;

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // The README's command, through the built CLI.
  execFileSync(process.execPath, ['dist/cli/main.js', 'report', '--input', 'examples/recorded.ndjson.gz', '--out', OUT], { stdio: 'pipe' });
  browser = await launchChromium(null);
});
afterAll(async () => {
  await browser?.close();
});

describe('promptpilot report opened from disk in headless Chromium, network blocked', () => {
  it('shows the per-route summary, every route with its charts and markers, the experiments with evidence, the decision log', async () => {
    const { page } = browser;
    await page.goto(pathToFileURL(OUT).href);
    await page.waitForSelector('[data-experiment]');
    expect(await page.locator('#route-summary tbody tr').count()).toBe(3);
    const routes = await page.$$eval('[data-route]', (els) => els.map((e) => e.getAttribute('data-route')));
    expect([...routes].sort()).toEqual(['extract-entities', 'faq-answer', 'support-answer']);
    const support = page.locator('[data-route="support-answer"]');
    expect(await support.locator('svg.chart').count()).toBe(5);
    expect(((await support.locator('svg.chart path.line').first().getAttribute('d')) ?? '').split('L').length).toBeGreaterThan(100);
    expect(await support.locator('.marker.m-action').count()).toBeGreaterThan(0);
    expect(await support.locator('.marker.m-fire').count()).toBeGreaterThan(0);
    const promoted = page.locator('[data-experiment]', { hasText: 'promoted' }).first();
    expect(await promoted.locator('.evidence tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('#decisions tbody tr').count()).toBe(29);
    await browser.screenshot('report.png');
  });

  it('prints: the print stylesheet applies and Chromium renders a PDF', async () => {
    const { page } = browser;
    await page.emulateMedia({ media: 'print' });
    expect(await page.evaluate(() => window.getComputedStyle(document.querySelector('.top')).position)).toBe('static');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(SCREENSHOT_DIR, 'report.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(50_000);
    await page.emulateMedia({ media: 'screen' });
  });

  it('loaded nothing and raised no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
    expect(readFileSync(OUT, 'utf8')).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('the weekly trend in a report of weeks', () => {
  it('shows one row per route and week, a drifting route\'s p95 rise marked, the trend in the decision log in words', async () => {
    const input = writeSeasonalNdjson([
      { route: 'drifting', ratePerSecond: 0.01, medianMs: 900, latencyCycle: 0.2, latencyDriftPctPerDay: 4 },
      { route: 'steady', ratePerSecond: 0.01, medianMs: 700, latencyCycle: 0.2 },
    ], 15);
    const out = join(SCREENSHOT_DIR, 'report-weeks.html');
    execFileSync(process.execPath, ['dist/cli/main.js', 'report', '--input', input, '--out', out], { stdio: 'pipe' });
    const { page } = browser;
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('#weekly-trend');
    expect(await page.locator('#weekly-trend tbody tr').count()).toBe(4);
    const rise = page.locator('#weekly-trend tr[data-trend-route="drifting"]').nth(1).locator('td').nth(2);
    expect(await rise.getAttribute('class')).toContain('bad');
    expect(await rise.textContent()).toMatch(/\(\+\d+\.\d %\)/);
    expect(await page.locator('#decisions tbody tr', { hasText: 'weekly trend from 2026-01-12' }).count()).toBe(2);
    await page.locator('#weekly-trend').screenshot({ path: join(SCREENSHOT_DIR, 'report-weekly-trend.png') });
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
