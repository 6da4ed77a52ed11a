// Regression (found in QA): a query parameter an endpoint does not take was ignored, so a typo widened the answer
// instead of failing: `/v1/decisions?rout=support` answered every route's decisions, `/v1/routes/R/history?hour=1`
// a week of hours. Every GET endpoint that takes query parameters now answers 400 naming the unknown one and
// listing those it takes; every documented parameter (and the dashboard's own request) is answered as before.
// The mutating endpoints take none: `POST …/freeze?reason=incident` froze the route with the default reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({
    server: { api_token: 'tok' },
    routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } },
    notify: { receivers: [{ name: 'audit', type: 'webhook', url: 'http://127.0.0.1:9/hook' }] },
  }));
  const event = { ts: Date.now(), route: 'support', variant: 'v1', latency_ms: 12 };
  await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
});
afterAll(async () => {
  await daemon.stop();
});

const get = async (path: string, method = 'GET'): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(`${daemon.url}${path}`, { method });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
};

describe('an unknown query parameter', () => {
  it.each([
    ['/v1/decisions?rout=support', 'rout', '/v1/decisions', ['since', 'after', 'limit', 'route', 'type']],
    ['/v1/decisions?limit=10&types=trigger', 'types', '/v1/decisions', ['since', 'after', 'limit', 'route', 'type']],
    ['/v1/assign?route=support&unit=u&variant=v1', 'variant', '/v1/assign', ['route', 'unit']],
    ['/v1/routes/support/history?hour=1', 'hour', '/v1/routes/support/history', ['hours', 'variant']],
    ['/v1/outbox/dead-letters?destination=notify:audit&limt=5', 'limt', '/v1/outbox/dead-letters', ['destination', 'limit']],
  ])('%s answers 400 naming %s and what the endpoint takes', async (url, name, path, accepted) => {
    expect(await get(url)).toEqual({ status: 400, json: { error: `unknown query parameter '${name}': GET ${path} takes ${accepted.join(', ')}`, accepted } });
  });

  it('is refused on HEAD too, and a very long name is cut short', async () => {
    expect((await get('/v1/decisions?rout=x', 'HEAD')).status).toBe(400);
    const long = await get(`/v1/decisions?${'x'.repeat(5000)}=1`);
    expect(long.status).toBe(400);
    expect((long.json as { error: string }).error.length).toBeLessThan(200);
  });
});

describe('every documented query parameter', () => {
  it.each([
    ['/v1/decisions?since=0&after=0&limit=10&route=support&type=trigger', 200],
    ['/v1/decisions?since=2026-01-05T08:00:00Z', 200],
    ['/v1/decisions?limit=1000&after=0', 200], // the dashboard's poll
    ['/v1/decisions?route', 200], // a known name without a value is that parameter, empty
    ['/v1/assign?route=support&unit=u', 200],
    ['/v1/routes/support/history?hours=24&variant=v1', 200],
    ['/v1/outbox/dead-letters?destination=notify:audit&limit=5', 200],
  ])('%s is answered as before', async (url, status) => {
    expect((await get(url)).status).toBe(status);
  });
});

describe('a query parameter on a mutating endpoint', () => {
  const post = async (path: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${daemon.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: '{}' });
    return { status: res.status, json: await res.json() };
  };

  it.each([
    ['/v1/routes/support/freeze?reason=incident', 'reason', '/v1/routes/support/freeze'],
    ['/v1/experiments/exp-1/promote?force=1', 'force', '/v1/experiments/exp-1/promote'],
    ['/v1/routes/support/variants?name=v2', 'name', '/v1/routes/support/variants'],
  ])('%s answers 400: it takes none', async (url, name, path) => {
    expect(await post(url)).toEqual({ status: 400, json: { error: `unknown query parameter '${name}': POST ${path} takes no query parameters`, accepted: [] } });
  });

  it('and nothing is done', async () => {
    await post('/v1/routes/support/freeze?reason=incident');
    expect((await post('/v1/routes/support/unfreeze')).status).toBe(409);
  });
});
