import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/redis/index.js';
import type { HourlyRollup } from '../../src/foresight/hourlyRollup.js';
import { until } from '../helpers/until.js';
import { killAll, postEvents, startDaemonProcess, startRedis, type DaemonProcess, type RedisServer } from './harness/index.js';

// The long-horizon history in Redis (issue 13 with issue 10): a real `promptpilot run` seals hours of a route,
// is killed with SIGKILL, and the daemon started again shows the same hours through the history API.

const HOUR = 3_600_000;
let redis: RedisServer;
let client: Redis;
const running: DaemonProcess[] = [];
let config: string;

beforeAll(async () => {
  redis = await startRedis();
  client = await connectRedis(redis.url);
  config = join(mkdtempSync(join(tmpdir(), 'pp-history-')), 'config.yaml');
  writeFileSync(config, JSON.stringify({ redis: { instance_id: 'history-test' }, log: { level: 'info' } }));
});
afterAll(async () => {
  await killAll(running);
  client?.disconnect();
  await redis?.stop();
});

interface HistoryView {
  route: string;
  hours: HourlyRollup[];
}

async function history(d: DaemonProcess, route: string): Promise<{ status: number; body: HistoryView }> {
  const response = await fetch(`${d.url}/v1/routes/${route}/history?hours=24`);
  return { status: response.status, body: (await response.json()) as HistoryView };
}

describe('history in Redis', () => {
  it('hours sealed before a kill -9 are in GET /v1/routes/{route}/history after the restart, equal in every field', async () => {
    const env = { PROMPTPILOT_REDIS_URL: redis.url };
    const a = await startDaemonProcess('a', config, env, running);
    // Three whole hours of event time, well in the past: the first two are sealed by the third's traffic.
    const start = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
    const events = Array.from({ length: 3 * 360 }, (_, i) => ({ ts: start + i * 10_000, route: 'steady', variant: 'v1', latency_ms: 900 + (i % 10) * 20, cost_usd: 0.002, error: i % 100 === 0 }));
    expect((await postEvents(a.url, events)).status).toBe(202);
    // Written in the background: wait for Redis to hold both sealed hours.
    await until('two sealed hours in Redis', async () => ((await client.zcard('promptpilot:history:route:steady')) >= 2 ? true : null), 30_000, 100);
    const before = await history(a, 'steady');
    const sealed = before.body.hours.filter((h) => h.hourStartMs < start + 2 * HOUR);
    expect(sealed.map((h) => [h.hourStartMs, h.count])).toEqual([[start, 360], [start + HOUR, 360]]);
    expect(await client.pttl('promptpilot:history:route:steady')).toBeGreaterThan(27 * 24 * HOUR);

    await a.kill();
    const b = await startDaemonProcess('b', config, env, running);
    expect(b.output.some((line) => line.includes('"history loaded from Redis"') && line.includes('"hours":2'))).toBe(true);
    const after = await history(b, 'steady');
    expect(after.status).toBe(200);
    // The open third hour comes back too when a checkpoint had been written before the kill (redis.checkpoint_interval).
    expect(after.body.hours.filter((h) => h.hourStartMs < start + 2 * HOUR)).toEqual(sealed);
    await b.stop();
  }, 120_000);
});
