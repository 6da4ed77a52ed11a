import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';
import { launchChromium, type HeadlessBrowser } from './harness/index.js';

let daemon: Daemon;
let browser: HeadlessBrowser;
let oldDay: string;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
  const now = Date.now();
  const call = (route: string, i: number) => ({ ts: now - 60_000 + i, route, variant: 'v1', latency_ms: 800 + i });
  expect((await postJson(`${daemon.url}/v1/events`, [call('one', 0), call('three', 0), call('three', 1), call('three', 2)])).json.accepted).toBe(4);
  const twoDaysAgo = now - 2 * 86_400_000;
  expect((await postJson(`${daemon.url}/v1/events`, [{ ts: twoDaysAgo, route: 'old', variant: 'v1', latency_ms: 900 }])).json.accepted).toBe(1);
  oldDay = new Date(twoDaysAgo).toISOString().slice(0, 10);
  browser = await launchChromium(daemon.url);
});
afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

declare const document: any;

describe('dashboard: counts and times as a user reads them', () => {
  it('a route with 3 calls says "of 3 calls", one with 1 "of 1 call" (they said "of 3.00 calls", "of 1.00 calls")', async () => {
    const { page } = browser;
    await page.goto(`${daemon.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('[data-route]').length === 3, undefined, { timeout: 30_000, polling: 250 });
    const errorRateNote = (route: string) => page.locator(`[data-route="${route}"] .kpi-target`).last().textContent();
    expect(await errorRateNote('three')).toBe('of 3 calls');
    expect(await errorRateNote('one')).toBe('of 1 call');
  });

  it('a chart of a day before today says which day (it read "14:51 UTC" for traffic two days old); today\'s charts keep the time alone', async () => {
    const axis = (route: string) => browser.page.locator(`[data-route="${route}"] svg.chart text.axis`).allTextContents();
    expect((await axis('old')).some((t: string) => t.startsWith(oldDay))).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    if (new Date().getUTCHours() > 0) expect((await axis('three')).some((t: string) => t.includes(today))).toBe(false);
  });
});
