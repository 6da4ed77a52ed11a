// Regression (found last session): `POST /v1/routes/{route}/freeze` on a route the daemon had never heard of
// answered 200 and logged a policy record for it, so a typo in the route name "froze" nothing while the operator
// believed the real route frozen. Unknown routes answer 404 naming the route, as GET /v1/routes/{route} does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';

const TOKEN = 'tok';
let daemon: Daemon;
const post = (path: string, body: unknown = {}) =>
  fetch(`${daemon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: TOKEN }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('steering an unknown route', () => {
  it.each(['freeze', 'unfreeze', 'pause', 'resume'])('%s answers 404 naming the route and records nothing', async (action) => {
    const res = await post(`/v1/routes/suport/${action}`, { reason: 'typo' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'unknown route: suport' });
    expect((await getJson(`${daemon.url}/v1/decisions?type=policy`)).json.decisions).toEqual([]);
  });

  it('a configured route without traffic yet can still be frozen; a wrong body is still a 400', async () => {
    const bad = await post('/v1/routes/support/freeze', { reason: 7 });
    expect(bad.status).toBe(400);
    // The API's body errors read like the events endpoint's, not zod's "Invalid input: expected string, received number".
    expect(await bad.json()).toEqual({ error: 'reason: expected string, got number' });
    const variant = await post('/v1/routes/support/variants', { name: 'v2', pattern: 'one_shot' });
    expect(await variant.json()).toEqual({ error: 'pattern: expected one of zero_shot, few_shot, chain_of_thought, tree_of_thought, self_consistency, structured (got "one_shot")' });
    const res = await post('/v1/routes/support/freeze', { reason: 'release week' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { decision: unknown }).decision).toMatchObject({ type: 'policy', route: 'support', action: 'freeze' });
    expect((await post('/v1/routes/support/pause')).status).toBe(409);
  });
});
