import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis, redisEndpoint, redisFailureCause } from '../../src/adapters/redis/index.js';
import { parseConfig } from '../../src/config/load.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { openDurableState, type DurableState } from '../../src/runtime/durableState.js';
import { createLogger } from '../../src/runtime/logger.js';
import { trigger } from '../contracts/fixtures.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from '../integration/harness/index.js';

// /readyz's degraded reason quoted ioredis: "redis unavailable (Stream isn't writeable and enableOfflineQueue options
// is false): …" whether Redis was down, refused the password or was out of memory. It now names the part that fails,
// where (host:port, never the password) and why in plain words; the raw text stays in the log.

const open: { state: DurableState; server: RedisServer; admin: Redis | null }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.state.close().catch(() => {});
    o.admin?.disconnect();
    await o.server.stop();
  }
});

async function stateOn(url: string): Promise<DurableState> {
  const config = parseConfig({ redis: { url, instance_id: 'cause' }, log: { level: 'silent' } });
  return openDurableState(config, new PipelineEngine(config), createLogger(config));
}

/** Appends a decision (failing while Redis fails), then the readiness reason. */
async function degradedAfterAppend(state: DurableState): Promise<string | null> {
  await state.decisions.append([trigger('support', 1_700_000_000_000)]);
  return state.degraded();
}

describe('/readyz degraded reason for Redis', () => {
  it('Redis killed: names the decision log, host:port and "connection refused"', async () => {
    const server = await startRedis();
    const state = await stateOn(server.url);
    open.push({ state, server, admin: null });
    await server.kill();
    const reason = await until('connection refused', async () => {
      const r = await degradedAfterAppend(state);
      return r?.includes('connection refused') === true ? r : null;
    }, 20_000);
    expect(reason).toMatch(new RegExp(`^redis unavailable: the decision log at 127\\.0\\.0\\.1:${server.port} is failing — connection refused; \\d+ decisions, 0 route states and 0 outbox messages pending$`));
    await server.restart();
  }, 30_000);

  it('password refused: "authentication failed", and the password appears nowhere', async () => {
    const server = await startRedis();
    const admin = await connectRedis(server.url);
    await admin.config('SET', 'requirepass', 'first-s3cret');
    const state = await stateOn(`redis://:first-s3cret@127.0.0.1:${server.port}`);
    open.push({ state, server, admin });
    // The password changes under the daemon and its connection is dropped: every reconnection is refused.
    await admin.config('SET', 'requirepass', 'second-s3cret');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    const reason = await until('authentication failed', async () => {
      const r = await degradedAfterAppend(state);
      return r?.includes('authentication failed') === true ? r : null;
    }, 20_000);
    expect(reason).toMatch(new RegExp(`^redis unavailable: the decision log at 127\\.0\\.0\\.1:${server.port} is failing — authentication failed \\(wrong or missing user or password\\); `));
    expect(reason).not.toContain('s3cret');
    await admin.config('SET', 'requirepass', 'first-s3cret');
  }, 30_000);

  it('Redis out of memory: "out of memory (OOM…)" while connected', async () => {
    const server = await startRedis();
    const admin = await connectRedis(server.url);
    const state = await stateOn(server.url);
    open.push({ state, server, admin });
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    expect(await degradedAfterAppend(state)).toBe(`redis unavailable: the decision log at 127.0.0.1:${server.port} is failing — Redis is out of memory (OOM, past its maxmemory), writes refused; 1 decisions, 0 route states and 0 outbox messages pending`);
    await admin.config('SET', 'maxmemory', '0');
  }, 30_000);

  // At start ioredis rejects the first connect with "Connection is closed." whatever went wrong, and `run` printed
  // just that; the cause is the connection's last error.
  it('a first connection that fails says why in plain words: refused, or host not found', async () => {
    const server = await startRedis();
    await server.stop();
    await expect(connectRedis(`redis://127.0.0.1:${server.port}`, { connectTimeoutMs: 2_000 })).rejects.toThrow(`cannot connect to Redis at redis://127.0.0.1:${server.port}: connection refused`);
    await expect(connectRedis('redis://nosuchhost.invalid:6390', { connectTimeoutMs: 2_000 })).rejects.toThrow('cannot connect to Redis at redis://nosuchhost.invalid:6390: host not found');
  }, 30_000);

  it('table: what ioredis and Redis say, in plain words; endpoints without credentials', async () => {
    const client = new Redis({ lazyConnect: true });
    const cases: [string, string][] = [
      ["READONLY You can't write against a read only replica.", 'Redis is a read-only replica (READONLY), writes refused'],
      ['Command timed out', 'timeout, no answer in time'],
      ['LOADING Redis is loading the dataset in memory', 'Redis is still loading its data (LOADING)'],
      ["MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", 'Redis cannot save to disk (MISCONF), writes refused'],
      ['NOPERM this user has no permissions to run the \'xadd\' command', 'the Redis user may not run these commands (NOPERM)'],
      ["Stream isn't writeable and enableOfflineQueue options is false", 'not connected'],
      ['ERR something new', 'unexpected error (its text is in the log)'],
    ];
    for (const [raw, plain] of cases) expect(redisFailureCause(client, raw), raw).toBe(plain);
    expect(redisEndpoint('redis://user:pa55@redis.internal:6380/2')).toBe('redis.internal:6380');
    expect(redisEndpoint('rediss://:pa55@[::1]/0')).toBe('[::1]:6379');
  });
});
