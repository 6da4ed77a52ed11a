import { describe, expect, it } from 'vitest';
import { useDashboardFixture } from './harness/index.js';

const DAY_MS = 86_400_000;
const call = (now: number, route: string, i: number) => ({ ts: now - 60_000 + i, route, variant: 'v1', latency_ms: 800 + i });
let oldDay = '';
const fixture = useDashboardFixture({}, (now) => {
  oldDay = new Date(now - 2 * DAY_MS).toISOString().slice(0, 10);
  return [
    [call(now, 'one', 0), call(now, 'three', 0), call(now, 'three', 1), call(now, 'three', 2)],
    [{ ts: now - 2 * DAY_MS, route: 'old', variant: 'v1', latency_ms: 900 }],
  ];
});

declare const document: any;

describe('dashboard: counts and times as a user reads them', () => {
  it('a route with 3 calls says "of 3 calls", one with 1 "of 1 call" (they said "of 3.00 calls", "of 1.00 calls")', async () => {
    const { page } = fixture.browser;
    await page.goto(`${fixture.daemon.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('[data-route]').length === 3, undefined, { timeout: 30_000, polling: 250 });
    const errorRateNote = (route: string) => page.locator(`[data-route="${route}"] .kpi-target`).last().textContent();
    expect(await errorRateNote('three')).toBe('of 3 calls');
    expect(await errorRateNote('one')).toBe('of 1 call');
  });

  it('a chart of a day before today says which day (it read "14:51 UTC" for traffic two days old); today\'s charts keep the time alone', async () => {
    const axis = (route: string) => fixture.browser.page.locator(`[data-route="${route}"] svg.chart text.axis`).allTextContents();
    expect((await axis('old')).some((t: string) => t.startsWith(oldDay))).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    if (new Date().getUTCHours() > 0) expect((await axis('three')).some((t: string) => t.includes(today))).toBe(false);
  });
});
