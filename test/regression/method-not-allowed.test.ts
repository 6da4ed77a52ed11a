// Regression (found trying the API): a path the API serves, asked with another method, answered
// 404 "no such endpoint: PUT /v1/events" — as if the path did not exist. It is now a 405 naming the methods the
// path takes, in the body and in `Allow` (RFC 9110 §15.5.6); a path served under no method is still a 404.
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

describe('a served path asked with another method', () => {
  it.each([
    ['PUT', '/v1/events', 'POST'],
    ['GET', '/v1/events', 'POST'],
    ['GET', '/v1/traces', 'POST'],
    ['POST', '/v1/routes', 'GET, HEAD'],
    ['DELETE', '/v1/experiments/exp-1', 'GET, HEAD'],
    ['GET', '/v1/routes/support/freeze', 'POST'],
    ['GET', '/v1/experiments/exp-1/promote', 'POST'],
    ['DELETE', '/v1/routes/support/variants', 'GET, HEAD, POST'],
    ['PATCH', '/v1/decisions?since=0', 'GET, HEAD'],
  ])('%s %s is 405 naming %s', async (method, url, allowed) => {
    const res = await fetch(daemon.url + url, { method });
    const path = url.split('?')[0];
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allowed);
    expect(await res.json()).toEqual({ error: `method ${method} not allowed on ${path}: it takes ${allowed}`, allowed: allowed.split(', ') });
  });

  it('a path served under no method is still 404', async () => {
    const unserved: [string, string][] = [['GET', '/v1/nothing'], ['POST', '/v1/routes/support/freeze/now'], ['DELETE', '/v1']];
    for (const [method, path] of unserved) {
      const res = await fetch(daemon.url + path, { method });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: `no such endpoint: ${method} ${path}` });
    }
  });
});
