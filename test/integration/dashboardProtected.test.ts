// With server.protect_templates the experiments and the decision log need the API token, which the dashboard page
// does not have: it answered "cannot reach the daemon (/v1/experiments answered 401)" and showed nothing at all,
// though the route views it draws from stay open. It now shows the routes and says what it cannot show.
import { describe, expect, it } from 'vitest';
import { useDashboardFixture } from './harness/index.js';

const fixture = useDashboardFixture({ server: { api_token: 'tok', protect_templates: true } }, (now) => [
  Array.from({ length: 50 }, (_, i) => ({ ts: now - 60_000 + i * 1000, route: 'support', variant: 'v1', latency_ms: 800 + i })),
]);

declare const document: any;

describe('dashboard with server.protect_templates (headless Chromium)', () => {
  it('shows the routes and says that experiments and decisions need the token', async () => {
    const { page } = fixture.browser;
    await page.goto(`${fixture.daemon.url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 1, undefined, { timeout: 30_000, polling: 100 });
    expect(await page.$$eval('[data-route]', (els) => els.map((e) => e.getAttribute('data-route')))).toEqual(['support']);
    expect(await page.locator('#status').textContent()).toContain('experiments and decisions need the API token (server.protect_templates)');
    expect(fixture.browser.blocked).toEqual([]);
  });
});
