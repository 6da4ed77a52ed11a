// Regression (found in the QA pass): a control body with a key the endpoint does not take answered
// 400 `(body): Unrecognized key: "extra"` (zod's words) where a config file says `unknown key 'extra'`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok' }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('a control body with an unknown key', () => {
  it('names it as config errors do', async () => {
    const r = await fetch(`${daemon.url}/v1/routes/support/freeze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: JSON.stringify({ reason: 'x', extra: 1, more: 2 }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: "(body): unknown keys 'extra', 'more'" });
  });
});
