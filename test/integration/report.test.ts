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

describe('KPI cards judge the variant they show', () => {
  it("a candidate's firing latency rule does not paint the serving variant's healthy p95 red; the serving variant's own does", async () => {
    const { reportPage } = await import('../../src/ui/page.js');
    const variant = (name: string, p95: number) => ({
      variant: name, pattern: 'few_shot', count: 500, latency_ms: { p50: p95 / 2, p95, p99: p95 * 1.5 }, error_rate: 0.01, cost_per_task_usd: 0.001,
      tokens_per_quality_point: 10, accuracy: 0.95, consistency: null, satisfaction: null, tokens_per_request: 500, window: { start: 0, end: 300_000 },
    });
    const firing = (on: string) => ({ variant: on, rule: 'performance_degradation', metric: 'latency_p95_ms', state: 'firing', severity: 'warning', threshold: 3600, value: 4800, since: 0, fired_at: 0 });
    const route = (name: string, on: string) => ({
      route: name, watermark: 300_000, targets: { latency_p95_ms: 3000, latency_p99_ms: 7500, cost_per_task_usd: 0.1, tokens_per_quality_point: 100, accuracy: 0.9, consistency: 0.9 },
      serving: { variant: 'v1', pattern: 'few_shot', tier: 'standard', max_tokens: 1500 }, variants: [variant('v1', 2800), variant('v2', 4800)],
      rules: [], active: [firing(on)], experiment: null, blocked: null,
    });
    const file = join(SCREENSHOT_DIR, 'kpi-health.html');
    writeFileSync(file, reportPage({ routes: [route('candidate-slow', 'v2'), route('serving-slow', 'v1')], series: {}, experiments: [], decisions: [] } as never, 'kpi', 'kpi'));
    const { page } = browser;
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('[data-route="serving-slow"] .kpi');
    const p95Card = (route: string) => page.locator(`[data-route="${route}"] .kpi`).first().getAttribute('class');
    expect(await p95Card('candidate-slow')).toBe('kpi good');
    expect(await p95Card('serving-slow')).toBe('kpi bad');
    expect(browser.errors).toEqual([]);
  });
});
