import { describe, expect, it } from 'vitest';
import { connectRedis, RedisHistoryStore } from '../../src/adapters/redis/index.js';
import { HOUR_MS } from '../../src/foresight/hourlyRollup.js';
import type { HistoryStore } from '../../src/foresight/historyStore.js';
import { startRedis } from '../integration/harness/index.js';
import { until } from '../helpers/until.js';
import { redisForSuite } from '../helpers/redis.js';
import { historyStoreContract, hour } from './historyStoreContract.js';

const redis = redisForSuite();
/** Each store's prefix and limits, to open it again as a restart would. */
const made = new WeakMap<HistoryStore, { prefix: string; retentionHours: number; maxRoutes: number }>();

async function open(prefix: string, retentionHours: number, maxRoutes: number): Promise<RedisHistoryStore> {
  const store = new RedisHistoryStore(redis.current.client, { prefix, retentionMs: retentionHours * HOUR_MS, maxRoutes });
  await store.open();
  made.set(store, { prefix, retentionHours, maxRoutes });
  return store;
}

// Each store gets its own key prefix on one redis-server the file starts, so every test starts empty.
historyStoreContract('RedisHistoryStore', (retentionHours, maxRoutes) => open(redis.current.prefix(), retentionHours, maxRoutes), {
  flush: (store) => (store as RedisHistoryStore).flush(),
  reopen: (store) => {
    const { prefix, retentionHours, maxRoutes } = made.get(store)!;
    return open(prefix, retentionHours, maxRoutes);
  },
});

describe('RedisHistoryStore in Redis', () => {
  it('keeps its keys under the prefix, each expiring after the retention', async () => {
    const client = redis.current.client;
    const store = await open('hist:', 48, 10);
    store.append('support', hour(0));
    await store.flush();
    expect((await client.keys('*')).filter((k) => k.startsWith('hist:')).sort()).toEqual(['hist:history:route:support', 'hist:history:routes']);
    for (const key of ['hist:history:route:support', 'hist:history:routes']) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(47 * HOUR_MS);
      expect(ttl).toBeLessThanOrEqual(48 * HOUR_MS);
    }
  });

  it('a takeover: loadRoute reads the hours another instance sealed since this one opened, ', async () => {
    const prefix = redis.current.prefix();
    const owner = await open(prefix, 48, 10);
    const survivor = await open(prefix, 48, 10);
    owner.append('r', hour(1));
    owner.append('r', hour(2));
    await owner.flush();
    expect(survivor.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(await survivor.loadRoute('r')).toBe(2);
    expect(survivor.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual([hour(1), hour(2)]);
    // Only from the newest hour held on: hour 2 again (it may have been re-sealed) and hour 3.
    owner.append('r', hour(3));
    await owner.flush();
    expect(await survivor.loadRoute('r')).toBe(2);
    expect(survivor.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual([hour(1), hour(2), hour(3)]);
    expect(await survivor.loadRoute('unknown')).toBe(0);
  });

  it('skips and reports a stored hour that is not one, loading the rest', async () => {
    const client = redis.current.client;
    const problems: string[] = [];
    const store = await open('badh:', 48, 10);
    store.append('r', hour(1));
    await store.flush();
    await client.zadd('badh:history:route:r', 0, '{"hourStartMs":', 1, '{"hourStartMs":5}');
    const again = new RedisHistoryStore(client, { prefix: 'badh:', retentionMs: 48 * HOUR_MS, maxRoutes: 10, onCorrupt: (key, problem) => problems.push(`${key}: ${problem}`) });
    expect(await again.open()).toBe(1);
    expect(again.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual([hour(1)]);
    expect(problems).toEqual([expect.stringMatching(/^badh:history:route:r: not JSON/), 'badh:history:route:r: not an hourly rollup (count)']);
  });

  it('a Redis outage: appends go on in memory, one pending entry per route, written when Redis is back', async () => {
    const server = await startRedis({ durable: true });
    const client = await connectRedis(server.url);
    const availability: (string | null)[] = [];
    try {
      const store = new RedisHistoryStore(client, { prefix: 'o:', retentionMs: 24 * 28 * HOUR_MS, maxRoutes: 10, retryMs: 100, onAvailability: (f) => availability.push(f) });
      await store.open();
      store.append('r', hour(0));
      await store.flush();
      await server.kill();
      for (let i = 1; i < 50; i++) store.append('r', hour(i));
      store.append('s', hour(0));
      await expect(store.flush()).rejects.toThrow();
      expect(store.unavailable).not.toBeNull();
      // Bounded by routes, not by hours: 50 hours of two routes wait as two entries.
      expect(store.pendingRoutes).toBe(2);
      expect(store.hours('r', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(50);
      await server.restart();
      await until('the pending history written', async () => (store.pendingRoutes === 0 && store.unavailable === null ? true : null), 20_000, 50);
      expect(availability[0]).toEqual(expect.any(String));
      expect(availability[availability.length - 1]).toBeNull();
      const again = new RedisHistoryStore(client, { prefix: 'o:', retentionMs: 24 * 28 * HOUR_MS, maxRoutes: 10 });
      expect(await again.open()).toBe(51);
      expect(again.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual(store.hours('r', 0, Number.MAX_SAFE_INTEGER));
      await store.close();
    } finally {
      client.disconnect();
      await server.stop();
    }
  }, 30_000);
});

describe('RedisHistoryStore: the in-memory entry cap', () => {
  it('hours the cap drops from memory stay in Redis, and a later write keeps them', async () => {
    const client = redis.current.client;
    const prefix = redis.current.prefix();
    const store = new RedisHistoryStore(client, { prefix, retentionMs: 1_000 * HOUR_MS, maxRoutes: 10, maxEntries: 3 });
    await store.open();
    store.append('r', hour(0));
    store.append('r', hour(1));
    await store.flush();
    // hours 2-4 push 0 and 1 out of memory, some before they were written
    for (let i = 2; i < 5; i++) store.append('r', hour(i));
    await store.flush();
    expect(store.hours('r', 0, Number.MAX_SAFE_INTEGER).map((h) => h.hourStartMs)).toEqual([2, 3, 4].map((i) => hour(i).hourStartMs));
    const stored = await client.zrange(`${prefix}history:route:r`, '0', '-1');
    expect(stored.map((m) => (JSON.parse(m) as { hourStartMs: number }).hourStartMs)).toEqual([0, 1, 2, 3, 4].map((i) => hour(i).hourStartMs));
  });
});
