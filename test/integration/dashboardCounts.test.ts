import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';
import { launchChromium, type HeadlessBrowser } from './harness/index.js';

let daemon: Daemon;
let browser: HeadlessBrowser;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
  const now = Date.now();
  const call = (route: string, i: number) => ({ ts: now - 60_000 + i, route, variant: 'v1', latency_ms: 800 + i });
  expect((await postJson(`${daemon.url}/v1/events`, [call('one', 0), call('three', 0), call('three', 1), call('three', 2)])).json.accepted).toBe(4);
  browser = await launchChromium(daemon.url);
});
afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

declare const document: any;

describe('dashboard: counts are whole numbers', () => {
  it('a route with 3 calls says "of 3 calls", one with 1 "of 1 call" (they said "of 3.00 calls", "of 1.00 calls")', async () => {
    const { page } = browser;
    await page.goto(`${daemon.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('[data-route]').length === 2, undefined, { timeout: 30_000, polling: 250 });
    const errorRateNote = (route: string) => page.locator(`[data-route="${route}"] .kpi-target`).last().textContent();
    expect(await errorRateNote('three')).toBe('of 3 calls');
    expect(await errorRateNote('one')).toBe('of 1 call');
  });
});
