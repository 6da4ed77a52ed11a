// Regression (found in the user pass): `curl -X POST -H 'content-type: application/json' …/freeze` (or …/promote) with
// no body — the body is optional there — answered 400 "Body cannot be empty when content-type is set to
// 'application/json'" (FST_ERR_CTP_EMPTY_JSON_BODY). An empty body is now no body, as without the header.
// Regression (found in the QA pass): a control body with a key the endpoint does not take answered
// 400 `(body): Unrecognized key: "extra"` (zod's words) where a config file says `unknown key 'extra'`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
const post = (path: string, body: string) =>
  fetch(`${daemon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok' }, body });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok' }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('control endpoints with Content-Type: application/json and no body', () => {
  it('steer and decide as without a body', async () => {
    const frozen = await post('/v1/routes/support/freeze', '');
    expect(frozen.status).toBe(200);
    expect(((await frozen.json()) as { decision: unknown }).decision).toMatchObject({ action: 'freeze', reason: 'freeze through the API' });
    expect((await post('/v1/experiments/exp-nope/promote', '')).status).toBe(404);
  });

  it('a body that is not JSON is still a 400 saying so; a body that is not an object names it', async () => {
    const bad = await post('/v1/routes/support/unfreeze', '{reason');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^body is not valid JSON: /);
    const variant = await post('/v1/routes/support/variants', '');
    expect(variant.status).toBe(400);
    expect(await variant.json()).toEqual({ error: '(body): expected object, got undefined' });
  });
});

describe('a control body with an unknown key', () => {
  it('names it as config errors do', async () => {
    const r = await post('/v1/routes/support/freeze', JSON.stringify({ reason: 'x', extra: 1, more: 2 }));
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: "(body): unknown keys 'extra', 'more'" });
  });
});
