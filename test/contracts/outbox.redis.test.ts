import { setTimeout as sleep } from 'node:timers/promises';
import { RedisOutbox } from '../../src/adapters/redis/index.js';
import { redisForSuite } from '../helpers/redis.js';
import { outboxContract } from './outboxContract.js';

const redis = redisForSuite();
const prefixes = new WeakMap<RedisOutbox, string>();

function open(prefix: string): RedisOutbox {
  const outbox = new RedisOutbox(redis.current.client, prefix);
  prefixes.set(outbox, prefix);
  return outbox;
}

// Each outbox gets a fresh key prefix; a restart is a new adapter on the same prefix.
outboxContract('RedisOutbox', () => open(redis.current.prefix()), {
  reopen: async (outbox) => {
    await outbox.close();
    return open(prefixes.get(outbox as RedisOutbox)!);
  },
  share: (outbox) => open(prefixes.get(outbox as RedisOutbox)!),
  // A lease lapses on the server's clock, so it is waited out for real: long enough that the checks made while it
  // holds (a few Redis round trips) cannot outlast it on a loaded CI machine, short enough for four waits.
  ownClock: { leaseMs: 1_200, lapse: (ms) => sleep(ms + 20) },
});
