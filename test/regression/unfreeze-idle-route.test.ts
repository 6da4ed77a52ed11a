// Regression (found in the QA pass): a route learned from traffic and frozen through the API stayed frozen after its
// traffic stopped and its live state was dropped (so it is still frozen when calls come back), but `unfreeze` then
// answered 404 "unknown route": the operator could not lift the freeze until traffic returned. A frozen route is known:
// its view shows the freeze (it answered 404 too) and it can be unfrozen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const TOKEN = 'tok';
let daemon: Daemon;
const post = (path: string) => fetch(`${daemon.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: TOKEN }, time: { bucket: '1s', window: '2s', allowed_lateness: '0s', idle_tick: '100ms' } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('a frozen route whose traffic stopped', () => {
  it('can be unfrozen after its live state is gone, and not twice', async () => {
    expect((await postJson(`${daemon.url}/v1/events`, { ts: Date.now(), route: 'fz', variant: 'v1', latency_ms: 100 })).status).toBe(202);
    expect((await post('/v1/routes/fz/freeze')).status).toBe(200);
    // Its live state goes (no variants, no watermark), but its view stays and shows the freeze.
    const view = async () => (await getJson(`${daemon.url}/v1/routes/fz`)) as { status: number; json: { variants?: unknown[]; watermark?: number | null; blocked?: { code: string } | null } };
    await until('the idle route to be dropped', async () => ((await view()).json.variants?.length === 0 ? true : null), 20_000);
    const idle = await view();
    expect(idle.status).toBe(200);
    expect(idle.json).toMatchObject({ watermark: null, blocked: { code: 'frozen' } });
    const res = await post('/v1/routes/fz/unfreeze');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { decision: unknown }).decision).toMatchObject({ type: 'policy', route: 'fz', action: 'unfreeze' });
    expect((await post('/v1/routes/fz/unfreeze')).status).toBe(404);
    // Unfrozen and without traffic, it is unknown again.
    expect((await view()).status).toBe(404);
  }, 30_000);
});
