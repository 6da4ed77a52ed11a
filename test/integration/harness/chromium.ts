import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (globalSetup installs it when missing). */
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

/** Where tests leave screenshots for people to look at (gitignored). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results');

/** A headless Chromium with a fresh profile, its one page, and every request the page tried to make. */
export interface HeadlessBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** URLs requested outside `allowOrigin` (each was aborted). */
  readonly blocked: string[];
  /** Uncaught page errors and console errors. */
  readonly errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with a fresh user-data dir and no background
 * networking; requests leaving `allowOrigin` (or any request, for `null`) are
 * aborted and listed, so a test can assert that a page loads nothing from elsewhere.
 */
export async function launchChromium(allowOrigin: string | null, viewport = { width: 1280, height: 900 }): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    const allowed = allowOrigin !== null ? url.startsWith(`${allowOrigin}/`) || url === allowOrigin : url.startsWith('file:') || url.startsWith('data:');
    if (allowed) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    blocked,
    errors,
    async screenshot(name) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, name);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
