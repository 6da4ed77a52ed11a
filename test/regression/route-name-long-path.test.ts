// Regression (found using the daemon as a new user): a route name may have up to 200 characters, but the router took
// path parameters of at most 100 (Fastify's default), so a route named with 101–200 characters was accepted on
// /v1/events and then unreachable at its own endpoints: GET /v1/routes/{route} (and its series, history, variants,
// steering) answered 400 FST_ERR_MAX_PARAM_LENGTH echoing the whole path. Every valid name is reachable now, also
// percent-encoded; a segment longer than any name can be is a 400 that says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

const TOKEN = 'tok';
let daemon: Daemon;
const warnings: string[] = [];
const onWarning = (w: Error): void => {
  warnings.push(`${w.name}: ${w.message}`);
};
const ascii = 'r'.repeat(200);
const wide = '路'.repeat(200); // 3 UTF-8 bytes each: 1,800 characters percent-encoded, 200 decoded

beforeAll(async () => {
  process.on('warning', onWarning);
  ({ daemon } = await startTestDaemon({ server: { api_token: TOKEN } }));
  const ts = Date.now();
  const sent = await postJson(`${daemon.url}/v1/events`, [ascii, wide].map((route) => ({ ts, route, variant: 'v1', latency_ms: 900 })));
  expect(sent.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
});
afterAll(async () => {
  process.off('warning', onWarning);
  await daemon.stop();
});

describe('a route named with the longest name the wire format allows', () => {
  it('the router takes the longer names without a deprecation warning (a line on every run\'s stderr)', () => {
    expect(warnings.filter((w) => w.startsWith('FastifyWarning'))).toEqual([]);
  });

  it.each([
    ['200 ASCII characters', ascii],
    ['200 three-byte characters', wide],
  ])('%s answers at every route endpoint', async (_what, route) => {
    const path = `${daemon.url}/v1/routes/${encodeURIComponent(route)}`;
    const view = await getJson(path);
    expect(view.status).toBe(200);
    expect(view.json.route).toBe(route);
    expect((await getJson(`${path}/series`)).status).toBe(200);
    expect((await getJson(`${path}/history?hours=1`)).status).toBe(200);
    const freeze = await fetch(`${path}/freeze`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(freeze.status).toBe(200);
  });

  it('a path segment longer than any route name can be is a 400 saying so, not the whole path echoed', async () => {
    const r = await getJson(`${daemon.url}/v1/routes/${encodeURIComponent('路'.repeat(201))}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'bad URL: a path segment longer than any route name (at most 200 characters)', code: 'FST_ERR_MAX_PARAM_LENGTH' });
  });
});
