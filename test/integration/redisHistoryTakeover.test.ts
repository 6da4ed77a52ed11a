import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { postEvents, startDaemonProcess, type DaemonProcess, useRedisFixture } from './harness/index.js';

// The long-horizon history on a takeover (issue 10): two real daemons on one redis-server. B starts first,
// so the history it loads at its start has nothing of the route; A then owns the route and seals a day of its
// hours into Redis. A is killed with SIGKILL; when its lease lapses B claims the route, reads the hours A
// sealed from Redis and resumes A's checkpoint: B's history of the route holds every call sent to A.

const ROUTE = 'moving';
const MINUTE = 60_000;
const fx = useRedisFixture('pp-history-takeover-');

async function post(d: DaemonProcess, events: readonly Record<string, unknown>[]): Promise<{ accepted: number; rejected: number }> {
  const res = await postEvents(d.url, events);
  expect(res.status).toBe(202);
  return res.body as { accepted: number; rejected: number };
}

/** Calls in the route's history on `d` (sealed hours and the open one), or null when it does not know the route. */
async function historyCalls(d: DaemonProcess): Promise<number | null> {
  const res = await fetch(`${d.url}/v1/routes/${ROUTE}/history?hours=2160`);
  if (res.status === 404) return null;
  return ((await res.json()) as { hours: { count: number }[] }).hours.reduce((n, h) => n + h.count, 0);
}

describe('history on a takeover', () => {
  it('the new owner reads the hours the dead owner sealed after its own start from Redis', async () => {
    const configOf = (instance: string): string => {
      const file = join(fx.dir, `${instance}.yaml`);
      writeFileSync(file, JSON.stringify({ simulator: { enabled: false }, redis: { instance_id: instance, lease: '3s', refresh_interval: '300ms', checkpoint_interval: '1s' }, log: { level: 'info' } }));
      return file;
    };
    const env = { PROMPTPILOT_REDIS_URL: fx.redis.url };
    const b = await startDaemonProcess('B', configOf('B'), env, fx.running);
    const a = await startDaemonProcess('A', configOf('A'), env, fx.running);
    const endMs = Math.floor((Date.now() - 10 * MINUTE) / MINUTE) * MINUTE;
    const day = Array.from({ length: 1440 }, (_, i) => ({ ts: endMs - (1440 - i) * MINUTE, route: ROUTE, variant: 'v1', latency_ms: 500 + (i % 50) }));
    expect(await post(a, day)).toMatchObject({ accepted: 1440, rejected: 0 });
    await until('A sealing the day into Redis', async () => ((await fx.client.zcard(`promptpilot:history:route:${ROUTE}`)) >= 23 ? true : null), 60_000);
    await until("A's checkpoint of every call", async () => {
      const raw = await fx.client.get(`promptpilot:checkpoint:${ROUTE}`);
      return raw !== null && (JSON.parse((JSON.parse(raw) as { data: string }).data) as { lastDataMs: number }).lastDataMs === day[day.length - 1]!.ts ? true : null;
    }, 60_000);
    const onA = await historyCalls(a);
    expect(onA).toBe(1440);
    expect(await historyCalls(b)).toBeNull();
    await a.kill();

    // Traffic for the route reaches B; once A's lease lapses B claims the route.
    const more = Array.from({ length: 5 }, (_, i) => ({ ts: endMs + (i + 1) * 1000, route: ROUTE, variant: 'v1', latency_ms: 500 }));
    expect(await post(b, more)).toMatchObject({ accepted: 5, rejected: 0 });
    const loaded = await until("B loading the route's history", async () => {
      const line = b.output.find((l) => l.includes("loaded the route's history from Redis") && l.includes(`"route":"${ROUTE}"`));
      return line === undefined ? null : (JSON.parse(line) as { hours: number });
    }, 60_000);
    expect(loaded.hours).toBeGreaterThanOrEqual(23);
    // Every call A counted (its sealed hours from Redis, its open hour from its checkpoint) and the 5 sent to B.
    await until('B counting the held calls', async () => ((await historyCalls(b)) === 1445 ? true : null), 60_000);
    expect(await b.stop()).toBe(0);
  }, 300_000);
});
