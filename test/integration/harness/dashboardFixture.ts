import { afterAll, beforeAll, expect } from 'vitest';
import type { Daemon } from '../../../src/daemon.js';
import { postJson, startTestDaemon } from '../../helpers/daemon.js';
import { launchChromium, type HeadlessBrowser } from './chromium.js';

/** The test file's daemon and the headless Chromium that may reach it alone (set in `beforeAll`). */
export interface DashboardFixture {
  readonly daemon: Daemon;
  readonly browser: HeadlessBrowser;
}

/**
 * Starts a test daemon on `config`, posts each batch `batches(now)` gives to `/v1/events` (every event must be
 * accepted) and launches Chromium for it before the file's tests; closes both after them.
 */
export function useDashboardFixture(config: Record<string, unknown>, batches: (nowMs: number) => readonly (readonly unknown[])[]): DashboardFixture {
  let daemon: Daemon | undefined;
  let browser: HeadlessBrowser | undefined;
  beforeAll(async () => {
    ({ daemon } = await startTestDaemon(config));
    for (const batch of batches(Date.now())) expect((await postJson(`${daemon.url}/v1/events`, batch)).json.accepted).toBe(batch.length);
    browser = await launchChromium(daemon.url);
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });
  return {
    get daemon() {
      if (daemon === undefined) throw new Error('the dashboard fixture is set in beforeAll');
      return daemon;
    },
    get browser() {
      if (browser === undefined) throw new Error('the dashboard fixture is set in beforeAll');
      return browser;
    },
  };
}
