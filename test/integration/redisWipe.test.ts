import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/redis/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from './harness/index.js';

// Redis loses its data while the daemons run (FLUSHALL, a failover to an empty replica, a restart without
// persistence). The store has no memory of what it held; the daemon does: it notices the store's epoch key gone and
// writes again what it owns — the route's state, its checkpoint, its history hours and its lease — without waiting
// for the route's state to change, says so once at warn, and decides on from what it held.

const TOKEN = 'wipe-token';
const ROUTE = 'support';
let redis: RedisServer;
let client: Redis;
let daemon: Daemon;
const lines: { level: number; msg: string; routes?: string[]; checkpoints?: number; history_hours?: number }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = await connectRedis(redis.url);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  const logger = createLogger(parseConfig({ log: { level: 'info', format: 'json' } }), sink);
  ({ daemon } = await startTestDaemon({
    simulator: { enabled: false },
    // No idle ticks while the test runs: they would slide the route's window with the wall clock (its last calls are
    // 5 min old), changing its statistics between the two views whatever Redis does.
    time: { idle_tick: '1h' },
    server: { api_token: TOKEN },
    redis: { url: redis.url, instance_id: 'wipe-a', refresh_interval: '200ms', checkpoint_interval: '500ms' },
    routes: { [ROUTE]: { targets: { latency_p95_ms: 2000 }, variants: [{ name: 'cot-v1', pattern: 'chain_of_thought', template: 'Think. {{q}}' }] } },
  }, { logger }));
});
afterAll(async () => {
  await daemon?.stop();
  client?.disconnect();
  await redis?.stop();
});

const keys = { route: `promptpilot:route:${ROUTE}`, checkpoint: `promptpilot:checkpoint:${ROUTE}`, history: `promptpilot:history:route:${ROUTE}`, lease: `promptpilot:lease:${ROUTE}` };

/** The stored route's control state, checkpoint, history hours and lease owner, once all are there. */
async function stored(): Promise<{ control: unknown; checkpoint: boolean; hours: number; owner: string | null } | null> {
  const [route, checkpoint, hours, owner] = await Promise.all([client.get(keys.route), client.exists(keys.checkpoint), client.zcard(keys.history), client.hget(keys.lease, 'owner')]);
  if (route === null || checkpoint === 0 || hours === 0 || owner === null) return null;
  return { control: (JSON.parse(route) as { control: unknown }).control, checkpoint: true, hours, owner };
}

describe('Redis emptied under a running daemon', () => {
  it('the daemon writes again the route state, checkpoint, history and lease it owns, logs it once, and decides on', async () => {
    // Three hours of traffic (sealed hours of history), then a freeze: a route state only the API changes.
    const start = Date.now() - 3 * 3_600_000;
    const events = Array.from({ length: 3_000 }, (_, i) => ({ ts: start + i * 3_500, route: ROUTE, variant: 'cot-v1', latency_ms: 800 + (i % 20) * 5 }));
    expect((await postJson(`${daemon.url}/v1/events`, events)).json.accepted).toBe(3_000);
    const frozen = await fetch(`${daemon.url}/v1/routes/${ROUTE}/freeze`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ reason: 'release week' }) });
    expect(frozen.status).toBe(200);
    const before = await until('the route stored whole', async () => {
      const s = await stored();
      return s !== null && (s.control as { frozen?: boolean }).frozen === true ? s : null;
    }, 20_000);
    const viewBefore = (await getJson(`${daemon.url}/v1/routes/${ROUTE}`)).json;

    await client.flushall();

    const after = await until('the route written again after the wipe', stored, 20_000);
    expect(after.control).toEqual(before.control);
    expect(after.owner).toBe('wipe-a');
    expect(after.hours).toBe(before.hours);
    expect(await client.get('promptpilot:schema')).toBe('1');
    // Once, at warn, naming what was written again (it follows the checkpoint's write): no second line a few
    // refresh rounds (200 ms) later.
    const wiped = (): typeof lines => lines.filter((l) => /Redis lost its data/.test(l.msg));
    await until('the wipe logged', async () => (wiped().length > 0 ? true : null), 20_000, 20);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const told = wiped();
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ level: 40, routes: [ROUTE] });
    expect(told[0]!.history_hours).toBe(before.hours);
    // What the daemon holds is as it was: statistics, the freeze.
    const viewAfter = (await getJson(`${daemon.url}/v1/routes/${ROUTE}`)).json;
    expect(viewAfter.variants).toEqual(viewBefore.variants);
    expect(viewAfter.blocked).toEqual(viewBefore.blocked);
    expect(viewBefore.blocked).not.toBeNull();
  });
});
