import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { killAll, type DaemonProcess } from './daemonProcess.js';
import { startRedis, type RedisServer } from './redisServer.js';

/** What a test file of daemons on one redis-server shares: the server, a client on it, the daemons started, a temp dir for configs. */
export interface RedisFixture {
  readonly redis: RedisServer;
  readonly client: Redis;
  /** Daemons the tests start (pass it to `startDaemonProcess`); all killed after the file. */
  readonly running: DaemonProcess[];
  readonly dir: string;
}

/**
 * Starts a redis-server, a client on it and a temp dir before the file's tests, and kills the daemons the
 * tests started, the client and the server after them. Read the fields inside tests (set in `beforeAll`).
 */
export function useRedisFixture(tmpPrefix: string): RedisFixture {
  const fixture = { running: [] as DaemonProcess[] } as { redis: RedisServer; client: Redis; running: DaemonProcess[]; dir: string };
  beforeAll(async () => {
    fixture.redis = await startRedis();
    fixture.client = new Redis(fixture.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await fixture.client.connect();
    fixture.dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  });
  afterAll(async () => {
    await killAll(fixture.running);
    fixture.client?.disconnect();
    await fixture.redis?.stop();
  });
  return fixture;
}
