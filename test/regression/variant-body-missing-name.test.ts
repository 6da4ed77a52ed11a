// Regression (found using the API as a new user): registering a variant without its `name`
// (`POST /v1/routes/{route}/variants` with `{"pattern":"few_shot"}`) answered `name: expected string, got undefined`,
// which reads like the daemon's own bug. It says the field is missing, as the events endpoint does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

const TOKEN = 'tok';
let daemon: Daemon;
const register = (body: unknown) =>
  fetch(`${daemon.url}/v1/routes/support/variants`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: TOKEN }, routes: { support: { variants: [{ name: 'v1' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('a variant registration without a name', () => {
  it('is a 400 saying the field is missing', async () => {
    const r = await register({ pattern: 'few_shot' });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: 'name: required field is missing' });
  });

  it('a name of the wrong type still says what it got', async () => {
    expect(await (await register({ name: 7 })).json()).toEqual({ error: 'name: expected string, got number' });
  });
});
