import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { launchChromium, type HeadlessBrowser } from './harness/index.js';

const DEMO_ROUTES = ['contract-review', 'extract-entities', 'faq-answer', 'support-triage'];

let daemon: Daemon;
let browser: HeadlessBrowser;

beforeAll(async () => {
  // The demo config (npm start), event time at 120x so experiments start within seconds of wall time.
  const demo = parse(readFileSync('config/demo.yaml', 'utf8')) as Record<string, any>;
  // Any free port: demo.yaml's 4318 may be taken by a daemon a developer is running.
  ({ daemon } = await startTestDaemon({ ...demo, server: { ...demo['server'], port: 0 }, simulator: { ...demo['simulator'], speedup: 120 } }));
  browser = await launchChromium(daemon.url);
});
afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

// Page-side functions run in Chromium (the page's CSP forbids evaluating strings); the test compiles without the DOM library.
declare const document: any;
declare const window: any;
const updates = async (): Promise<number> => Number(await browser.page.evaluate(() => document.body.dataset.updates ?? 0));

describe('dashboard at GET / (headless Chromium, daemon fed by the simulator)', () => {
  it('is one HTML page that loads nothing from elsewhere', async () => {
    const res = await fetch(`${daemon.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
  });

  it('shows every route with its numbers against targets, charts, an experiment with arms, ramp and evidence, and the decision log', async () => {
    const { page } = browser;
    await page.goto(`${daemon.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('[data-experiment]').length > 0 && document.querySelectorAll('#decisions tbody tr').length > 3, undefined, { timeout: 120_000, polling: 250 });
    const routes = await page.$$eval('[data-route]', (els) => els.map((e) => e.getAttribute('data-route')));
    expect([...routes].sort()).toEqual(DEMO_ROUTES);
    const triage = page.locator('[data-route="support-triage"]');
    const kpis = await triage.locator('.kpi-label').allTextContents();
    expect(kpis).toEqual(['p95 latency', 'p99 latency', 'cost per task', 'tokens per quality point', 'accuracy', 'error rate']);
    expect(await triage.locator('.kpi-target').first().textContent()).toBe('target 6.00 s');
    // Charts: a drawn line (a path with points) in the latency chart of every route, and decision markers.
    for (const route of DEMO_ROUTES) {
      const d = await page.locator(`[data-route="${route}"] svg.chart path.line`).first().getAttribute('d');
      expect(d?.split('L').length ?? 0).toBeGreaterThan(5);
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-route] .marker').length > 0, undefined, { timeout: 60_000 });
    const experiment = page.locator('[data-experiment]').first();
    expect(await experiment.locator('.arm').count()).toBe(2);
    expect(await experiment.locator('.ramp-fill').count()).toBe(1);
    expect(await experiment.locator('.badge').first().textContent()).toMatch(/running|promoted|rolled back|inconclusive/);
    const logText = await page.locator('#decisions').textContent();
    expect(logText).toMatch(/fires \((warning|critical|info)\)/);
    expect(logText).toMatch(/experiment started: .* at \d+ % of traffic/);
    await browser.screenshot('dashboard.png');
  });

  it('updates without a reload', async () => {
    const { page } = browser;
    const before = await updates();
    const firstLine = await page.locator('[data-route="faq-answer"] svg.chart path.line').first().getAttribute('d');
    await page.waitForFunction((n: number) => Number(document.body.dataset.updates) >= n + 2, before, { timeout: 60_000 });
    await page.waitForFunction((old: string | null) => document.querySelector('[data-route="faq-answer"] svg.chart path.line').getAttribute('d') !== old, firstLine, { timeout: 60_000 });
    // Still the first document: the numbers changed in place.
    expect(await page.evaluate(() => window.performance.getEntriesByType('navigation').length)).toBe(1);
  });

  it('works in a narrow window: nothing wider than the screen', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction((n: number) => Number(document.body.dataset.updates) > n, await updates(), { timeout: 60_000 });
    const overflow = Number(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth));
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('[data-route]').count()).toBe(4);
    await browser.screenshot('dashboard-narrow.png');
  });

  it('made no request outside the daemon and raised no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
