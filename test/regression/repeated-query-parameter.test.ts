// Regression (found in the QA pass): a repeated query parameter reached the handlers as an array where each reads a
// string: `/v1/assign?route=R&unit=a&unit=b` assigned a unit "a,b", `?route=a&route=b` answered 404 "unknown route:
// a,b", `/v1/routes/R/history?variant=a&variant=b` echoed `"variant":["a","b"]`. Each is now a 400 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('a query parameter given twice', () => {
  it.each([
    ['/v1/assign?route=support&unit=a&unit=b', 'unit'],
    ['/v1/assign?route=support&route=other&unit=a', 'route'],
    ['/v1/routes/support/history?variant=v1&variant=v2', 'variant'],
    ['/v1/decisions?route=a&route=b', 'route'],
  ])('%s answers 400 naming %s', async (path, name) => {
    const r = await fetch(`${daemon.url}${path}`);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: `${name}: query parameter given more than once; it takes one value` });
  });

  it('one of each is answered as before', async () => {
    expect((await fetch(`${daemon.url}/v1/assign?route=support&unit=a`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/v1/decisions?route=a`)).status).toBe(200);
  });
});
