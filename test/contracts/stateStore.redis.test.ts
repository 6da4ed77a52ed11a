import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RedisStateStore } from '../../src/adapters/redis/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { redisForSuite } from '../helpers/redis.js';
import { stateStoreContract } from './stateStoreContract.js';

const redis = redisForSuite();

// Each store gets its own key prefix, so every test starts from an empty store on one server.
// Leases and TTLs run on the Redis server's clock: time passes by waiting.
stateStoreContract('RedisStateStore', async () => ({
  store: new RedisStateStore(redis.current.client, { prefix: redis.current.prefix(), ownsClient: false }),
  elapse: (ms) => sleep(ms),
}));

describe('RedisStateStore schema version', () => {
  it('refuses a store written by a newer daemon, and a prefix holding something else, with one line naming the key', async () => {
    const client = redis.current.client;
    await client.set('newer:schema', '2');
    await expect(new RedisStateStore(client, { prefix: 'newer:', ownsClient: false }).open()).rejects.toThrow(ConfigError);
    await expect(new RedisStateStore(client, { prefix: 'newer:', ownsClient: false }).open()).rejects.toThrow(/schema version 2, newer than this daemon's 1/);
    await client.set('other:schema', 'hello');
    await expect(new RedisStateStore(client, { prefix: 'other:', ownsClient: false }).open()).rejects.toThrow(/other:schema holds 'hello'/);
  });

  it('skips and reports a stored route that is not valid state (hand-edited, another program), loading the rest', async () => {
    const client = redis.current.client;
    const problems: string[] = [];
    const store = new RedisStateStore(client, { prefix: 'bad:', ownsClient: false, onCorrupt: (key, problem) => problems.push(`${key}: ${problem}`) });
    await store.open();
    await store.claim('good', 'i1', 60_000);
    await store.saveRoutes([{ stored: { route: 'good', generation: 1, owner: 'i1', control: { registry: null, running: null, finished: [], cooldownUntil: null, lastEnded: null } }, ttlMs: null }]);
    await client.sadd('bad:routes', 'garbled', 'wrong');
    await client.set('bad:route:garbled', '{"route":');
    await client.set('bad:route:wrong', '{"route":"elsewhere","generation":1}');
    expect((await store.loadRoutes()).map((r) => r.route)).toEqual(['good']);
    expect(problems).toEqual([expect.stringMatching(/^bad:route:garbled: not JSON/), 'bad:route:wrong: not a stored route (route, generation, owner, control)']);
  });

  it('skips and reports a stored checkpoint that is not one, so the route starts cold instead of the daemon failing', async () => {
    const client = redis.current.client;
    const problems: string[] = [];
    const store = new RedisStateStore(client, { prefix: 'badcp:', ownsClient: false, onCorrupt: (key, problem) => problems.push(`${key}: ${problem}`) });
    await store.open();
    await client.set('badcp:checkpoint:garbled', '{"route":');
    await client.set('badcp:checkpoint:wrong', '{"route":"elsewhere","generation":1,"data":"{}"}');
    expect(await store.loadCheckpoint('garbled')).toBeNull();
    expect(await store.loadCheckpoint('wrong')).toBeNull();
    expect(problems).toEqual([expect.stringMatching(/^badcp:checkpoint:garbled: not JSON/), 'badcp:checkpoint:wrong: not a stored checkpoint (route, generation, data)']);
  });

  it('a store that lost its data (its keys deleted, FLUSHALL) has a new epoch, and its schema version again', async () => {
    const client = redis.current.client;
    const store = new RedisStateStore(client, { prefix: 'wiped:', ownsClient: false });
    await store.open();
    const epoch = await store.epoch();
    expect(await new RedisStateStore(client, { prefix: 'wiped:', ownsClient: false }).epoch()).toBe(epoch);
    await client.del('wiped:epoch', 'wiped:schema');
    const next = await store.epoch();
    expect(next).not.toBe(epoch);
    expect(await store.epoch()).toBe(next);
    expect(await client.get('wiped:schema')).toBe('1');
  });

  it('keeps every key under the prefix', async () => {
    const client = redis.current.client;
    const store = new RedisStateStore(client, { prefix: 'only:', ownsClient: false });
    await store.open();
    await store.claim('support', 'i1', 1_000);
    await store.saveCheckpoint({ route: 'support', generation: 1, data: '{}' }, 1_000);
    const keys = await client.keys('*');
    expect(keys.filter((k) => k.startsWith('only:')).sort()).toEqual(['only:checkpoint:support', 'only:lease:support', 'only:schema']);
  });
});
