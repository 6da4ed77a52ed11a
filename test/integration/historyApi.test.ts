import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
const HOUR = 3_600_000;
// Three whole hours of event time, starting on an hour, well in the past.
const start = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({}));
  const batch = Array.from({ length: 3 * 360 }, (_, i) => ({ ts: start + i * 10_000, route: 'steady', variant: 'v1', latency_ms: 900 + (i % 10) * 20, cost_usd: 0.002, error: i % 100 === 0 }));
  expect((await postJson(`${daemon.url}/v1/events`, batch)).status).toBe(202);
});
afterAll(async () => {
  await daemon.stop();
});

describe('GET /v1/routes/{route}/history', () => {
  it('hourly rollups oldest first: calls, errors, percentiles, spend by budget share', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/steady/history?hours=24`);
    expect(status).toBe(200);
    expect(json.route).toBe('steady');
    const sealed = json.hours.filter((h: any) => h.hourStartMs < start + 2 * HOUR);
    expect(sealed.map((h: any) => h.hourStartMs)).toEqual([start, start + HOUR]);
    for (const h of sealed) {
      expect(h).toMatchObject({ count: 360, errorCount: 4 });
      expect(h.latencyP95Ms).toBeGreaterThan(1000);
      expect(h.spendUsd.production).toBeCloseTo(0.72, 9);
    }
    expect(json.trend).toBeNull();
  });

  it('?variant= gives one variant\'s hours where the route served several (a 10 % canary here)', async () => {
    const mixed = Array.from({ length: 2 * 360 }, (_, i) => ({ ts: start + i * 10_000, route: 'mixed', variant: i % 10 === 1 ? 'canary' : 'main', latency_ms: i % 10 === 1 ? 700 : 900 }));
    expect((await postJson(`${daemon.url}/v1/events`, mixed)).status).toBe(202);
    const all = (await getJson(`${daemon.url}/v1/routes/mixed/history?hours=24`)).json;
    expect(all.hours[0]).toMatchObject({ served: 'main', count: 360 });
    expect(Object.keys(all.hours[0].variants)).toEqual(['main', 'canary']);
    const { status, json } = await getJson(`${daemon.url}/v1/routes/mixed/history?hours=24&variant=canary`);
    expect(status).toBe(200);
    expect(json.variant).toBe('canary');
    expect(json.hours[0]).toMatchObject({ hourStartMs: start, served: false, count: 36, latencyP95Ms: expect.closeTo(700, -1) });
    expect((await getJson(`${daemon.url}/v1/routes/mixed/history?variant=`)).json.error).toMatch(/^variant:/);
  });

  it('bad hours are a 400 naming the parameter; an unknown route is a 404', async () => {
    expect((await getJson(`${daemon.url}/v1/routes/steady/history?hours=0`)).status).toBe(400);
    expect((await getJson(`${daemon.url}/v1/routes/steady/history?hours=abc`)).json.error).toMatch(/^hours:/);
    expect((await getJson(`${daemon.url}/v1/routes/nope/history`)).status).toBe(404);
  });
});
