import { describe, expect, it } from 'vitest';
import { RedisDecisionLog } from '../../src/adapters/redis/index.js';
import { redisForSuite } from '../helpers/redis.js';
import { decisionLogContract } from './decisionLogContract.js';
import { trigger } from './fixtures.js';

const redis = redisForSuite();

let lastPrefix = '';
decisionLogContract(
  'RedisDecisionLog',
  () => new RedisDecisionLog(redis.current.client, { prefix: (lastPrefix = redis.current.prefix()) }),
  () => new RedisDecisionLog(redis.current.client, { prefix: lastPrefix }),
);

describe('RedisDecisionLog', () => {
  it('is a Redis Stream under the prefix, with entry ids <seq>-0, trimmed to its maximum length', async () => {
    const client = redis.current.client;
    const log = new RedisDecisionLog(client, { prefix: 'stream:', maxEntries: 10 });
    const appended = await log.append(Array.from({ length: 300 }, (_, i) => trigger('support', i)));
    expect(await client.type('stream:decisions')).toBe('stream');
    const [first] = await client.xrange('stream:decisions', '-', '+', 'COUNT', 1);
    expect(first?.[0]).toMatch(/^\d+-0$/);
    // MAXLEN ~ trims whole nodes: at most one node (100 entries) over the limit, and the newest kept.
    expect(await log.size()).toBeLessThanOrEqual(110);
    const all = await log.query({ limit: 1000 });
    expect(all[all.length - 1]?.seq).toBe(appended[299]?.seq);
  });
});
